"""Streamlit page: `loyalty dashboard` (or `streamlit run` this file with
LOYALTY_DASHBOARD_DB set). Opens the served warehouse read-only, queries marts only."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from loyalty_warehouse.dashboard import queries as q

DATABASE = os.environ.get("LOYALTY_DASHBOARD_DB", "warehouse/loyalty.duckdb")
MEMBERSHIP_LABELS = {"all": "All customers", "members": "Members", "non_members": "Non-members"}


def warehouse_version() -> tuple[int, int]:
    """Changes when a build publishes a new file: cached results are keyed on it."""
    stat = Path(DATABASE).stat()
    return stat.st_ino, stat.st_mtime_ns


@st.cache_data(ttl=600, show_spinner=False)
def load(name: str, version: tuple[int, int], *args: object) -> object:
    del version  # part of the cache key only
    with q.connect(DATABASE) as con:
        return getattr(q, name)(con, *args)


def fetch(name: str, *args: object) -> object:
    return load(name, warehouse_version(), *args)


def month_label(month: date) -> str:
    return month.strftime("%Y-%m")


def section(title: str, query: str, empty: str, *args: object) -> pd.DataFrame | None:
    """A section's heading and its data; a note instead when the selection has none."""
    st.subheader(title)
    data = fetch(query, *args)
    if data.empty:
        st.info(empty)
        return None
    return data


def show_table(data: pd.DataFrame, index: str, decimals: int = 1,
               target: object = st) -> None:
    """A small HTML table with numbers as people read them (1,234 and 12.5)."""
    def cell(value: object) -> str:
        if isinstance(value, bool) or value is None or pd.isna(value):
            return str(value)
        if isinstance(value, int) or (isinstance(value, float) and value.is_integer()
                                      and decimals == 0):
            return f"{int(value):,}"
        if isinstance(value, float):
            return f"{value:,.{decimals}f}"
        return str(value).replace(">", "\\>").replace("<", "\\<")
    text = data.astype(object).map(cell).set_index(index)
    target.table(text)


def sidebar_filters(months: list[date], default_end: date, countries: list[str],
                    channels: list[str]) -> q.Filters:
    params = st.query_params
    by_label = {month_label(m): m for m in months}
    end = by_label.get(params.get("to", ""), default_end)
    start = by_label.get(params.get("from", ""), months[max(0, months.index(end) - 11)])
    st.sidebar.header("Filters")
    period = st.sidebar.select_slider("Period (months)", options=months, value=(start, end),
                                      format_func=month_label)
    chosen_countries = st.sidebar.multiselect(
        "Country", countries, default=[c for c in params.get_all("country") if c in countries],
        placeholder="All countries")
    chosen_channels = st.sidebar.multiselect(
        "Acquisition channel", channels,
        default=[c for c in params.get_all("channel") if c in channels],
        placeholder="All channels")
    member_keys = list(MEMBERSHIP_LABELS)
    membership = st.sidebar.radio(
        "Loyalty programme", member_keys, format_func=MEMBERSHIP_LABELS.__getitem__,
        index=member_keys.index(params.get("member", "all")) if params.get("member", "all")
        in member_keys else 0)
    return q.Filters(period[0], period[1], tuple(chosen_countries), tuple(chosen_channels),
                     membership)


def headline(monthly: pd.DataFrame, filters: q.Filters, docs: dict[str, str]) -> None:
    rows = monthly[monthly["month"].dt.date <= filters.end_month]
    if rows.empty:
        st.info("No activity for this selection.")
        return
    current = rows.iloc[-1]
    previous = rows.iloc[-2] if len(rows) > 1 else None
    st.subheader(f"Headline: {month_label(current['month'])}"
                 + (f" vs {month_label(previous['month'])}" if previous is not None else ""))
    tiles = [
        ("NPS", "nps", "{:.1f}", "loyalty_metrics_monthly.nps", "normal"),
        ("Retention", "retention_rate", "{:.2f}%", "loyalty_metrics_monthly.retention_rate",
         "normal"),
        ("Churn", "churn_rate", "{:.2f}%", "loyalty_metrics_monthly.churn_rate", "inverse"),
        ("Repeat purchase rate", "repeat_purchase_rate", "{:.2f}%",
         "loyalty_metrics_monthly.repeat_purchase_rate", "normal"),
        ("Average check", "average_order_value", "{:,.2f}",
         "loyalty_metrics_monthly.average_order_value", "normal"),
    ]
    for column, (label, key, fmt, doc, colour) in zip(st.columns(len(tiles)), tiles, strict=True):
        value = current[key]
        shown = "n/a" if pd.isna(value) else fmt.format(value)
        if key == "nps" and not pd.isna(value):
            shown += f" ± {current['nps_margin_of_error']:.1f}"
        delta = None
        if previous is not None and not pd.isna(value) and not pd.isna(previous[key]):
            delta = f"{value - previous[key]:+.2f}"
        column.metric(label, shown, delta, delta_color=colour, help=docs.get(doc, ""))
    st.caption(f"Active customers at start {int(current['customers_start']):,}, churned "
               f"{int(current['churned_customers']):,}, completed orders "
               f"{int(current['orders']):,}, NPS answers {int(current['nps_responses']):,}. "
               "NPS ± its 95% margin of error; deltas against the previous month.")


def trends(monthly: pd.DataFrame, filters: q.Filters, docs: dict[str, str]) -> None:
    st.subheader("Trends")
    data = monthly[monthly["month"].dt.date >= filters.start_month].copy()
    data["nps_low"] = data["nps"] - data["nps_margin_of_error"]
    data["nps_high"] = data["nps"] + data["nps_margin_of_error"]
    left, right = st.columns(2)
    base = alt.Chart(data).encode(x=alt.X("yearmonth(month):T", title="month"))
    band = base.mark_area(opacity=0.25).encode(y=alt.Y("nps_low:Q", title="NPS"), y2="nps_high:Q")
    line = base.mark_line(point=True).encode(y="nps:Q", tooltip=["month:T", "nps:Q",
                                                                  "nps_margin_of_error:Q"])
    left.altair_chart(band + line, use_container_width=True)
    left.caption("NPS by month with its 95% band. "
                 + docs.get("loyalty_metrics_monthly.nps", ""))
    rates = data.melt("month", ["retention_rate", "churn_rate"], "metric", "percent")
    right.altair_chart(alt.Chart(rates).mark_line(point=True).encode(
        x=alt.X("yearmonth(month):T", title="month"), y="percent:Q", color="metric:N",
        tooltip=["month:T", "metric:N", "percent:Q"]), use_container_width=True)
    right.caption("Retention and churn by month. "
                  + docs.get("loyalty_metrics_monthly.retention_rate", ""))


def cohort_heatmap(filters: q.Filters, docs: dict[str, str]) -> None:
    data = section("Cohort retention", "cohorts", "No cohorts in this period.", filters)
    if data is None:
        return
    data["cohort"] = pd.to_datetime(data["cohort_month"]).dt.strftime("%Y-%m")
    st.altair_chart(alt.Chart(data).mark_rect().encode(
        x=alt.X("months_since_first_order:O", title="months since first order"),
        y=alt.Y("cohort:O", title="cohort month"),
        color=alt.Color("retention_rate:Q", title="retention %", scale=alt.Scale(scheme="blues")),
        tooltip=["cohort:N", "months_since_first_order:Q", "cohort_size:Q",
                 "active_customers:Q", "retention_rate:Q"]), use_container_width=True)
    month_one = data[data["months_since_first_order"] == 1]
    first = month_one.iloc[0] if not month_one.empty else data.iloc[0]
    st.caption(f"Cohort {first['cohort']}: {int(first['cohort_size']):,} customers, month "
               f"{int(first['months_since_first_order'])} retention "
               f"{first['retention_rate']:.1f}%. "
               + docs.get("customer_cohorts.retention_rate", ""))


def churn_reasons(filters: q.Filters, docs: dict[str, str]) -> None:
    st.subheader("Why customers leave")
    data = fetch("churn_reasons", filters)
    known = data[data["reason_group"] != "unknown"]
    if known.empty:
        st.info("No exit-survey reasons in this period.")
        return
    st.altair_chart(alt.Chart(known).mark_bar().encode(
        x=alt.X("yearmonth(month):T", title="churn month"), y="churned_customers:Q",
        color="reason_group:N", tooltip=["month:T", "reason_group:N", "churned_customers:Q"]),
        use_container_width=True)
    totals = known.groupby("reason_group", as_index=False)["churned_customers"].sum()
    totals["share_of_known_reasons"] = 100.0 * totals["churned_customers"] / totals[
        "churned_customers"].sum()
    show_table(totals.sort_values("churned_customers", ascending=False), "reason_group")
    churned = int(data["churned_customers"].sum())
    st.caption(f"Exit-survey reasons of churned customers by group over the period: a known "
               f"reason for {int(known['churned_customers'].sum()):,} of {churned:,} churned "
               f"customers (segment filters do not apply). "
               + docs.get("churn_reasons_monthly", ""))


def support(docs: dict[str, str]) -> None:
    st.subheader("Support experience and churn")
    data = fetch("support_churn")
    st.altair_chart(alt.Chart(data).mark_bar().encode(
        x=alt.X("first_response_bucket:N", sort=list(data["first_response_bucket"]),
                title="first response"), y=alt.Y("churn_rate:Q", title="churn %"),
        tooltip=["first_response_bucket:N", "customers:Q", "churn_rate:Q", "detractor_rate:Q"]),
        use_container_width=True)
    show_table(data, "first_response_bucket")
    st.caption("Whole history up to as_of_date (filters do not apply). "
               + docs.get("support_experience_churn", ""))


def win_back(filters: q.Filters, docs: dict[str, str]) -> None:
    data = section("Win-back campaigns", "campaigns",
                   "No reactivation campaign started in this period.", filters)
    if data is None:
        return
    rates = data.melt("campaign_id", ["win_back_rate", "holdout_win_back_rate"], "group",
                      "return_rate")
    st.altair_chart(alt.Chart(rates).mark_bar().encode(
        x=alt.X("campaign_id:N", title="campaign"), xOffset="group:N",
        y=alt.Y("return_rate:Q", title="returned %"), color="group:N",
        tooltip=["campaign_id:N", "group:N", "return_rate:Q"]), use_container_width=True)
    table = data.assign(starts_at=pd.to_datetime(data["starts_at"]).dt.strftime("%Y-%m-%d"))
    show_table(table, "campaign_id")
    st.caption("Campaigns starting in the period (segment filters do not apply). "
               + docs.get("campaign_effectiveness.uplift_points", ""))


def lifetime_value(filters: q.Filters, docs: dict[str, str]) -> None:
    bands = section("Customer lifetime value", "clv_by_alive_band",
                    "No CLV model could be fitted on this data (see clv_model_fit).", filters)
    if bands is None:
        return
    distribution = fetch("clv_distribution", filters)
    edges = q.CLV_BUCKETS
    labels = {start: (f"{start:,}-{edges[i + 1]:,}" if i + 1 < len(edges) else f"{start:,}+")
              for i, start in enumerate(edges)}
    distribution["predicted CLV, next 365 days"] = distribution["bucket_start"].map(labels)
    left, right = st.columns(2)
    left.altair_chart(alt.Chart(distribution).mark_bar().encode(
        x=alt.X("predicted CLV, next 365 days:N", sort=[labels[e] for e in edges]),
        y=alt.Y("customers:Q"), tooltip=["predicted CLV, next 365 days:N", "customers:Q"]),
        use_container_width=True)
    show_table(bands, "alive_band", decimals=2, target=right)
    st.caption("BG/NBD and Gamma-Gamma fitted as of the data's as_of_date (country, channel "
               "and current membership filters apply). "
               + docs.get("customer_clv.predicted_clv_365d", ""))


def rfm(filters: q.Filters, docs: dict[str, str]) -> None:
    st.subheader("RFM segments")
    data = fetch("rfm_segments", filters)
    left, right = st.columns(2)
    left.altair_chart(alt.Chart(data).mark_bar().encode(
        x=alt.X("customers:Q"), y=alt.Y("rfm_segment:N", sort="-x", title="segment"),
        tooltip=["rfm_segment:N", "customers:Q", "net_revenue:Q"]), use_container_width=True)
    show_table(data, "rfm_segment", decimals=2, target=right)
    st.caption("Customers and lifetime net revenue per segment (country, channel and current "
               "membership filters apply). " + docs.get("dim_customers.rfm_segment", ""))
    customer_id = st.text_input("Customer 360: customer id",
                                value=st.query_params.get("customer", ""))
    if customer_id:
        card = fetch("customer_card", customer_id)
        if card is None:
            st.warning(f"No customer {customer_id!r}.")
        else:
            fields = ["customer_id", "country", "acquisition_channel", "lifecycle_status",
                      "rfm_segment", "orders_count", "net_revenue", "last_order_at",
                      "latest_nps_band", "is_loyalty_member", "loyalty_tier",
                      "predicted_clv", "probability_alive", "predicted_clv_365d",
                      "health_score", "health_band"]
            show_table(pd.DataFrame({"field": fields, "value": [card[f] for f in fields]}),
                       "field", decimals=2)


def main() -> None:
    st.set_page_config(page_title="Loyalty warehouse", layout="wide")
    st.title("Loyalty, retention and churn")
    if not Path(DATABASE).exists():
        st.error(f"No warehouse at {DATABASE}: run `bin/warehouse build` first.")
        st.stop()
    docs = fetch("definitions")
    months = fetch("months")
    filters = sidebar_filters(months, fetch("last_complete_month"),
                              fetch("segment_values", "country"),
                              fetch("segment_values", "acquisition_channel"))
    monthly = fetch("monthly", filters)
    headline(monthly, filters, docs)
    trends(monthly, filters, docs)
    cohort_heatmap(filters, docs)
    churn_reasons(filters, docs)
    support(docs)
    win_back(filters, docs)
    lifetime_value(filters, docs)
    rfm(filters, docs)
    st.caption(f"Warehouse: {DATABASE} (read-only). Data up to {month_label(months[-1])}; the "
               "period ends by default with the last complete month.")


main()
