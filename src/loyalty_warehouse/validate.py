"""Run the expectation suites against the marts of a DuckDB file; write HTML Data Docs.

GX reads pandas frames fetched from DuckDB (read-only): its SQL datasource does not work
against DuckDB here (it fetches after closing the connection).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .expectations import InputCounts, suites


@dataclass(frozen=True)
class MartResult:
    mart: str
    passed: int
    failed: list[str]


def run_suites(database: Path, docs_dir: Path) -> list[MartResult]:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    with duckdb.connect(str(database), read_only=True) as con:
        counts = InputCounts.read(con)
        frames = {mart: con.execute(f"select * from main.{mart}").df()
                  for mart in suites(counts)}
    context = gx.get_context(mode="file", project_root_dir=str(docs_dir))
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_or_update_pandas("marts")
    results = []
    for mart, expectations in suites(counts).items():
        asset = source.add_dataframe_asset(name=mart)
        batch = asset.add_batch_definition_whole_dataframe("whole")
        suite = context.suites.add_or_update(gx.ExpectationSuite(name=mart))
        for expectation in expectations:
            suite.add_expectation(expectation)
        definition = context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=mart, data=batch, suite=suite))
        checkpoint = context.checkpoints.add_or_update(gx.Checkpoint(
            name=mart, validation_definitions=[definition],
            actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs")]))
        outcome = checkpoint.run(batch_parameters={"dataframe": frames[mart]})
        checks = [r for run in outcome.run_results.values() for r in run.results]
        failed = [f"{r.expectation_config.type}({_describe(r.expectation_config.kwargs)})"
                  for r in checks if not r.success]
        results.append(MartResult(mart, len(checks) - len(failed), failed))
    return results


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
