"""Every metric column of every public mart recomputed from the raw files with pandas
(tests/python/spec_marts.py: SPEC sections 2 and 4, not the project's SQL or macros) and
compared figure by figure; each test records how many figures it compared (printed at the
end of the run)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import numpy as np
import pandas as pd
import pytest

from .conftest import ROOT, DbtRun, generate, run_dbt
from .edge_data import plant_edges
from .spec_marts import Spec

RAW = ROOT / "seeds" / "raw"


@dataclass
class Built:
    label: str
    run: DbtRun
    spec: Spec


@pytest.fixture(scope="module", params=[
    "default seeds",
    # a data folder with values planted on every edge (tests/python/edge_data.py)
    pytest.param("edges", marks=[pytest.mark.slow, pytest.mark.xdist_group("edges")]),
])
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Built:
    if request.param == "default seeds":
        run = request.getfixturevalue("default_build")
        as_of = pd.Timestamp(run.scalar("select as_of_date from staging.base_as_of_bounds"))
        return Built(request.param, run, Spec(RAW, as_of, prefix="raw_"))
    folder = tmp_path_factory.mktemp("edges")
    as_of = plant_edges(generate(folder / "data", "--format", "csv"))
    # seeds and models only: the default build runs every data and unit test
    run = run_dbt(["build", "--exclude", "path:seeds/raw", "--exclude-resource-type", "test",
                   "--exclude-resource-type", "unit_test"], folder / "w.duckdb", folder / "data",
                  f"{{as_of_date: '{as_of.date()}'}}")
    assert run.returncode == 0, run.output[-4000:]
    return Built(request.param, run, Spec(folder / "data", as_of))


def mart(run: DbtRun, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(run.database), read_only=True) as con:
        return con.execute(sql).df()


def missing(value: object) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (
        isinstance(value, float | np.floating) and math.isnan(value))


def plain(value: object) -> object:
    """One comparable form for the values pandas and DuckDB hand back."""
    if isinstance(value, pd.Timestamp | datetime | np.datetime64):
        return pd.Timestamp(value)
    if isinstance(value, date):
        return pd.Timestamp(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def compare_frames(expected: pd.DataFrame, actual: pd.DataFrame, keys: list[str]) -> int:
    """Every non-key column of expected equals actual's on the same keys (no row missing on
    either side); floats to 1e-9. Returns the number of figures compared."""
    for frame in (expected, actual):
        for key in keys:
            frame[key] = [plain(v) for v in frame[key]]
    mine = expected.set_index(keys)
    theirs = actual.set_index(keys)
    assert mine.index.is_unique and theirs.index.is_unique
    only_mine = mine.index.difference(theirs.index)
    only_theirs = theirs.index.difference(mine.index)
    assert only_mine.empty and only_theirs.empty, (list(only_mine[:5]), list(only_theirs[:5]))
    theirs = theirs.loc[mine.index]
    compared = 0
    for column in mine.columns:
        for index, a, b in zip(mine.index, mine[column], theirs[column], strict=True):
            a, b = plain(a), plain(b)
            if missing(a) or missing(b):
                assert missing(a) and missing(b), (column, index, a, b)
            elif isinstance(a, float | np.floating) or isinstance(b, float | np.floating):
                assert float(a) == pytest.approx(float(b), rel=1e-9, abs=1e-9), \
                    (column, index, a, b)
            else:
                assert a == b, (column, index, a, b)
            compared += 1
    return compared


def compare(expected: pd.DataFrame, actual: pd.DataFrame, key: str) -> int:
    return compare_frames(expected, actual, [key])


def check_mart(built: Built, name: str, expected: pd.DataFrame, keys: list[str],
               record: object) -> int:
    actual = mart(built.run, f"select {', '.join(expected.columns)} from main.{name}")
    compared = compare_frames(expected, actual, keys)
    record("figures_compared", f"{built.label} · {name}: {compared}")  # type: ignore[operator]
    assert compared >= len(expected) > 0
    return compared


def test_loyalty_metrics_monthly_recomputed(built: Built,
                                            record_property: object) -> None:
    expected = built.spec.loyalty_metrics_monthly()
    assert set(expected.columns) == set(mart(built.run, "select * from "
                                             "main.loyalty_metrics_monthly limit 0").columns)
    check_mart(built, "loyalty_metrics_monthly", expected, ["month"], record_property)


def test_customer_cohorts_recomputed(built: Built,
                                     record_property: object) -> None:
    check_mart(built, "customer_cohorts", built.spec.customer_cohorts(),
               ["cohort_month", "months_since_first_order"], record_property)


def test_customer_cohorts_by_segment_recomputed(built: Built,
                                                record_property: object) -> None:
    check_mart(built, "customer_cohorts_by_segment", built.spec.customer_cohorts_by_segment(),
               ["cohort_month", "months_since_first_order", "country", "acquisition_channel",
                "is_loyalty_member"], record_property)


SEGMENT_KEYS = ["month", "country", "acquisition_channel", "is_loyalty_member"]


def test_loyalty_segments_monthly_recomputed(built: Built,
                                             record_property: object) -> None:
    expected = built.spec.loyalty_segments_monthly()
    actual = mart(built.run, f"select {', '.join(expected.columns)} "
                                 "from main.loyalty_segments_monthly")
    measures = [c for c in expected.columns if c not in SEGMENT_KEYS]
    # a segment-month whose counts are all 0 carries no figure: compared as absent
    expected = expected[(expected[measures] != 0).any(axis=1)].copy()
    actual = actual[(actual[measures] != 0).any(axis=1)].copy()
    compared = compare_frames(expected, actual, SEGMENT_KEYS)
    record_property("figures_compared", f"{built.label} · loyalty_segments_monthly: {compared}")
    assert compared == len(measures) * len(expected) > 0


def test_loyalty_program_monthly_recomputed(built: Built,
                                            record_property: object) -> None:
    check_mart(built, "loyalty_program_monthly", built.spec.loyalty_program_monthly(),
               ["month", "is_member"], record_property)


def test_churn_reasons_monthly_recomputed(built: Built,
                                          record_property: object) -> None:
    check_mart(built, "churn_reasons_monthly", built.spec.churn_reasons_monthly(),
               ["month", "reason_code"], record_property)


def test_support_experience_churn_recomputed(built: Built,
                                             record_property: object) -> None:
    check_mart(built, "support_experience_churn", built.spec.support_experience_churn(),
               ["first_response_bucket"], record_property)


DIM_COLUMNS = [
    "customer_id", "first_order_at", "last_order_at", "cohort_month", "orders_count",
    "net_revenue", "average_order_value", "is_repeat_customer", "days_since_last_order",
    "lifecycle_status", "churned_at", "r_score", "f_score", "m_score", "rfm_segment",
    "latest_nps_score", "latest_nps_band", "csat_average", "tickets_count",
    "median_first_response_hours", "last_exit_reason", "is_loyalty_member",
    "loyalty_joined_at", "loyalty_tier", "loyalty_points_balance", "orders_last_365_days",
    "segment_annual_churn_rate", "predicted_clv", "health_score", "health_band",
]


def test_dim_customers_and_nps_band_behaviour_recomputed(
        built: Built, record_property: object) -> None:
    """Every column of dim_customers but the probabilistic CLV (test_clv.py recomputes
    customer_clv from the paper's equations) and the profile columns copied from raw."""
    dim = built.spec.dim_customers()
    check_mart(built, "dim_customers", dim[DIM_COLUMNS].copy(), ["customer_id"],
               record_property)
    check_mart(built, "nps_band_behaviour", built.spec.nps_band_behaviour(dim),
               ["latest_nps_band"], record_property)


def test_fact_tables_recomputed(built: Built,
                                record_property: object) -> None:
    check_mart(built, "fct_orders", built.spec.fct_orders(), ["order_id"], record_property)
    check_mart(built, "fct_survey_responses", built.spec.fct_survey_responses(),
               ["response_id"], record_property)


def test_support_tickets_recomputed(built: Built, record_property: object) -> None:
    check_mart(built, "fct_support_tickets", built.spec.fct_support_tickets(),
               ["ticket_id"], record_property)


def test_win_back_campaigns_recomputed(built: Built, record_property: object) -> None:
    expected = built.spec.campaign_effectiveness()
    actual = mart(built.run, f"""
        select campaign_id, {', '.join(expected.columns.drop('campaign_id'))}
        from main.campaign_effectiveness where contacted_customers + holdout_customers > 0""")
    compared = compare(expected, actual, "campaign_id")
    record_property("figures_compared", f"{built.label} · campaign_effectiveness: {compared}")
    assert compared == 9 * len(expected) > 0
