"""The Great Expectations suites: green on a good build, red (and named) on a broken one."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from loyalty_warehouse.cli import main as loyalty_main
from loyalty_warehouse.validate import data_docs_index, run_suites

from .conftest import DbtRun


def test_suites_pass_on_the_default_build_and_write_data_docs(
        default_build: DbtRun, tmp_path: Path, capsys) -> None:
    docs = tmp_path / "gx"
    assert loyalty_main(["validate", "--database", str(default_build.database),
                         "--docs-dir", str(docs)]) == 0
    assert data_docs_index(docs).exists()
    assert " 0 failed" in capsys.readouterr().out


def test_a_broken_mart_fails_validation_and_is_named(
        default_build: DbtRun, tmp_path: Path, capsys) -> None:
    broken = tmp_path / "broken.duckdb"
    shutil.copy(default_build.database, broken)
    with duckdb.connect(str(broken)) as con:
        con.execute("update main.loyalty_metrics_monthly set churn_rate = 120 "
                    "where month = (select max(month) from main.loyalty_metrics_monthly)")
    assert loyalty_main(["validate", "--database", str(broken),
                         "--docs-dir", str(tmp_path / "gx")]) == 1
    out = capsys.readouterr().out
    assert "loyalty_metrics_monthly" in out and "FAILED" in out and "churn_rate" in out


def test_a_mart_read_in_batches_still_finds_a_duplicate_and_a_missing_row(
        default_build: DbtRun, tmp_path: Path) -> None:
    """Large marts are validated in batches of their key's hash (a few thousand rows here):
    a duplicated key lands in one batch, and each batch is counted against the clean raw
    rows of the same hashes."""
    broken = tmp_path / "broken.duckdb"
    shutil.copy(default_build.database, broken)
    with duckdb.connect(str(broken)) as con:
        con.execute("insert into main.fct_orders select * from main.fct_orders limit 1")
        con.execute("delete from main.dim_customers where customer_id = "
                    "(select min(customer_id) from main.dim_customers)")
    results = {r.mart: r for r in run_suites(broken, tmp_path / "gx", batch_rows=2_000)}
    orders, customers = results["fct_orders"], results["dim_customers"]
    assert any(f.startswith("expect_column_values_to_be_unique(column=order_id")
               for f in orders.failed)
    assert any(f.startswith("expect_table_row_count_to_equal") for f in orders.failed)
    assert [f for f in customers.failed if f.startswith("expect_table_row_count_to_equal")] \
        and all(" in batch " in f for f in customers.failed)
    assert orders.passed > 0 and not results["fct_support_tickets"].failed
