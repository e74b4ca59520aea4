"""Point in time: a build on the full history with as_of_date D equals, mart by mart, a
build on the same raw files truncated at D; outliers cannot move the default as_of_date."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from loyalty_warehouse.compare import differences
from loyalty_warehouse.raw_files import OWN_TIMESTAMP

from .conftest import ROOT, DbtRun, generate, run_dbt

pytestmark = pytest.mark.slow
SEEDS = ROOT / "seeds" / "raw"


def seeds_as_folder(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for table in OWN_TIMESTAMP:
        shutil.copy(SEEDS / f"raw_{table}.csv", folder / f"{table}.csv")
    return folder


def truncated(source: Path, folder: Path, as_of: str) -> tuple[Path, dict[str, int]]:
    """Every raw CSV with the rows dated (UTC) after as_of removed; rows removed per table."""
    folder.mkdir(parents=True)
    removed = {}
    for table, column in OWN_TIMESTAMP.items():
        frame = pd.read_csv(source / f"{table}.csv", dtype=str, keep_default_na=False)
        day = pd.to_datetime(frame[column].replace("", None), utc=True, format="ISO8601")
        keep = day.isna() | (day.dt.strftime("%Y-%m-%d") <= as_of)
        removed[table] = int((~keep).sum())
        frame[keep].to_csv(folder / f"{table}.csv", index=False)
    return folder, removed


def assert_same_marts(full: DbtRun, cut: DbtRun) -> None:
    assert full.returncode == 0, full.output[-3000:]
    assert cut.returncode == 0, cut.output[-3000:]
    assert differences(full.database, cut.database, schemas=("main",)) == []


def build_on(folder: Path | None, database: Path, as_of: str, tests: bool = True) -> DbtRun:
    """dbt build with as_of_date; without data tests for the truncated side (only its marts
    are compared). Unit tests read no data: they ran in the default build."""
    args = ["build", "--exclude-resource-type", "unit_test", *([] if tests else ["test"])]
    args += ["--exclude", "path:seeds/raw"] if folder else []
    return run_dbt(args, database, folder, f"{{as_of_date: '{as_of}'}}")


# the marts are compared at every date; dbt's data tests run on the full history at the
# mid-month date (a partial month, the hardest case) and on the data folder below
@pytest.mark.parametrize("as_of, data_tests", [("2025-12-31", False), ("2026-03-15", True),
                                               ("2023-07-20", False)],
                         ids=["month_end", "mid_month", "first_month"])
def test_full_history_with_as_of_equals_history_truncated_at_it(tmp_path: Path, as_of: str,
                                                                data_tests: bool) -> None:
    folder, removed = truncated(seeds_as_folder(tmp_path / "seeds"), tmp_path / "cut", as_of)
    assert removed["orders"] > 0
    full = build_on(None, tmp_path / "full" / "w.duckdb", as_of, tests=data_tests)
    cut = build_on(folder, tmp_path / "cut_db" / "w.duckdb", as_of, tests=False)
    assert_same_marts(full, cut)
    # the later rows are sound: kept in staging, not quarantined, out of the marts
    assert full.scalar("select count(*) from staging.stg_orders__quarantine") == 0
    assert full.scalar("select count(*) from staging.stg_orders") \
        == full.scalar("select count(*) from raw.raw_orders")
    assert full.scalar(f"select count(*) from main.fct_orders where order_date > '{as_of}'") == 0
    assert full.scalar(f"select count(*) from main.campaign_effectiveness "
                       f"where cast(starts_at as date) > '{as_of}'") == 0


def test_a_data_folder_back_tested_mid_month(tmp_path: Path) -> None:
    source = generate(tmp_path / "data", "--format", "csv")
    as_of = "2026-02-14"
    folder, _ = truncated(source, tmp_path / "cut", as_of)
    full = build_on(source, tmp_path / "full" / "w.duckdb", as_of)
    cut = build_on(folder, tmp_path / "cut_db" / "w.duckdb", as_of, tests=False)
    assert_same_marts(full, cut)


TYPOS = {"2099-01-01T10:00:00Z": "future_timestamp", "9999-12-31": "future_timestamp",
         "1900-01-01": "unparseable", "0001-01-01": "unparseable", "epoch": "unparseable",
         "infinity": "unparseable"}


def test_outlying_dates_move_nothing_and_are_quarantined(tmp_path: Path,
                                                         default_build: DbtRun) -> None:
    folder = seeds_as_folder(tmp_path / "typos")
    orders = pd.read_csv(folder / "orders.csv", dtype=str, keep_default_na=False)
    typo_rows = pd.DataFrame([{**orders.iloc[0].to_dict(), "order_id": f"TYPO{n}",
                               "ordered_at": stamp} for n, stamp in enumerate(TYPOS)])
    pd.concat([orders, typo_rows]).to_csv(folder / "orders.csv", index=False)
    build = run_dbt(["build", "--exclude", "path:seeds/raw", "--exclude-resource-type", "test",
                     "unit_test"], tmp_path / "w.duckdb", folder)
    assert build.returncode == 0, build.output[-3000:]
    assert differences(default_build.database, build.database, schemas=("main",)) == []
    reasons = dict(build.query("""
        select raw__ordered_at, quarantine_reason from staging.base_orders
        where order_id like 'TYPO%'"""))
    assert reasons == TYPOS
    assert build.scalar("select as_of_date from staging.base_as_of_bounds") \
        == default_build.scalar("select as_of_date from staging.base_as_of_bounds")
