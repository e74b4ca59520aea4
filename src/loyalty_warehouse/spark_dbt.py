"""dbt on Apache Spark with the project's Python models run in the same Spark session.

dbt-spark submits Python models only to Databricks clusters (dbt-spark issue 415: no
way for open-source Spark). With `method: session` the Spark session lives in the dbt
process itself, so a model's compiled code can simply run there: this module registers
that submission method ("session", the default for the spark targets) and then hands
over to dbt's own command line. Run as `python -m loyalty_warehouse.spark_dbt ARGS`;
with `--export-to DIR` first, a successful command is followed by an export of the
compared tables to Parquet (see engines.export_tables) from the same session.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any


def _register_session_helper() -> None:
    from dbt.adapters.base import PythonJobHelper
    from dbt.adapters.spark.impl import SparkAdapter

    class SessionPythonJobHelper(PythonJobHelper):
        """Runs a Python model's compiled code in this process's Spark session."""

        def __init__(self, parsed_model: dict, credentials: Any) -> None:
            self.parsed_model = parsed_model

        def submit(self, compiled_code: str) -> None:
            from pyspark.sql import SparkSession

            spark = SparkSession.builder.getOrCreate()
            exec(compile(compiled_code, self.parsed_model["alias"], "exec"), {"spark": spark})

    helpers = dict(SparkAdapter.python_submission_helpers.fget(None))  # type: ignore[attr-defined]
    helpers["session"] = SessionPythonJobHelper
    SparkAdapter.python_submission_helpers = property(lambda self: helpers)  # type: ignore[method-assign]
    SparkAdapter.default_python_submission_method = property(  # type: ignore[method-assign]
        lambda self: "session"
    )


def main(argv: list[str] | None = None) -> int:
    from dbt.cli.main import cli

    args = sys.argv[1:] if argv is None else argv
    export_to = None
    if args[:1] == ["--export-to"]:
        export_to, args = Path(args[1]), args[2:]
    _register_session_helper()
    code = 0
    try:
        cli.main(args=args, prog_name="dbt")
    except SystemExit as stop:
        code = int(stop.code or 0)
    if code == 0 and export_to is not None:
        from pyspark.sql import SparkSession

        from .engines import export_tables

        export_tables(SparkSession.builder.getOrCreate(), export_to)
    return code


if __name__ == "__main__":
    sys.exit(main())
