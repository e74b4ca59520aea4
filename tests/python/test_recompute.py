"""Public marts recomputed from the raw CSV files with pandas, by the definitions of SPEC
sections 2 and 4 (not the project's SQL or macros), and compared figure by figure."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from .conftest import ROOT, DbtRun

W = 180  # churn_window_days
SLA_HOURS = 24
ATTRIBUTION_DAYS = 30
RAW = ROOT / "seeds" / "raw"


def raw(table: str) -> pd.DataFrame:
    return pd.read_csv(RAW / f"raw_{table}.csv", dtype=str, keep_default_na=False)


def utc(column: pd.Series) -> pd.Series:
    return pd.to_datetime(column.replace("", None), utc=True, format="ISO8601").dt.tz_localize(None)


@pytest.fixture(scope="module")
def as_of(default_build: DbtRun) -> pd.Timestamp:
    return pd.Timestamp(default_build.scalar("select as_of_date from staging.base_as_of_bounds"))


@pytest.fixture(scope="module")
def purchases() -> pd.DataFrame:
    orders = raw("orders")
    orders["ordered_at"] = utc(orders["ordered_at"])
    orders["date"] = orders["ordered_at"].dt.floor("D")
    money = orders[["gross_amount", "discount_amount", "refunded_amount"]].replace("", "0")
    money = money.astype(float)
    orders["net"] = money["gross_amount"] - money["discount_amount"] - money["refunded_amount"]
    return orders[orders["status"] == "completed"]


def mart(run: DbtRun, sql: str) -> pd.DataFrame:
    import duckdb

    with duckdb.connect(str(run.database), read_only=True) as con:
        return con.execute(sql).df()


def compare(expected: pd.DataFrame, actual: pd.DataFrame, key: str) -> int:
    """Every column of expected equals actual's, row by row on key; returns figures compared."""
    joined = expected.set_index(key).join(actual.set_index(key), rsuffix="_mart", how="outer")
    compared = 0
    for column in expected.columns.drop(key):
        mine, theirs = joined[column], joined[f"{column}_mart"]
        for index, (a, b) in enumerate(zip(mine, theirs, strict=True)):
            both_missing = (a is None or (isinstance(a, float) and math.isnan(a))) and \
                (b is None or (isinstance(b, float) and math.isnan(b)) or b is pd.NA)
            if not both_missing:
                if isinstance(a, float | np.floating) or isinstance(b, float | np.floating):
                    assert float(a) == pytest.approx(float(b), rel=1e-9, abs=1e-9), \
                        (column, joined.index[index], a, b)
                else:
                    assert a == b, (column, joined.index[index], a, b)
            compared += 1
    return compared


def test_support_tickets_recomputed(default_build: DbtRun, as_of: pd.Timestamp) -> None:
    tickets = raw("support_tickets")
    for column in ("opened_at", "first_response_at", "resolved_at"):
        tickets[column] = utc(tickets[column])
    tickets = tickets[tickets["opened_at"].dt.floor("D") <= as_of]
    hours = (tickets["first_response_at"] - tickets["opened_at"]).dt.total_seconds() / 3600
    contacts = tickets["contacts_count"].astype(int)
    reopened = tickets["reopened_count"].astype(int)
    ordered = tickets.sort_values(["customer_id", "opened_at", "ticket_id"])
    previous = ordered.groupby("customer_id")["opened_at"].shift()
    repeat = (previous >= ordered["opened_at"] - pd.Timedelta(days=30)).reindex(tickets.index)
    bucket = np.select([hours.isna(), hours < 1, hours < 4, hours < 24, hours < 72],
                       ["no response", "< 1 h", "1-4 h", "4-24 h", "1-3 days"], "> 3 days")
    expected = pd.DataFrame({
        "ticket_id": tickets["ticket_id"],
        "first_response_hours": hours,
        "is_sla_breach": np.where(hours.isna(), None, hours > SLA_HOURS),
        "is_first_contact_resolution": tickets["resolved_at"].notna() & (contacts == 1)
        & (reopened == 0),
        "is_repeat_contact": repeat.fillna(False).astype(bool),
        "first_response_bucket": bucket,
    })
    actual = mart(default_build, """
        select ticket_id, first_response_hours, is_sla_breach, is_first_contact_resolution,
            is_repeat_contact, first_response_bucket from main.fct_support_tickets""")
    actual["is_sla_breach"] = actual["is_sla_breach"].astype(object).where(
        actual["is_sla_breach"].notna(), None)
    assert compare(expected, actual, "ticket_id") == 5 * len(tickets)


def test_win_back_campaigns_recomputed(default_build: DbtRun, purchases: pd.DataFrame,
                                       as_of: pd.Timestamp) -> None:
    touches = raw("campaign_touches")
    touches["sent_at"] = utc(touches["sent_at"])
    touches["is_holdout"] = touches["is_holdout"].str.lower() == "true"
    touches = touches[touches["sent_at"].dt.floor("D") <= as_of]
    first = touches.groupby(["campaign_id", "customer_id"]).agg(
        sent_at=("sent_at", "min"), is_holdout=("is_holdout", "max")).reset_index()
    days = purchases[["customer_id", "date"]].drop_duplicates()
    by_customer = {c: g["date"].to_numpy() for c, g in days.groupby("customer_id")}
    times = {c: g.sort_values().to_numpy()
             for c, g in purchases.groupby("customer_id")["ordered_at"]}
    nets = {c: g.set_index("ordered_at")["net"] for c, g in purchases.groupby("customer_id")}
    rows = []
    for touch in first.itertuples():
        day = touch.sent_at.floor("D")
        dates = by_customer.get(touch.customer_id, np.array([], dtype="datetime64[ns]"))
        # churned on the touch day: a purchase at least W days before, none in (day - W, day]
        had_churned = (dates <= np.datetime64(day - pd.Timedelta(days=W))).any()
        active = ((dates > np.datetime64(day - pd.Timedelta(days=W)))
                  & (dates <= np.datetime64(day))).any()
        if not had_churned or active:
            continue
        stamps = times.get(touch.customer_id, np.array([], dtype="datetime64[ns]"))
        window = stamps[(stamps > np.datetime64(touch.sent_at)) & (
            stamps <= np.datetime64(touch.sent_at + pd.Timedelta(days=ATTRIBUTION_DAYS)))]
        returned = window.min() if len(window) else None
        orders = revenue = 0
        if returned is not None:
            spent = nets[touch.customer_id]
            after = spent[(spent.index >= returned)
                          & (spent.index < returned + pd.Timedelta(days=90))]
            orders, revenue = len(after), float(after.sum())
        rows.append((touch.campaign_id, touch.is_holdout, returned is not None, orders, revenue))
    flags = pd.DataFrame(rows, columns=["campaign_id", "holdout", "returned", "orders", "net"])
    treated = flags[~flags["holdout"]].groupby("campaign_id")
    control = flags[flags["holdout"]].groupby("campaign_id")
    expected = pd.DataFrame({
        "contacted_customers": treated.size(),
        "contacted_returned_customers": treated["returned"].sum(),
        "holdout_customers": control.size(),
        "holdout_returned_customers": control["returned"].sum(),
        "returned_orders_90d": treated["orders"].sum(),
        "returned_net_revenue_90d": treated["net"].sum(),
    }).fillna(0).reset_index()
    expected["win_back_rate"] = 100 * expected["contacted_returned_customers"] \
        / expected["contacted_customers"]
    expected["holdout_win_back_rate"] = 100 * expected["holdout_returned_customers"] \
        / expected["holdout_customers"]
    expected["uplift_points"] = expected["win_back_rate"] - expected["holdout_win_back_rate"]
    for column in expected.columns.drop("campaign_id"):
        expected[column] = expected[column].astype(float)
    actual = mart(default_build, f"""
        select campaign_id, {', '.join(expected.columns.drop('campaign_id'))}
        from main.campaign_effectiveness where contacted_customers + holdout_customers > 0""")
    for column in actual.columns.drop("campaign_id"):
        actual[column] = actual[column].astype(float)
    assert compare(expected, actual, "campaign_id") == 9 * len(expected) > 0


def test_customer_lifecycle_and_days_recomputed(default_build: DbtRun, purchases: pd.DataFrame,
                                                as_of: pd.Timestamp) -> None:
    customers = raw("customers")
    customers["created_at"] = utc(customers["created_at"])
    customers = customers[customers["created_at"].dt.floor("D") <= as_of]
    days = purchases[["customer_id", "date"]].drop_duplicates().sort_values(
        ["customer_id", "date"])
    gap_before = (days["date"] - days.groupby("customer_id")["date"].shift()).dt.days
    spell_starts = days[gap_before.isna() | (gap_before > W)]
    latest_start = spell_starts.groupby("customer_id")["date"].max()
    reactivated_start = spell_starts[gap_before.reindex(spell_starts.index) > W] \
        .groupby("customer_id")["date"].max()
    summary = days.groupby("customer_id")["date"].agg(["min", "max", "size"])
    rows = []
    for customer in customers["customer_id"]:
        if customer not in summary.index:
            rows.append((customer, "prospect", None, 0))
            continue
        first, last, _ = summary.loc[customer]
        since_last = (as_of - last).days
        since_first = (as_of - first).days
        react = reactivated_start.get(customer)
        if since_last >= W:
            status = "churned"
        elif since_last > W / 2:
            status = "at_risk"
        elif since_first < 30:
            status = "new"
        elif react is not None and latest_start[customer] == react and (as_of - react).days < W:
            status = "reactivated"
        else:
            status = "active"
        orders = int((purchases["customer_id"] == customer).sum())
        rows.append((customer, status, since_last, orders))
    expected = pd.DataFrame(rows, columns=["customer_id", "lifecycle_status",
                                           "days_since_last_order", "orders_count"])
    expected["days_since_last_order"] = expected["days_since_last_order"].astype(float)
    actual = mart(default_build, """
        select customer_id, lifecycle_status, days_since_last_order, orders_count
        from main.dim_customers""")
    actual["days_since_last_order"] = actual["days_since_last_order"].astype(float)
    assert compare(expected, actual, "customer_id") == 3 * len(expected)
