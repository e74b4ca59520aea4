"""Run the expectation suites against the marts of a DuckDB file; write HTML Data Docs.

GX reads pandas frames fetched from DuckDB (read-only): its SQL datasource does not work
against DuckDB here (it fetches after closing the connection). A frame holds only the
columns a suite checks, and a large mart is read in batches of its key's hash (see
expectations.BATCHED), so memory stays bounded by the batch, not the mart.
"""

from __future__ import annotations

import logging
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .expectations import BATCHED, Batch, InputCounts, columns_checked, suites

BATCH_ROWS = 1_000_000


@dataclass(frozen=True)
class MartResult:
    mart: str
    passed: int
    failed: list[str]


def batches(con: duckdb.DuckDBPyConnection, mart: str,
            batch_rows: int = BATCH_ROWS) -> list[Batch | None]:
    """One batch per batch_rows rows of a batched mart; the whole mart otherwise."""
    if mart not in BATCHED:
        return [None]
    row = con.execute(f"select count(*) from main.{mart}").fetchone()
    count = max(1, math.ceil((row[0] if row else 0) / batch_rows))
    return [Batch(BATCHED[mart][0], index, count) for index in range(count)]


def run_suites(database: Path, docs_dir: Path,
               batch_rows: int = BATCH_ROWS) -> list[MartResult]:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="file", project_root_dir=str(docs_dir))
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_or_update_pandas("marts")
    results = []
    with duckdb.connect(str(database), read_only=True) as con:
        totals = InputCounts.read(con)
        for mart, all_rows_expectations in suites(totals).items():
            asset = source.add_dataframe_asset(name=mart)
            whole = asset.add_batch_definition_whole_dataframe("whole")
            columns = ", ".join(f'"{c}"' for c in columns_checked(all_rows_expectations))
            passed, failed = 0, []
            for batch in batches(con, mart, batch_rows):
                counts = totals if batch is None else totals.for_batch(con, mart, batch)
                suite = context.suites.add_or_update(gx.ExpectationSuite(name=mart))
                for expectation in suites(counts)[mart]:
                    suite.add_expectation(expectation)
                definition = context.validation_definitions.add_or_update(
                    gx.ValidationDefinition(name=mart, data=whole, suite=suite))
                where = "true" if batch is None else batch.where()
                frame = con.execute(f"select {columns} from main.{mart} where {where}").df()
                outcome = definition.run(
                    batch_parameters={"dataframe": frame},
                    run_id=RunIdentifier(run_name=mart if batch is None else
                                         f"{mart} batch {batch.index + 1} of {batch.count}"))
                del frame
                found = "" if batch is None else f" in batch {batch.index + 1} of {batch.count}"
                failed += [f"{r.expectation_config.type}({_describe(r.expectation_config.kwargs)})"
                           f"{found}" for r in outcome.results if not r.success]
                passed += sum(r.success for r in outcome.results)
            results.append(MartResult(mart, passed, failed))
    context.build_data_docs()
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
