"""The marts on the default data: planted effects recovered, figures recomputed from raw."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from .conftest import ROOT, DbtRun, generate, run_dbt

W = 180  # the default churn_window_days


@pytest.fixture(scope="module")
def raw_purchases() -> pd.DataFrame:
    orders = pd.read_csv(ROOT / "seeds" / "raw" / "raw_orders.csv", dtype=str)
    orders["date"] = pd.to_datetime(orders["ordered_at"], utc=True, format="ISO8601").dt.date
    orders["date"] = pd.to_datetime(orders["date"])
    money = orders[["gross_amount", "discount_amount", "refunded_amount"]].astype(float)
    orders["net"] = money["gross_amount"] - money["discount_amount"] - money["refunded_amount"]
    return orders[orders["status"] == "completed"]


def test_slow_first_response_shows_as_churn_and_detractors(default_build: DbtRun) -> None:
    rows = dict(default_build.query(
        "select first_response_bucket, churn_rate from main.support_experience_churn"))
    assert rows["1-3 days"] - rows["< 1 h"] >= 15
    detractors = dict(default_build.query(
        "select first_response_bucket, detractor_rate from main.support_experience_churn"))
    assert detractors["1-3 days"] > detractors["< 1 h"]


def test_members_repeat_more_than_non_members(default_build: DbtRun) -> None:
    rates = dict(default_build.query(
        "select is_member, repeat_purchase_rate from main.loyalty_program_monthly "
        "where month = (select max(month) from main.loyalty_program_monthly)"))
    assert rates[True] - rates[False] >= 15


def test_winback_contacts_return_more_than_holdout(default_build: DbtRun) -> None:
    contacted, returned, holdout, holdout_returned = default_build.query(
        "select sum(contacted_customers), sum(contacted_returned_customers), "
        "sum(holdout_customers), sum(holdout_returned_customers) "
        "from main.campaign_effectiveness where campaign_type = 'reactivation'")[0]
    uplift = 100 * returned / contacted - 100 * holdout_returned / holdout
    assert uplift >= 5


def test_detractors_churn_more_than_promoters(default_build: DbtRun) -> None:
    churn = dict(default_build.query(
        "select latest_nps_band, churn_rate from main.nps_band_behaviour"))
    assert churn["detractor"] > churn["promoter"]


def test_monthly_flows_match_the_definitions_on_raw_data(
        default_build: DbtRun, raw_purchases: pd.DataFrame) -> None:
    """S, N_new, N_react, L, E recomputed from raw orders by SPEC 2 / 4.2, without spells."""
    as_of = raw_purchases["date"].max()
    dates = raw_purchases[["customer_id", "date"]].drop_duplicates().sort_values(
        ["customer_id", "date"])
    previous = dates.groupby("customer_id")["date"].shift()
    following = dates.groupby("customer_id")["date"].shift(-1)
    gap_before = (dates["date"] - previous).dt.days
    gap_after = (following - dates["date"]).dt.days
    churn_dates = (dates["date"] + pd.Timedelta(days=W))[gap_after.isna() | (gap_after > W)]
    churn_dates = churn_dates[churn_dates <= as_of]

    def active_on(day: pd.Timestamp) -> int:
        window = dates[(dates["date"] > day - pd.Timedelta(days=W)) & (dates["date"] <= day)]
        return window["customer_id"].nunique()

    mart = pd.DataFrame(default_build.query(
        "select month, customers_start, new_customers, reactivated_customers, "
        "churned_customers, customers_end from main.loyalty_metrics_monthly order by month"),
        columns=["month", "active_start", "new", "reactivated", "churned", "active_end"])
    for row in mart.itertuples():
        start = pd.Timestamp(row.month)
        end = min(start + pd.offsets.MonthEnd(0), as_of)
        in_month = (dates["date"] >= start) & (dates["date"] <= end)
        assert row.active_start == active_on(start - pd.Timedelta(days=1)), row.month
        assert row.active_end == active_on(end), row.month
        assert row.new == (in_month & previous.isna()).sum(), row.month
        assert row.reactivated == (in_month & (gap_before > W)).sum(), row.month
        assert row.churned == ((churn_dates >= start) & (churn_dates <= end)).sum(), row.month


def test_monthly_orders_and_revenue_match_raw(default_build: DbtRun,
                                              raw_purchases: pd.DataFrame) -> None:
    raw = raw_purchases.groupby(raw_purchases["date"].dt.to_period("M")).agg(
        orders=("order_id", "size"), net=("net", "sum"))
    mart = default_build.query(
        "select month, orders, net_revenue from main.loyalty_metrics_monthly")
    for month, orders, net in mart:
        expected = raw.loc[pd.Period(month, "M")]
        assert orders == expected["orders"]
        assert float(net) == pytest.approx(expected["net"], abs=0.01)


def test_repeat_purchase_rate_matches_raw(default_build: DbtRun,
                                          raw_purchases: pd.DataFrame) -> None:
    counts = raw_purchases.groupby("customer_id").size()
    rate = default_build.scalar("select repeat_purchase_rate from main.loyalty_metrics_monthly "
                                "order by month desc limit 1")
    assert rate == pytest.approx(100 * (counts >= 2).mean())


def test_churn_window_shorter_than_a_month_is_rejected(tmp_path: Path) -> None:
    run = run_dbt(["compile", "--select", "int_orders"], tmp_path / "w.duckdb",
                  dbt_vars="{churn_window_days: 30}")
    assert run.returncode != 0
    assert "var churn_window_days must be a whole number of days >= 31, got '30'" in run.output


@pytest.mark.slow
def test_full_build_on_a_data_folder_with_a_partial_month(tmp_path: Path) -> None:
    folder = generate(tmp_path / "pq")
    run = run_dbt(["build", "--exclude", "path:seeds/raw", "--exclude-resource-type", "unit_test"],
                  tmp_path / "w.duckdb", folder, "{as_of_date: '2026-06-15'}")
    assert run.returncode == 0, run.output[-4000:]
    last = run.query("select month, period_end_date, is_partial_month from "
                     "main.loyalty_metrics_monthly order by month desc limit 2")
    assert [str(value) for value in last[0]] == ["2026-06-01", "2026-06-15", "True"]
    assert last[1][2] is False
    assert str(run.scalar("select max(activity_month) from main.customer_cohorts")) == "2026-06-01"
    assert run.scalar("select count(*) from main.dim_customers "
                      "where churned_at > date '2026-06-15'") == 0
    assert run.scalar("select max(ordered_at) from main.fct_orders") < pd.Timestamp("2026-06-16")


@pytest.mark.parametrize(("variable", "model"), [
    ("sla_first_response_hours", "int_support_tickets"),
    ("attribution_window_days", "campaign_effectiveness"),
])
def test_non_positive_windows_are_rejected(tmp_path: Path, variable: str, model: str) -> None:
    run = run_dbt(["compile", "--select", model], tmp_path / "w.duckdb",
                  dbt_vars=f"{{{variable}: 0}}")
    assert run.returncode != 0
    assert f"var {variable} must be a positive number, got '0'" in run.output
