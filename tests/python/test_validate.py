"""The Great Expectations suites: green on a good build, red (and named) on a broken one."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from loyalty_warehouse.cli import main as loyalty_main
from loyalty_warehouse.validate import data_docs_index, run_suites

from .conftest import DbtRun, drop_constraints


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
        # the build's table enforces churn_rate <= 100; the audit must still catch a mart
        # changed outside dbt
        drop_constraints(con, "main.loyalty_metrics_monthly")
        con.execute("update main.loyalty_metrics_monthly set churn_rate = 120 "
                    "where month = (select max(month) from main.loyalty_metrics_monthly)")
    assert loyalty_main(["validate", "--database", str(broken),
                         "--docs-dir", str(tmp_path / "gx")]) == 1
    out = capsys.readouterr().out
    assert "loyalty_metrics_monthly" in out and "FAILED" in out and "churn_rate" in out


def test_quarantined_and_future_rows_are_not_expected_in_a_mart(
        default_build: DbtRun, tmp_path: Path) -> None:
    """A mart's expected size is the clean raw rows up to as_of_date: a quarantined order
    and one dated after as_of_date sit in staging, not in fct_orders, and the gate passes."""
    staged = tmp_path / "staged.duckdb"
    shutil.copy(default_build.database, staged)
    with duckdb.connect(str(staged)) as con:
        con.execute("insert into staging.base_orders select * replace ("
                    "'Q-' || order_id as order_id, 'unparseable' as quarantine_reason) "
                    "from staging.base_orders limit 1")
        con.execute("insert into staging.base_orders select * replace ("
                    "'F-' || order_id as order_id, (select as_of_date from "
                    "staging.base_as_of_bounds) + interval 1 day as ordered_at) "
                    "from staging.base_orders where quarantine_reason is null limit 1")
    results = {r.mart: r for r in run_suites(staged, tmp_path / "gx")}
    assert not results["fct_orders"].failed and results["fct_orders"].passed > 0


def test_a_duplicate_a_missing_row_and_a_raw_address_fail_and_the_file_is_let_go(
        default_build: DbtRun, tmp_path: Path) -> None:
    """The metrics are queries in DuckDB over the whole mart: a duplicated key, a row
    missing against the clean raw rows and an e-mail address where its hash belongs are
    each found; afterwards the file is closed (publish renames it)."""
    broken = tmp_path / "broken.duckdb"
    shutil.copy(default_build.database, broken)
    with duckdb.connect(str(broken)) as con:
        # fct_orders is a view of int_orders
        con.execute("insert into intermediate.int_orders select * from intermediate.int_orders "
                    "limit 1")
        con.execute("delete from main.dim_customers where customer_id = "
                    "(select min(customer_id) from main.dim_customers)")
        con.execute("update main.dim_customers set email_hash = 'ann@example.com' "
                    "where customer_id = (select max(customer_id) from main.dim_customers)")
    results = {r.mart: r for r in run_suites(broken, tmp_path / "gx")}
    orders, customers = results["fct_orders"], results["dim_customers"]
    assert any(f.startswith("expect_column_values_to_be_unique(column=order_id")
               for f in orders.failed)
    assert any(f.startswith("expect_table_row_count_to_equal") for f in orders.failed)
    assert any(f.startswith("expect_table_row_count_to_equal") for f in customers.failed)
    assert any(f.startswith("unexpected_rows_expectation") and "email_hash" in f
               for f in customers.failed)
    assert len(customers.failed) == 2 and orders.passed > 0
    assert not results["fct_support_tickets"].failed
    with duckdb.connect(str(broken)) as con:
        con.execute("create table main.written_after_validation as select 1 as one")
