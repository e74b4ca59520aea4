"""dbt on Apache Spark with the project's Python models run in the same Spark session.

dbt-spark submits Python models only to Databricks clusters (dbt-spark issue 415: no
way for open-source Spark). With `method: session` the Spark session lives in the dbt
process itself, so a model's compiled code can simply run there: this module registers
that submission method ("session", the default for the spark targets) and then hands
over to dbt's own command line. Run as `python -m loyalty_warehouse.spark_dbt ARGS`, or
with `--plan FILE` (JSON: data_dir, args, export_to and continue per step): several
commands in turn in one session, each successful one followed by an export of the
compared tables to Parquet (engines.export_tables) from that session
(engines.spark_builds).
"""

from __future__ import annotations

import json
import os
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


def run(args: list[str], export_to: Path | None) -> int:
    """One dbt command; on success, the compared tables exported to export_to."""
    from dbt.cli.main import cli

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


def run_plan(plan: list[dict[str, Any]]) -> int:
    """Several dbt commands in this one Spark session, each with its own raw data folder
    ("" for the committed seeds); stops at the first that fails, unless that step says
    "continue": true (tests of builds that must fail), and returns the first failure's
    code."""
    failed = 0
    for step in plan:
        if step["data_dir"]:
            os.environ["LOYALTY_DATA_DIR"] = step["data_dir"]
        else:
            os.environ.pop("LOYALTY_DATA_DIR", None)
        code = run(step["args"], Path(step["export_to"]) if step.get("export_to") else None)
        failed = failed or code
        if code != 0 and not step.get("continue"):
            break
    return failed


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    _register_session_helper()
    if args[:1] == ["--plan"]:
        return run_plan(json.loads(Path(args[1]).read_text()))
    return run(args, None)


if __name__ == "__main__":
    sys.exit(main())
