"""The staging layer on every way in: seeds, Parquet and CSV folders, dirty feeds, bad files."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from loyalty_warehouse.generator import RAW_COLUMNS
from loyalty_warehouse.publish import BuildError, quarantine_audit

from .conftest import DbtRun, generate

TABLES = list(RAW_COLUMNS)


def quarantine_counts(run: DbtRun) -> dict[str, dict[str, int]]:
    found: dict[str, dict[str, int]] = {}
    for table in TABLES:
        rows = run.query(f"select quarantine_reason, count(*) from staging.stg_{table}__quarantine "
                         "group by all")
        if rows:
            found[table] = dict(rows)
    return found


def assert_conserved(run: DbtRun, raw_rows: dict[str, int]) -> None:
    for table in TABLES:
        clean = run.scalar(f"select count(*) from staging.stg_{table}")
        quarantined = run.scalar(f"select count(*) from staging.stg_{table}__quarantine")
        assert clean + quarantined == raw_rows[table], table


def test_default_seeds_build_clean_and_conserve_rows(default_build: DbtRun) -> None:
    raw = {t: default_build.scalar(f"select count(*) from raw.raw_{t}") for t in TABLES}
    assert_conserved(default_build, raw)
    assert quarantine_counts(default_build) == {}
    assert "Completed successfully" in default_build.output


def test_offsets_are_converted_to_utc(default_build: DbtRun) -> None:
    raw_text, utc = default_build.query(
        "select r.created_at, s.created_at from raw.raw_customers r "
        "join staging.stg_customers s using (customer_id) where r.created_at like '%+03:00' "
        "limit 1")[0]
    local_hour = int(raw_text[11:13])
    assert utc.hour == (local_hour - 3) % 24


def test_personal_data_is_hashed(default_build: DbtRun) -> None:
    columns = [c[0] for c in default_build.query("describe staging.stg_customers")]
    assert "email" not in columns and "phone" not in columns
    sample = default_build.query(
        "select email_hash, phone_hash from staging.stg_customers limit 50")
    assert all(re.fullmatch(r"[0-9a-f]{64}", value) for row in sample for value in row)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_dirty_feed_is_quarantined_exactly_as_injected(
        tmp_path: Path, staging_build: Callable[..., DbtRun], fmt: str) -> None:
    folder = generate(tmp_path / "dirty", "--format", fmt, "--dirty", "3")
    manifest = json.loads((folder / "_manifest.json").read_text())
    run = staging_build(folder)
    assert run.returncode == 0, run.output[-3000:]
    assert quarantine_counts(run) == manifest["injected"]
    assert_conserved(run, manifest["raw_rows"])


def test_typed_parquet_folder_builds(tmp_path: Path, staging_build: Callable[..., DbtRun]) -> None:
    folder = generate(tmp_path / "pq")
    manifest = json.loads((folder / "_manifest.json").read_text())
    run = staging_build(folder)
    assert run.returncode == 0, run.output[-3000:]
    assert quarantine_counts(run) == {}
    assert_conserved(run, manifest["raw_rows"])


def test_only_required_tables_gives_empty_optional_staging(
        tmp_path: Path, staging_build: Callable[..., DbtRun]) -> None:
    folder = generate(tmp_path / "csv", "--format", "csv")
    for path in folder.glob("*.csv"):
        if path.stem not in ("customers", "orders"):
            path.unlink()
    run = staging_build(folder)
    assert run.returncode == 0, run.output[-3000:]
    assert run.scalar("select count(*) from staging.stg_orders") > 0
    for table in ("survey_responses", "support_tickets", "loyalty_events", "campaigns"):
        assert run.scalar(f"select count(*) from staging.stg_{table}") == 0


def test_batches_in_a_table_folder_are_read_together(
        tmp_path: Path, staging_build: Callable[..., DbtRun]) -> None:
    folder = generate(tmp_path / "pq")
    orders = folder / "orders.parquet"
    (folder / "orders").mkdir()
    with duckdb.connect() as con:
        for half, condition in (("a", "<"), ("b", ">=")):
            con.execute(f"copy (select * from '{orders}' where order_id {condition} 'O00001000') "
                        f"to '{folder / 'orders' / f'batch_{half}.parquet'}'")
        total = con.execute(f"select count(*) from '{orders}'").fetchone()[0]
    orders.unlink()
    run = staging_build(folder)
    assert run.returncode == 0, run.output[-3000:]
    assert run.scalar("select count(*) from staging.stg_orders") == total


def test_extra_columns_are_ignored_and_reported(
        tmp_path: Path, staging_build: Callable[..., DbtRun]) -> None:
    folder = generate(tmp_path / "csv", "--format", "csv")
    customers = folder / "customers.csv"
    lines = customers.read_text().splitlines()
    customers.write_text("\n".join([lines[0] + ",loyalty_card_colour"]
                                   + [line + ",blue" for line in lines[1:]]) + "\n")
    run = staging_build(folder)
    assert run.returncode == 0, run.output[-3000:]
    assert "ignoring extra column(s) loyalty_card_colour" in run.output


def test_missing_required_column_names_file_and_column(
        tmp_path: Path, staging_build: Callable[..., DbtRun]) -> None:
    folder = generate(tmp_path / "csv", "--format", "csv")
    orders = folder / "orders.csv"
    orders.write_text(orders.read_text().replace("ordered_at", "order_time", 1))
    run = staging_build(folder)
    assert run.returncode != 0
    assert f"raw file {orders}: missing required column(s) ordered_at" in run.output


def test_missing_required_table_names_folder_and_table(
        tmp_path: Path, staging_build: Callable[..., DbtRun]) -> None:
    folder = generate(tmp_path / "csv", "--format", "csv")
    (folder / "customers.csv").unlink()
    run = staging_build(folder)
    assert run.returncode != 0
    assert f"raw data folder '{folder}': required table 'customers' not found" in run.output


def test_unreadable_file_is_named(tmp_path: Path, staging_build: Callable[..., DbtRun]) -> None:
    folder = generate(tmp_path / "pq")
    (folder / "support_tickets.parquet").write_bytes(b"not a parquet file")
    run = staging_build(folder)
    assert run.returncode != 0
    assert str(folder / "support_tickets.parquet") in run.output


def test_invalid_as_of_date_is_rejected(tmp_path: Path,
                                        staging_build: Callable[..., DbtRun]) -> None:
    folder = generate(tmp_path / "pq")
    run = staging_build(folder, "{as_of_date: '30/06/2026'}")
    assert run.returncode != 0
    assert "var as_of_date must be a date YYYY-MM-DD, got '30/06/2026'" in run.output


def test_minimal_example_folder(tmp_path: Path, staging_build: Callable[..., DbtRun]) -> None:
    folder = Path(__file__).resolve().parents[2] / "examples" / "minimal"
    run = staging_build(folder)
    assert run.returncode == 0, run.output[-3000:]
    assert run.scalar("select count(*) from staging.stg_orders") == 7
    assert quarantine_counts(run) == {"orders": {"unknown_customer": 1}}
    ordered_at = run.scalar("select ordered_at from staging.stg_orders where order_id = 'M7'")
    assert (ordered_at.day, ordered_at.hour, ordered_at.minute) == (31, 2, 30)
    # the example's command passes the build's quarantine audit, and only with its limit
    command = re.search(r"LOYALTY_MAX_QUARANTINE_SHARE=(\S+) LOYALTY_DATA_DIR=\$PWD/examples/"
                        r"minimal bin/warehouse build", (folder / "README.md").read_text())
    assert command is not None
    quarantine_audit(run.database, float(command[1]))
    with pytest.raises(BuildError, match="quarantine above 1.00% of raw rows: orders 12.50%"):
        quarantine_audit(run.database, 0.01)
