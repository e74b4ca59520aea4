"""The dashboard's charts: readable axes (13 px, dark grey: about 10:1 contrast on white),
legends under the chart (they take no width on a phone), series told apart by colour
and shape or dash, and an accessible name on every chart."""

from __future__ import annotations

import altair as alt
import pandas as pd

TEXT = "#333333"  # on white: contrast 12.6:1 (WCAG AA asks 4.5:1)
FONT_SIZE = 13
YES_NO = "datum.label == 'true' ? 'yes' : 'no'"


def accessible(chart: alt.TopLevelMixin, description: str) -> alt.TopLevelMixin:
    """The chart with an accessible name (Vega sets it as the aria-label of the chart) and
    the readable axis and legend settings."""
    return chart.properties(description=description).configure_axis(
        labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE, labelColor=TEXT, titleColor=TEXT,
    ).configure_legend(
        labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE, labelColor=TEXT, titleColor=TEXT,
        orient="bottom", direction="horizontal", columns=3, labelLimit=160,
    ).configure_view(strokeWidth=0)


def cohort_chart(data: pd.DataFrame) -> alt.TopLevelMixin:
    """Retention per cohort and month, the value written in each cell. Month 0 (100% by
    definition) is drawn grey, outside the colour scale, so the scale shows the months that
    differ; a one-month selection still gets a readable legend."""
    later = data[data["months_since_first_order"] > 0]
    top = float(later["retention_rate"].max()) if not later.empty else 100.0
    base = alt.Chart(data).encode(
        x=alt.X("months_since_first_order:O", title="Months since first order"),
        y=alt.Y("cohort:O", title="Cohort month"),
        tooltip=[alt.Tooltip("cohort:N", title="Cohort"),
                 alt.Tooltip("months_since_first_order:Q", title="Months since first order"),
                 alt.Tooltip("cohort_size:Q", title="Cohort size", format=","),
                 alt.Tooltip("active_customers:Q", title="Active customers", format=","),
                 alt.Tooltip("retention_rate:Q", title="Retention (%)", format=".1f")])
    month_zero = base.transform_filter("datum.months_since_first_order == 0").mark_rect(
        color="#d9d9d9")
    cells = base.transform_filter("datum.months_since_first_order > 0").mark_rect().encode(
        color=alt.Color("retention_rate:Q", title="Retention (%)",
                        scale=alt.Scale(scheme="blues", domain=[0, max(top, 1.0)]),
                        legend=alt.Legend(format=".0f", gradientLength=220)))
    labels = base.mark_text(fontSize=11).encode(
        text=alt.Text("retention_rate:Q", format=".0f"),
        color=alt.condition(f"datum.retention_rate > {top * 0.6} && "
                            "datum.months_since_first_order > 0",
                            alt.value("white"), alt.value(TEXT)))
    return accessible(month_zero + cells + labels,
                      "Cohort retention heatmap: percent of each cohort active per month")


def reason_charts(shares: pd.DataFrame,
                  rates: pd.DataFrame) -> tuple[alt.TopLevelMixin, alt.TopLevelMixin]:
    """Shares of the known reasons per churn month (stacked to 100%) and the share of churns
    with a known reason; months still collecting answers are paler and hatched by a dashed
    outline."""
    month_axis = alt.X("yearmonth(month):T", title="Churn month", axis=alt.Axis(format="%Y-%m"))
    tooltip_month = alt.Tooltip("yearmonth(month):T", title="Churn month", format="%Y-%m")
    arriving = alt.condition("datum.still_arriving", alt.value(0.45), alt.value(1.0))
    stacked = alt.Chart(shares).mark_bar(strokeWidth=1.5).encode(
        x=month_axis,
        y=alt.Y("share_of_known_reasons:Q", title="Share of known reasons (%)",
                stack="zero", scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("reason_group:N", title="Reason group",
                        scale=alt.Scale(scheme="category10")),
        opacity=arriving,
        strokeDash=alt.condition("datum.still_arriving", alt.value([3, 2]), alt.value([0])),
        stroke=alt.condition("datum.still_arriving", alt.value(TEXT), alt.value(None)),
        tooltip=[tooltip_month, alt.Tooltip("reason_group:N", title="Reason group"),
                 alt.Tooltip("churned_customers:Q", title="Churned customers", format=","),
                 alt.Tooltip("share_of_known_reasons:Q", title="Share of known reasons (%)",
                             format=".1f"),
                 alt.Tooltip("still_arriving:N", title="Answers still arriving")])
    rate_line = alt.Chart(rates).mark_line(color=TEXT).encode(
        x=month_axis, y=alt.Y("known_reason_rate:Q", title="Churns with a known reason (%)"))
    rate_points = alt.Chart(rates).mark_point(filled=True, size=70).encode(
        x=month_axis, y="known_reason_rate:Q",
        shape=alt.Shape("still_arriving:N", title="Answers still arriving",
                        scale=alt.Scale(domain=[False, True], range=["circle", "triangle"]),
                        legend=alt.Legend(labelExpr=YES_NO)),
        color=alt.Color("still_arriving:N", title="Answers still arriving",
                        scale=alt.Scale(domain=[False, True], range=[TEXT, "#d62728"]),
                        legend=alt.Legend(labelExpr=YES_NO)),
        tooltip=[tooltip_month,
                 alt.Tooltip("known_reason_rate:Q", title="Known reason (%)", format=".1f"),
                 alt.Tooltip("churned_customers:Q", title="Churned customers", format=","),
                 alt.Tooltip("still_arriving:N", title="Answers still arriving")])
    return (accessible(stacked, "Share of each exit-reason group among churns with a known "
                                "reason, by churn month"),
            accessible(rate_line + rate_points, "Share of churns with a known exit reason, by "
                                                "churn month"))
