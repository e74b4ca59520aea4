"""The Great Expectations suites: green on a good build, red (and named) on a broken one."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from loyalty_warehouse.cli import main as loyalty_main
from loyalty_warehouse.validate import data_docs_index

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
