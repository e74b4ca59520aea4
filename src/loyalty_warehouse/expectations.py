"""Great Expectations suites for the public marts: keys, ranges, vocabularies, row counts.

Row-count expectations are relative to the inputs of the same build (staging counts,
the reporting months), so they hold for any data set, not only the default one.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import great_expectations as gx
from great_expectations.expectations import Expectation

from .raw_files import OWN_TIMESTAMP

E = gx.expectations
PERCENT = {"min_value": 0, "max_value": 100}


@dataclass(frozen=True)
class InputCounts:
    customers: int
    orders: int
    responses: int
    tickets: int
    campaigns: int
    months: int
    cohort_cells: int

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection) -> InputCounts:
        def scalar(sql: str) -> int:
            return _scalar(con, sql)

        def clean_rows(table: str) -> int:
            return scalar(_clean_rows_sql(table))

        last_month = "(select max(month) from main.loyalty_metrics_monthly)"
        return cls(
            customers=clean_rows("customers"),
            orders=clean_rows("orders"),
            responses=clean_rows("survey_responses"),
            tickets=clean_rows("support_tickets"),
            campaigns=clean_rows("campaigns"),
            months=scalar(f"select date_diff('month', min(order_month), {last_month}) + 1 "
                          "from main.fct_orders where is_purchase"),
            cohort_cells=scalar(
                f"select sum(date_diff('month', cohort_month, {last_month}) + 1) from "
                "(select distinct cohort_month from main.dim_customers "
                "where cohort_month is not null)"),
        )


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _clean_rows_sql(table: str) -> str:
    """Clean rows the marts see: dated up to as_of_date (or undated). Counted on the base
    table: the stg_ views name their database file, so they do not resolve in a renamed
    copy of it."""
    column = OWN_TIMESTAMP[table]
    return (f"select count(*) from staging.base_{table} "
            f"where quarantine_reason is null and ({column} is null or "
            f"cast({column} as date) <= (select as_of_date from staging.base_as_of_bounds))")


def _key(*columns: str) -> list[Expectation]:
    if len(columns) == 1:
        return [E.ExpectColumnValuesToBeUnique(column=columns[0]),
                E.ExpectColumnValuesToNotBeNull(column=columns[0])]
    return [E.ExpectCompoundColumnsToBeUnique(column_list=list(columns))]


def _percent(*columns: str) -> list[Expectation]:
    return [E.ExpectColumnValuesToBeBetween(column=c, **PERCENT) for c in columns]


def _rows(count: int) -> Expectation:
    return E.ExpectTableRowCountToEqual(value=count)


def suites(n: InputCounts) -> dict[str, list[Expectation]]:
    """Expectations per public mart."""
    return {
        "dim_customers": [
            *_key("customer_id"), _rows(n.customers),
            E.ExpectColumnValuesToBeInSet(column="lifecycle_status", value_set=[
                "prospect", "new", "active", "at_risk", "churned", "reactivated"]),
            E.ExpectColumnValuesToNotBeNull(column="lifecycle_status"),
            E.ExpectColumnValuesToBeBetween(column="health_score", **PERCENT),
            E.ExpectColumnValuesToBeInSet(column="health_band",
                                          value_set=["green", "yellow", "red"]),
            E.ExpectColumnValuesToBeBetween(column="predicted_clv", min_value=0),
            E.ExpectColumnValuesToBeBetween(column="orders_count", min_value=0),
            *[E.ExpectColumnValuesToBeBetween(column=c, min_value=1, max_value=5)
              for c in ("r_score", "f_score", "m_score")],
            # GX has no regex or LIKE for DuckDB: the check is its own query (a raw address,
            # or anything else that is not a SHA-256 hex digest, is an unexpected row).
            E.UnexpectedRowsExpectation(
                description="email_hash is a SHA-256 hex digest, never an address",
                unexpected_rows_query="select customer_id from {batch} where email_hash is "
                                      "not null and not regexp_full_match(email_hash, "
                                      "'[0-9a-f]{{64}}')"),
        ],
        "fct_orders": [
            *_key("order_id"), _rows(n.orders),
            E.ExpectColumnValuesToNotBeNull(column="customer_id"),
            E.ExpectColumnValuesToBeInSet(column="status",
                                          value_set=["completed", "cancelled", "returned"]),
            E.ExpectColumnValuesToBeBetween(column="net_revenue", min_value=0),
            E.ExpectColumnValuesToBeBetween(column="gross_amount", min_value=0),
        ],
        "fct_survey_responses": [
            *_key("response_id"), _rows(n.responses),
            E.ExpectColumnValuesToBeInSet(column="survey_type",
                                          value_set=["nps", "csat", "ces", "exit"]),
            E.ExpectColumnValuesToBeInSet(column="nps_band",
                                          value_set=["promoter", "passive", "detractor"]),
            E.ExpectColumnValuesToBeBetween(column="score", min_value=0, max_value=10),
        ],
        "fct_support_tickets": [
            *_key("ticket_id"), _rows(n.tickets),
            E.ExpectColumnValuesToBeBetween(column="first_response_hours", min_value=0),
            E.ExpectColumnValuesToBeBetween(column="resolution_hours", min_value=0),
            E.ExpectColumnValuesToNotBeNull(column="first_response_bucket"),
        ],
        "loyalty_metrics_monthly": [
            *_key("month"), _rows(n.months),
            *_percent("retention_rate", "churn_rate", "repeat_purchase_rate", "return_rate",
                      "csat_rate", "first_contact_resolution_rate", "repeat_contact_rate",
                      "sla_breach_rate", "bot_resolution_share", "churn_reason_known_rate"),
            E.ExpectColumnValuesToBeBetween(column="nps", min_value=-100, max_value=100),
            E.ExpectColumnValuesToBeBetween(column="nps_margin_of_error", min_value=0),
            E.ExpectColumnValuesToBeBetween(column="customers_start", min_value=0),
            E.ExpectColumnValuesToBeBetween(column="customers_end", min_value=0),
            E.ExpectColumnValuesToNotBeNull(column="is_partial_month"),
        ],
        "customer_cohorts": [
            *_key("cohort_month", "months_since_first_order"), _rows(n.cohort_cells),
            *_percent("retention_rate"),
            E.ExpectColumnValuesToBeBetween(column="cohort_size", min_value=1),
            E.ExpectColumnValuesToBeBetween(column="months_since_first_order", min_value=0),
        ],
        "churn_reasons_monthly": [
            *_key("month", "reason_code"),
            E.ExpectTableRowCountToBeBetween(min_value=0, max_value=n.months * 12),
            *_percent("share_of_churned_rate", "share_of_known_reasons_rate", "known_reason_rate"),
        ],
        "campaign_effectiveness": [
            *_key("campaign_id"), _rows(n.campaigns),
            *_percent("win_back_rate", "holdout_win_back_rate"),
            E.ExpectColumnValuesToBeBetween(column="uplift_points", min_value=-100, max_value=100),
        ],
        "loyalty_program_monthly": [
            *_key("month", "is_member"), _rows(2 * n.months),
            *_percent("repeat_purchase_rate", "churn_rate"),
            E.ExpectColumnValuesToBeBetween(column="redemption_rate", min_value=0),
        ],
        "nps_band_behaviour": [
            *_key("latest_nps_band"),
            E.ExpectTableRowCountToBeBetween(min_value=0, max_value=3),
            *_percent("repeat_purchase_rate", "churn_rate"),
        ],
        "support_experience_churn": [
            *_key("first_response_bucket"),
            E.ExpectTableRowCountToBeBetween(min_value=0, max_value=6),
            *_percent("churn_rate", "detractor_rate"),
        ],
        "loyalty_segments_monthly": [
            *_key("month", "country", "acquisition_channel", "is_loyalty_member"),
            *[E.ExpectColumnValuesToNotBeNull(column=c)
              for c in ("month", "country", "acquisition_channel", "is_loyalty_member")],
            *[E.ExpectColumnValuesToBeBetween(column=c, min_value=0) for c in (
                "customers_start", "churned_customers", "customers_end", "orders",
                "nps_responses", "customers_with_purchase")],
        ],
        "customer_cohorts_by_segment": [
            *_key("cohort_month", "months_since_first_order", "country", "acquisition_channel",
                  "is_loyalty_member"),
            E.ExpectColumnValuesToBeBetween(column="cohort_size", min_value=1),
            E.ExpectColumnValuesToBeBetween(column="active_customers", min_value=0),
        ],
    }
