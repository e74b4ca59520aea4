"""Run the expectation suites against the marts of a DuckDB file; write HTML Data Docs.

GX's SQL engine computes every metric as a query in DuckDB (through `read_only_duckdb`),
so no mart is loaded into Python: memory is DuckDB's, under the build's memory limit.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from . import read_only_duckdb
from .expectations import InputCounts, suites

if TYPE_CHECKING:
    from great_expectations.datasource.fluent import SQLDatasource


@dataclass(frozen=True)
class MartResult:
    mart: str
    passed: int
    failed: list[str]


def run_suites(database: Path, docs_dir: Path) -> list[MartResult]:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import ProgressBarsConfig

    with duckdb.connect(str(database), read_only=True) as con:
        totals = InputCounts.read(con)
    read_only_duckdb.register()
    context = gx.get_context(mode="file", project_root_dir=str(docs_dir))
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    memory_limit = os.environ.get("LOYALTY_DUCKDB_MEMORY_LIMIT", "3GB")
    if "marts" in context.data_sources.all():
        # a docs folder from before the SQL engine holds a pandas source of this name
        context.data_sources.delete("marts")
    source = context.data_sources.add_or_update_sql(
        "marts", connection_string=f"{read_only_duckdb.URL_SCHEME}:///{database.resolve()}",
        kwargs={"connect_args": {"read_only": True, "config": {"memory_limit": memory_limit}}})
    results = []
    try:
        for mart, expectations in suites(totals).items():
            asset = source.add_table_asset(name=mart, table_name=mart)
            suite = context.suites.add_or_update(
                gx.ExpectationSuite(name=mart, expectations=expectations))
            definition = context.validation_definitions.add_or_update(gx.ValidationDefinition(
                name=mart, data=asset.add_batch_definition_whole_table("whole"), suite=suite))
            outcome = definition.run(run_id=RunIdentifier(run_name=mart))
            failed = [f"{r.expectation_config.type}({_describe(r.expectation_config.kwargs)})"
                      for r in outcome.results if not r.success]
            results.append(MartResult(mart, sum(r.success for r in outcome.results), failed))
    finally:
        _close(context.data_sources.get("marts"))
    context.build_data_docs()
    return results


def _close(source: SQLDatasource) -> None:
    """Let go of the database file (publish renames it next): GX keeps a pooled connection
    in the data source's engine and in its execution engine."""
    source.get_engine().dispose()
    source.get_execution_engine().close()


def _describe(kwargs: dict[str, object]) -> str:
    return ", ".join(f"{k}={v}" for k, v in kwargs.items() if k not in ("batch_id",))


def data_docs_index(docs_dir: Path) -> Path:
    return docs_dir / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"


def validate(database: Path, docs_dir: Path) -> int:
    """Print one line per mart; 0 when every expectation passed, 1 otherwise."""
    started = time.perf_counter()
    print(f"validating the marts of {database} with Great Expectations")
    results = run_suites(database, docs_dir)
    for result in results:
        status = "ok" if not result.failed else "FAILED"
        print(f"  {result.mart:28s} {result.passed:3d} passed  {status}")
        for failure in result.failed:
            print(f"      failed: {failure}")
    failures = sum(len(r.failed) for r in results)
    passed = sum(r.passed for r in results)
    print(f"{passed} passed, {failures} failed in {time.perf_counter() - started:.1f} s; "
          f"data docs: {data_docs_index(docs_dir)}")
    return 0 if failures == 0 else 1
