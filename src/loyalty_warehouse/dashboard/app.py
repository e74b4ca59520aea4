"""Streamlit page: `loyalty dashboard` (or `streamlit run` this file with
LOYALTY_DASHBOARD_DB set). Opens the served warehouse read-only, queries marts only.

The page's state lives in its URL (period, country, channel, membership, drill-down and
customer id), so a view can be shared; parameters it cannot use are named in a warning."""

from __future__ import annotations

import os
from datetime import date
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

import altair as alt
import pandas as pd
import streamlit as st

from loyalty_warehouse.dashboard import formats as f
from loyalty_warehouse.dashboard import queries as q
from loyalty_warehouse.dashboard.charts import accessible, cohort_chart, reason_charts

if TYPE_CHECKING:
    from streamlit.delta_generator import DeltaGenerator

DATABASE = os.environ.get("LOYALTY_DASHBOARD_DB", "warehouse/loyalty.duckdb")
MEMBERSHIP_LABELS = {"all": "All customers", "members": "Members", "non_members": "Non-members"}
NOT_FILTERED = "Not filtered by country, channel or membership: the mart has no such split"
NUM = ' class="num"'
CSS = """
<style>
.table-scroll { overflow-x: auto; margin-bottom: 0.5rem; }
table.loyalty-table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
table.loyalty-table th, table.loyalty-table td {
    border-bottom: 1px solid #e0e0e0; padding: 0.3rem 0.6rem; white-space: nowrap;
    text-align: left; color: #262730; }
table.loyalty-table thead th { font-weight: 600; }
table.loyalty-table tbody th { font-weight: 400; }
table.loyalty-table .num { text-align: right; font-variant-numeric: tabular-nums; }
</style>
"""


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


def section(title: str, query: str, empty: str, *args: object) -> pd.DataFrame | None:
    """A section's heading and its data; a note instead when the selection has none."""
    st.subheader(title)
    data = fetch(query, *args)
    if data.empty:
        st.info(empty)
        return None
    return data


def show_table(data: pd.DataFrame, index: str, name: str, decimals: int = 1,
               target: object = st) -> None:
    """A table with numbers as people read them (right-aligned, 1,234, 12.5%, 9.99 EUR),
    labelled columns, scrolling sideways on a narrow screen, and its rows as CSV."""
    currency = fetch("currency")
    columns = [index, *[c for c in data.columns if c != index]]
    numeric = {c for c in columns if c != index and f.is_numeric(c, data[c])}
    head = "".join(f'<th scope="col"{NUM if c in numeric else ""}>{escape(f.label(c))}</th>'
                   for c in columns)
    body = "".join(
        "<tr>" + "".join(
            (f'<th scope="row">{escape(f.cell(c, row[c], currency, decimals))}</th>' if c == index
             else f"<td{NUM if c in numeric else ''}>"
                  f"{escape(f.cell(c, row[c], currency, decimals))}</td>")
            for c in columns) + "</tr>"
        for _, row in data.iterrows())
    target.markdown(f'<div class="table-scroll"><table class="loyalty-table" '
                    f'aria-label="{escape(name.replace("_", " "))}"><thead><tr>{head}</tr>'
                    f"</thead><tbody>{body}</tbody></table></div>", unsafe_allow_html=True)
    csv_button(target, f"Download {name} (CSV)", data, f"{name}.csv", f"csv-{name}")


def csv_button(target: object, title: str, data: pd.DataFrame, file_name: str,
               key: str) -> None:
    """The rows as CSV, written only when someone asks for them (not on every rerun)."""
    target.download_button(title, lambda: data.to_csv(index=False).encode(),
                           file_name=file_name, mime="text/csv", key=key, on_click="ignore")


def not_filtered_badge() -> None:
    st.badge(NOT_FILTERED, icon=":material/filter_alt_off:", color="orange")


def read_url(months: list[date], default_end: date, countries: list[str],
             channels: list[str]) -> tuple[dict[str, object], list[str]]:
    """The filters the URL asks for, and what in it was ignored (said, never silent)."""
    params = st.query_params
    by_label = {f.month(m): m for m in months}
    ignored = []

    def month_param(name: str, default: date) -> date:
        value = params.get(name)
        if value is None:
            return default
        if value not in by_label:
            ignored.append(f"{name}={value} (months run from {f.month(months[0])} to "
                           f"{f.month(months[-1])})")
            return default
        return by_label[value]

    end = month_param("to", default_end)
    start = month_param("from", months[max(0, months.index(end) - 11)])
    if start > end:
        ignored.append(f"from={f.month(start)} is after to={f.month(end)}: the two were swapped")
        start, end = end, start
    wanted = {}
    for name, allowed in (("country", countries), ("channel", channels)):
        values = params.get_all(name)
        unknown = [v for v in values if v not in allowed]
        if unknown:
            ignored.append(f"{name}={', '.join(unknown)} (no such {name} in the data)")
        wanted[name] = [v for v in values if v in allowed]
    member = params.get("member", "all")
    if member not in MEMBERSHIP_LABELS:
        ignored.append(f"member={member} (one of {', '.join(MEMBERSHIP_LABELS)})")
        member = "all"
    return {"start": start, "end": end, "countries": wanted["country"],
            "channels": wanted["channel"], "member": member}, ignored


def sidebar_filters(months: list[date], default_end: date, countries: list[str],
                    channels: list[str]) -> q.Filters:
    asked, ignored = read_url(months, default_end, countries, channels)
    if ignored:
        st.warning("Ignored in the address: " + "; ".join(ignored))
    st.sidebar.header("Filters")
    period = st.sidebar.select_slider("Period (months)", options=months,
                                      value=(asked["start"], asked["end"]), format_func=f.month)
    chosen_countries = st.sidebar.multiselect("Country", countries, default=asked["countries"],
                                              placeholder="All countries")
    chosen_channels = st.sidebar.multiselect("Acquisition channel", channels,
                                             default=asked["channels"],
                                             placeholder="All channels")
    member_keys = list(MEMBERSHIP_LABELS)
    membership = st.sidebar.radio("Loyalty programme", member_keys,
                                  format_func=MEMBERSHIP_LABELS.__getitem__,
                                  index=member_keys.index(str(asked["member"])))
    # the address always says what the page shows
    st.query_params.from_dict({
        key: value for key, value in (
            ("from", f.month(period[0])), ("to", f.month(period[1])),
            ("country", chosen_countries), ("channel", chosen_channels),
            ("member", membership if membership != "all" else None),
            ("drill", st.query_params.get("drill")),
            ("customer", st.query_params.get("customer")))
        if value})
    return q.Filters(period[0], period[1], tuple(chosen_countries), tuple(chosen_channels),
                     membership)


def headline(monthly: pd.DataFrame, filters: q.Filters, docs: dict[str, str]) -> None:
    rows = monthly[monthly["month"].dt.date <= filters.end_month]
    if rows.empty:
        st.info("No activity for this selection.")
        return
    current = rows.iloc[-1]
    previous = rows.iloc[-2] if len(rows) > 1 else None
    currency = fetch("currency")
    st.subheader(f"Headline: {f.month(current['month'])}"
                 + (f" vs {f.month(previous['month'])}" if previous is not None else ""))
    tiles = [
        ("NPS", "nps", "{:.1f}", "loyalty_metrics_monthly.nps", "normal", "points"),
        ("Retention", "retention_rate", "{:.2f}%", "loyalty_metrics_monthly.retention_rate",
         "normal", "pp"),
        ("Churn", "churn_rate", "{:.2f}%", "loyalty_metrics_monthly.churn_rate", "inverse",
         "pp"),
        ("Repeat purchase rate", "repeat_purchase_rate", "{:.2f}%",
         "loyalty_metrics_monthly.repeat_purchase_rate", "normal", "pp"),
        ("Average check", "average_order_value", "{:,.2f} " + currency,
         "loyalty_metrics_monthly.average_order_value", "normal", currency),
    ]
    for column, (title, key, fmt, doc, colour, unit) in zip(st.columns(len(tiles)), tiles,
                                                            strict=True):
        value = current[key]
        shown = "n/a" if pd.isna(value) else fmt.format(value).strip()
        if key == "nps" and not pd.isna(value):
            shown += f" ± {current['nps_margin_of_error']:.1f}"
        delta = None
        if previous is not None and not pd.isna(value) and not pd.isna(previous[key]):
            delta = f"{value - previous[key]:+.2f} {unit}".strip()
        column.metric(title, shown, delta, delta_color=colour, help=docs.get(doc, ""))
    st.caption(f"Active customers at start {int(current['customers_start']):,}, churned "
               f"{int(current['churned_customers']):,}, completed orders "
               f"{int(current['orders']):,}, NPS answers {int(current['nps_responses']):,}. "
               "NPS ± its 95% margin of error; deltas against the previous month (rates in "
               "percentage points, pp).")


def chart_or_note(target: DeltaGenerator, chart: alt.TopLevelMixin, title: str,
                  values: pd.Series, note: str) -> None:
    """The chart, or the note where it has no value to show (it would draw an empty axis
    with one tick at 0)."""
    if values.notna().any():
        target.altair_chart(accessible(chart, title), width="stretch")
    else:
        target.info(note)


def trends(monthly: pd.DataFrame, filters: q.Filters, docs: dict[str, str]) -> None:
    st.subheader("Trends")
    data = monthly[monthly["month"].dt.date >= filters.start_month].copy()
    data["nps_low"] = data["nps"] - data["nps_margin_of_error"]
    data["nps_high"] = data["nps"] + data["nps_margin_of_error"]
    month_axis = alt.X("yearmonth(month):T", title="Month", axis=alt.Axis(format="%Y-%m"))
    tooltip_month = alt.Tooltip("yearmonth(month):T", title="Month", format="%Y-%m")
    left, middle, right = st.columns(3)
    base = alt.Chart(data).encode(x=month_axis)
    band = base.mark_area(opacity=0.25).encode(y=alt.Y("nps_low:Q", title="NPS"),
                                               y2="nps_high:Q")
    line = base.mark_line(point=True).encode(y="nps:Q", tooltip=[
        tooltip_month, alt.Tooltip("nps:Q", title="NPS", format=".1f"),
        alt.Tooltip("nps_margin_of_error:Q", title="± (95%)", format=".1f")])
    chart_or_note(left, band + line, "NPS by month with its 95% band", data["nps"],
                  "No NPS answers in this period.")
    left.caption("NPS by month with its 95% band. " + docs.get("loyalty_metrics_monthly.nps", ""))
    for target, column, title, colour in (
            (middle, "retention_rate", "Retention", "#1f77b4"),
            (right, "churn_rate", "Churn", "#d62728")):
        chart = alt.Chart(data).mark_line(point=True, color=colour).encode(
            x=month_axis, y=alt.Y(f"{column}:Q", title=f"{title} (%)",
                                  scale=alt.Scale(zero=False)),
            tooltip=[tooltip_month, alt.Tooltip(f"{column}:Q", title=f"{title} (%)",
                                                format=".2f")])
        chart_or_note(target, chart, f"{title} rate by month, percent", data[column],
                      "No customers active at a month's start in this period.")
        target.caption(f"{title} by month (own axis). "
                       + docs.get(f"loyalty_metrics_monthly.{column}", ""))


def cohort_heatmap(filters: q.Filters, docs: dict[str, str]) -> None:
    data = section("Cohort retention", "cohorts", "No cohorts in this period.", filters)
    if data is None:
        return
    data["cohort"] = pd.to_datetime(data["cohort_month"]).dt.strftime("%Y-%m")
    st.altair_chart(cohort_chart(data), width="stretch")
    month_one = data[data["months_since_first_order"] == 1]
    first = month_one.iloc[0] if not month_one.empty else data.iloc[0]
    st.caption(f"Cohort {first['cohort']}: {int(first['cohort_size']):,} customers, month "
               f"{int(first['months_since_first_order'])} retention "
               f"{first['retention_rate']:.1f}%. Month 0 is 100% by definition and is left out "
               "of the colour scale. " + docs.get("customer_cohorts.retention_rate", ""))


def churn_reasons(filters: q.Filters, docs: dict[str, str]) -> None:
    st.subheader("Why customers leave")
    not_filtered_badge()
    data = fetch("churn_reasons", filters)
    if data.empty or (data["reason_group"] != "unknown").sum() == 0:
        st.info("No exit-survey reasons in this period.")
        return
    lag = fetch("exit_answer_lag_days")
    as_of = fetch("as_of_date")
    shares, rates = reason_shares(data, lag, as_of)
    left, right = st.columns([3, 2])
    shares_chart, rate_chart = reason_charts(shares, rates)
    left.altair_chart(shares_chart, width="stretch")
    right.altair_chart(rate_chart, width="stretch")
    arriving = rates.loc[rates["still_arriving"], "month"]
    if not arriving.empty:
        st.caption(f"Still collecting exit answers (hatched, paler): churn months "
                   f"{', '.join(f.month(m) for m in arriving)} - exit answers come up to "
                   f"{lag:.0f} days after the churn date (90th percentile).")
    known = data[data["reason_group"] != "unknown"]
    totals = known.groupby("reason_group", as_index=False)["churned_customers"].sum()
    totals["share_of_known_reasons"] = 100.0 * totals["churned_customers"] / totals[
        "churned_customers"].sum()
    show_table(totals.sort_values("churned_customers", ascending=False), "reason_group",
               "churn_reasons")
    churned = int(data["churned_customers"].sum())
    st.caption(f"Shares of the known exit-survey reasons per churn month, and the share of "
               f"churns with a known reason: known for {int(known['churned_customers'].sum()):,}"
               f" of {churned:,} churned customers in the period. "
               + docs.get("churn_reasons_monthly", ""))


def reason_shares(data: pd.DataFrame, lag: float | None,
                  as_of: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per month: each reason group's share of the known reasons, and the known-reason rate
    with the months whose exit answers are still arriving."""
    rates = data.groupby("month", as_index=False).agg(
        churned_customers=("churned_customers", "sum"),
        known_reason_rate=("known_reason_rate", "max"))  # one value per month in the mart
    known = data[data["reason_group"] != "unknown"]
    known_totals = known.groupby("month")["churned_customers"].sum()
    shares = known.assign(share_of_known_reasons=100.0 * known["churned_customers"]
                          / known["month"].map(known_totals))
    month_end = pd.to_datetime(rates["month"]) + pd.offsets.MonthEnd(0)
    rates["still_arriving"] = (month_end + pd.to_timedelta(lag or 0, unit="D")
                               > pd.Timestamp(as_of)) if lag is not None else False
    shares = shares.merge(rates[["month", "still_arriving"]], on="month")
    return shares, rates


def support(docs: dict[str, str]) -> None:
    st.subheader("Support experience and churn")
    not_filtered_badge()
    data = fetch("support_churn")
    if data.empty:
        st.info("No support tickets up to as_of_date.")
        return
    chart = alt.Chart(data).mark_bar().encode(
        x=alt.X("first_response_bucket:N", sort=list(data["first_response_bucket"]),
                title="First response"), y=alt.Y("churn_rate:Q", title="Churn (%)"),
        tooltip=[alt.Tooltip("first_response_bucket:N", title="First response"),
                 alt.Tooltip("customers:Q", title="Customers", format=","),
                 alt.Tooltip("churn_rate:Q", title="Churn (%)", format=".1f"),
                 alt.Tooltip("detractor_rate:Q", title="Detractors (%)", format=".1f")])
    st.altair_chart(accessible(chart, "Churn rate by speed of the first support response"),
                    width="stretch")
    show_table(data, "first_response_bucket", "support_experience_churn")
    st.caption("Whole history up to as_of_date. " + docs.get("support_experience_churn", ""))


def win_back(filters: q.Filters, docs: dict[str, str]) -> None:
    data = section("Win-back campaigns", "campaigns",
                   "No reactivation campaign started in this period.", filters)
    if data is None:
        return
    not_filtered_badge()
    rates = data.melt("campaign_id", ["win_back_rate", "holdout_win_back_rate"], "group",
                      "return_rate")
    rates["group"] = rates["group"].map(f.label)
    chart = alt.Chart(rates).mark_bar().encode(
        x=alt.X("campaign_id:N", title="Campaign"), xOffset="group:N",
        y=alt.Y("return_rate:Q", title="Returned (%)"),
        color=alt.Color("group:N", title="Group", scale=alt.Scale(scheme="category10"),
                        legend=alt.Legend(orient="bottom")),
        opacity=alt.Opacity("group:N", legend=None, scale=alt.Scale(range=[1.0, 0.55])),
        tooltip=[alt.Tooltip("campaign_id:N", title="Campaign"),
                 alt.Tooltip("group:N", title="Group"),
                 alt.Tooltip("return_rate:Q", title="Returned (%)", format=".1f")])
    st.altair_chart(accessible(chart, "Share returning per win-back campaign, contacted vs "
                                      "holdout"), width="stretch")
    show_table(data, "campaign_id", "campaign_effectiveness")
    st.caption("Campaigns starting in the period. "
               + docs.get("campaign_effectiveness.uplift_points", ""))


def lifetime_value(filters: q.Filters, docs: dict[str, str]) -> None:
    bands = section("Customer lifetime value", "clv_by_alive_band",
                    "No CLV model could be fitted on this data (see clv_model_fit).", filters)
    if bands is None:
        return
    distribution = fetch("clv_distribution", filters)
    edges = q.CLV_BUCKETS
    currency = fetch("currency")
    labels = {start: (f"{start:,}-{edges[i + 1]:,}" if i + 1 < len(edges) else f"{start:,}+")
              for i, start in enumerate(edges)}
    axis = f"Predicted CLV, next 365 days ({currency})"
    distribution[axis] = distribution["bucket_start"].map(labels)
    left, right = st.columns(2)
    chart = alt.Chart(distribution).mark_bar().encode(
        x=alt.X(f"{axis}:N", sort=[labels[e] for e in edges]),
        y=alt.Y("customers:Q", title="Customers"),
        tooltip=[alt.Tooltip(f"{axis}:N"), alt.Tooltip("customers:Q", title="Customers",
                                                       format=",")])
    left.altair_chart(accessible(chart, "Customers by predicted 365-day CLV"),
                      width="stretch")
    show_table(bands, "alive_band", "clv_by_alive_band", decimals=2, target=right)
    st.caption("BG/NBD and Gamma-Gamma fitted as of the data's as_of_date (country, channel "
               "and current membership filters apply). "
               + docs.get("customer_clv.predicted_clv_365d", ""))


def rfm(filters: q.Filters, docs: dict[str, str]) -> None:
    st.subheader("RFM segments")
    data = fetch("rfm_segments", filters)
    left, right = st.columns(2)
    order = list(data["rfm_segment"])  # chart and table in the same order: most customers first
    chart = alt.Chart(data).mark_bar().encode(
        x=alt.X("customers:Q", title="Customers"),
        y=alt.Y("rfm_segment:N", sort=order, title="RFM segment",
                axis=alt.Axis(labelOverlap=False)),
        tooltip=[alt.Tooltip("rfm_segment:N", title="RFM segment"),
                 alt.Tooltip("customers:Q", title="Customers", format=","),
                 alt.Tooltip("net_revenue:Q", title="Net revenue", format=",.2f")])
    left.altair_chart(accessible(chart.properties(height=28 * max(len(data), 1)),
                                 "Customers per RFM segment"), width="stretch")
    show_table(data, "rfm_segment", "rfm_segments", decimals=2, target=right)
    st.caption("Customers and lifetime net revenue per segment (country, channel and current "
               "membership filters apply). " + docs.get("dim_customers.rfm_segment", ""))


DRILL_ROWS_SHOWN = 1000


def pick(title: str, options: list[str], wanted: str) -> str:
    """A choice among options, starting at the one the URL names (else the first)."""
    return st.selectbox(title, options, index=options.index(wanted) if wanted in options else 0)


DRILL_KINDS = {"cohort": "Cohort cell", "segment": "RFM segment", "reason": "Exit reason group"}


def drill_down(filters: q.Filters) -> None:
    """The customers behind a figure: a cohort cell, an RFM segment or an exit-reason group
    of the period (drill=cohort:2025-01:3, segment:champions, reason:price in the URL)."""
    st.subheader("Customers behind a figure")
    kind_now, _, value_now = (st.query_params.get("drill") or "").partition(":")
    kinds = list(DRILL_KINDS)
    kind = st.radio("Drill down into", kinds, format_func=DRILL_KINDS.__getitem__,
                    horizontal=True, index=kinds.index(kind_now) if kind_now in kinds else None)
    if kind is None:
        st.caption("Choose what to list: the customers of a cohort cell, an RFM segment or "
                   "an exit-reason group of the selection.")
        return
    if kind == "cohort":
        cells = fetch("cohorts", filters)
        if cells.empty:
            st.info("No cohorts in this period.")
            return
        options = [f"{f.month(c)}:{k}" for c, k in zip(cells["cohort_month"],
                                                      cells["months_since_first_order"],
                                                      strict=True)]
        choice = pick("Cohort month : months since first order", options, value_now)
        cohort, months_since = choice.split(":")
        customers = fetch("customers_of_cohort_cell", filters,
                          pd.Timestamp(cohort).date(), int(months_since))
    elif kind == "segment":
        segments = list(fetch("rfm_segments", filters)["rfm_segment"])
        if not segments:
            st.info("No customer with a purchase in this selection.")
            return
        choice = pick("RFM segment", segments, value_now)
        customers = fetch("customers_of_segment", filters, choice)
    else:
        data = fetch("churn_reasons", filters)
        groups = sorted(set(data["reason_group"]) - {"unknown"})
        if not groups:
            st.info("No exit-survey reasons in this period.")
            return
        choice = pick("Exit reason group", groups, value_now)
        customers = fetch("customers_of_reason", filters, choice)
        st.caption("Customers whose latest churn is in the period and whose last exit answer "
                   "is of this group.")
    st.query_params["drill"] = f"{kind}:{choice}"
    st.write(f"{len(customers):,} customers")
    currency = fetch("currency")
    shown = customers.head(DRILL_ROWS_SHOWN).fillna(
        {c: f.MISSING for c in customers.columns if customers[c].dtype == object})
    if len(customers) > DRILL_ROWS_SHOWN:
        st.caption(f"The first {DRILL_ROWS_SHOWN:,} are listed; the CSV holds all "
                   f"{len(customers):,}.")
    st.dataframe(shown, hide_index=True, height=360, column_config={
        column: st.column_config.Column(f.label(column)) for column in customers.columns} | {
        "net_revenue": st.column_config.NumberColumn(f.label("net_revenue"),
                                                     format=f"%.2f {currency}"),
        "last_order_at": st.column_config.DatetimeColumn(f.label("last_order_at"),
                                                         format="YYYY-MM-DD HH:mm"),
        "churned_at": st.column_config.DateColumn(f.label("churned_at"), format="YYYY-MM-DD"),
    })
    csv_button(st, f"Download these {len(customers):,} customers (CSV)", customers,
               f"customers_{kind}_{choice.replace(':', '_')}.csv", "csv-drill-down")


def customer_360() -> None:
    asked = st.query_params.get("customer", "")
    customer_id = st.text_input("Customer 360: customer id (any case)", value=asked)
    if customer_id.strip():
        st.query_params["customer"] = customer_id.strip()
    elif "customer" in st.query_params:
        del st.query_params["customer"]
    if not customer_id.strip():
        return
    card = fetch("customer_card", customer_id)
    if card is None:
        st.warning(f"No customer {customer_id!r}.")
        return
    fields = ["customer_id", "country", "acquisition_channel", "lifecycle_status",
              "rfm_segment", "orders_count", "net_revenue", "last_order_at", "churned_at",
              "latest_nps_band", "last_exit_reason", "is_loyalty_member", "loyalty_tier",
              "predicted_clv", "probability_alive", "predicted_clv_365d", "health_score",
              "health_band"]
    currency = fetch("currency")
    rows = pd.DataFrame({"field": [f.label(name) for name in fields],
                         "value": [f.cell(name, card[name], currency, 2) for name in fields]})
    show_table(rows, "field", "customer_card")


def main() -> None:
    st.set_page_config(page_title="Loyalty warehouse", layout="wide")
    st.markdown(CSS, unsafe_allow_html=True)
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
    drill_down(filters)
    customer_360()
    st.caption(f"Warehouse: {DATABASE} (read-only). Data up to {f.month(months[-1])}; the "
               "period ends by default with the last complete month.")


main()
