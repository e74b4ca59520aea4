"""How the dashboard writes numbers, dates and names: for people, not for SQL."""

from __future__ import annotations

import math
from datetime import date, datetime

import pandas as pd

MISSING = "—"

# column names as readers see them (tables, legends, axes, tooltips)
LABELS = {
    "month": "Month", "cohort": "Cohort", "cohort_month": "Cohort month",
    "months_since_first_order": "Months since first order", "cohort_size": "Cohort size",
    "active_customers": "Active customers", "retention_rate": "Retention",
    "churn_rate": "Churn", "reason_group": "Reason group",
    "churned_customers": "Churned customers", "share_of_known_reasons": "Share of known reasons",
    "known_reason_rate": "Churns with a known reason",
    "first_response_bucket": "First response", "customers": "Customers",
    "churned_after_ticket": "Churned after the ticket", "detractor_rate": "Detractors",
    "campaign_id": "Campaign", "campaign_name": "Name", "starts_at": "Starts",
    "contacted_customers": "Contacted", "win_back_rate": "Returned (contacted)",
    "holdout_customers": "Holdout", "holdout_win_back_rate": "Returned (holdout)",
    "uplift_points": "Uplift", "rfm_segment": "RFM segment", "net_revenue": "Net revenue",
    "alive_band": "Alive band", "mean_probability_alive": "Mean P(alive)",
    "expected_purchases_365d": "Expected purchases, 365 days",
    "predicted_clv_365d": "Predicted CLV, 365 days", "customer_id": "Customer",
    "country": "Country", "acquisition_channel": "Acquisition channel",
    "lifecycle_status": "Lifecycle status", "orders_count": "Completed orders",
    "last_order_at": "Last order", "latest_nps_band": "Latest NPS band",
    "is_loyalty_member": "Loyalty member", "loyalty_tier": "Tier",
    "predicted_clv": "Predicted CLV (segment churn)", "probability_alive": "P(alive)",
    "health_score": "Health score", "health_band": "Health band",
    "last_exit_reason": "Last exit reason", "field": "Field", "value": "Value",
    "metric": "Metric", "percent": "Percent", "nps": "NPS",
    "nps_margin_of_error": "NPS margin of error (95%)", "churned_at": "Churned on",
}

RATES = {"retention_rate", "churn_rate", "share_of_known_reasons", "known_reason_rate",
         "detractor_rate", "win_back_rate", "holdout_win_back_rate", "percent"}
POINTS = {"uplift_points"}
MONEY = {"net_revenue", "predicted_clv_365d", "predicted_clv", "average_order_value"}
DATES = {"starts_at", "last_order_at", "churned_at", "month", "cohort_month"}


def label(column: str) -> str:
    return LABELS.get(column, column.replace("_", " ").capitalize())


def is_missing(value: object) -> bool:
    if value is None or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def rate(value: object, decimals: int = 1) -> str:
    return MISSING if is_missing(value) else f"{float(value):,.{decimals}f}%"  # type: ignore[arg-type]


def points(value: object, decimals: int = 1) -> str:
    return MISSING if is_missing(value) else f"{float(value):+,.{decimals}f} pp"  # type: ignore[arg-type]


def money(value: object, currency: str, decimals: int = 2) -> str:
    return MISSING if is_missing(value) else f"{float(value):,.{decimals}f} {currency}"  # type: ignore[arg-type]


def when(value: object) -> str:
    if is_missing(value):
        return MISSING
    stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    return stamp.strftime("%Y-%m-%d") if stamp == stamp.normalize() else \
        stamp.strftime("%Y-%m-%d %H:%M")


def month(value: object) -> str:
    return MISSING if is_missing(value) else pd.Timestamp(value).strftime("%Y-%m")  # type: ignore[arg-type]


def cell(column: str, value: object, currency: str, decimals: int = 1) -> str:
    """One table cell: rates with %, points with pp, money with the currency, counts with
    thousands separators, dates as dates, yes/no for booleans, a dash for nothing."""
    if is_missing(value):
        return MISSING
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if column in RATES:
        return rate(value, decimals)
    if column in POINTS:
        return points(value, decimals)
    if column in MONEY:
        return money(value, currency)
    if column in ("month", "cohort_month"):
        return month(value)
    if isinstance(value, pd.Timestamp | datetime | date):
        return when(value)
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()
                                  and decimals == 0):
        return f"{int(value):,}"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:,.{decimals}f}"
    return str(value)


def is_numeric(column: str, values: pd.Series) -> bool:
    return column in RATES | POINTS | MONEY or pd.api.types.is_numeric_dtype(values) \
        and not pd.api.types.is_bool_dtype(values)
