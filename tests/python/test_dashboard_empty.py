"""The dashboard on a warehouse whose data has no survey answers and no support tickets
(a bring-your-own-data folder with orders only): it says so where a chart would be empty,
run in-process with Streamlit's AppTest (no browser)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from .conftest import ROOT, DbtRun

APP = ROOT / "src" / "loyalty_warehouse" / "dashboard" / "app.py"


def test_sections_without_data_say_so_instead_of_an_empty_chart(
        default_build: DbtRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    database = Path(shutil.copy(default_build.database, tmp_path / "no_surveys.duckdb"))
    with duckdb.connect(str(database)) as con:
        con.execute("update main.loyalty_segments_monthly "
                    "set nps_responses = 0, promoters = 0, passives = 0, detractors = 0")
        con.execute("delete from main.support_experience_churn")
    monkeypatch.setenv("LOYALTY_DASHBOARD_DB", str(database))
    app = AppTest.from_file(str(APP), default_timeout=120).run()
    assert not app.exception, [e.value for e in app.exception]
    notes = [note.value for note in app.info]
    assert "No NPS answers in this period." in notes
    assert "No support tickets up to as_of_date." in notes
    # retention and churn have their customers: their charts stay
    assert "No customers active at a month's start in this period." not in notes
    assert len(app.get("vega_lite_chart")) >= 2
