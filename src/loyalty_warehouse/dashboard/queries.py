"""Every query the dashboard runs: marts only, aggregated in DuckDB, filtered by segment.

Rates are computed from summed counts of the selected segments (loyalty_segments_monthly,
customer_cohorts_by_segment), with the formulas of SPEC section 4, so a filtered rate is
the rate of the selection, never an average of segment rates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb
import pandas as pd

MEMBERSHIP = {"all": None, "members": True, "non_members": False}


@dataclass(frozen=True)
class Filters:
    start_month: date
    end_month: date
    countries: tuple[str, ...] = field(default=())
    channels: tuple[str, ...] = field(default=())
    membership: str = "all"

    def segment_sql(self, prefix: str = "") -> tuple[str, list[object]]:
        """A where-clause fragment (always valid) and its parameters."""
        clauses, params = ["true"], []
        if self.countries:
            clauses.append(f"list_contains(?, {prefix}country)")
            params.append(list(self.countries))
        if self.channels:
            clauses.append(f"list_contains(?, {prefix}acquisition_channel)")
            params.append(list(self.channels))
        if MEMBERSHIP[self.membership] is not None:
            clauses.append(f"{prefix}is_loyalty_member = ?")
            params.append(MEMBERSHIP[self.membership])
        return " and ".join(clauses), params


def connect(database: str) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(database, read_only=True)


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: list[object]) -> pd.DataFrame:
    return con.execute(sql, params).df()


def months(con: duckdb.DuckDBPyConnection) -> list[date]:
    rows = con.execute("select month from main.loyalty_metrics_monthly order by month").fetchall()
    return [row[0] for row in rows]


def last_complete_month(con: duckdb.DuckDBPyConnection) -> date:
    """The default end of the period: the month of as_of_date is often only days old."""
    row = con.execute("""
        select coalesce(max(case when not is_partial_month then month end), max(month))
        from main.loyalty_metrics_monthly""").fetchone()
    return row[0]


def segment_values(con: duckdb.DuckDBPyConnection, column: str) -> list[str]:
    assert column in ("country", "acquisition_channel")
    rows = con.execute(f"select distinct {column} from main.loyalty_segments_monthly "
                       f"order by 1").fetchall()
    return [row[0] for row in rows]


def monthly(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Per month from the month before start_month to end_month: counts and rates."""
    where, params = filters.segment_sql()
    return _frame(con, f"""
        with counts as (
            select
                month,
                sum(customers_start) as customers_start,
                sum(churned_customers) as churned_customers,
                sum(customers_end) as customers_end,
                sum(customers_with_purchase) as customers_with_purchase,
                sum(customers_with_repeat_purchase) as customers_with_repeat_purchase,
                sum(orders) as orders,
                sum(net_revenue) as net_revenue,
                sum(nps_responses) as nps_responses,
                sum(promoters) as promoters,
                sum(detractors) as detractors
            from main.loyalty_segments_monthly
            where {where}
                and month between ? - interval 1 month and ?
            group by month
        ),

        shares as (
            select
                *,
                1.0 * promoters / nullif(nps_responses, 0) as p,
                1.0 * detractors / nullif(nps_responses, 0) as d
            from counts
        )

        select
            month,
            customers_start,
            churned_customers,
            customers_end,
            orders,
            nps_responses,
            100.0 * (customers_start - churned_customers) / nullif(customers_start, 0)
                as retention_rate,
            100.0 * churned_customers / nullif(customers_start, 0) as churn_rate,
            100.0 * customers_with_repeat_purchase / nullif(customers_with_purchase, 0)
                as repeat_purchase_rate,
            cast(net_revenue as double) / nullif(orders, 0) as average_order_value,
            100.0 * (p - d) as nps,
            1.96 * 100 * sqrt(greatest(p + d - power(p - d, 2), 0) / nps_responses)
                as nps_margin_of_error
        from shares
        order by month
    """, [*params, filters.start_month, filters.end_month])


def cohorts(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    where, params = filters.segment_sql()
    return _frame(con, f"""
        select
            cohort_month,
            months_since_first_order,
            cast(sum(cohort_size) as bigint) as cohort_size,
            cast(sum(active_customers) as bigint) as active_customers,
            100.0 * sum(active_customers) / sum(cohort_size) as retention_rate
        from main.customer_cohorts_by_segment
        where {where} and cohort_month between ? and ?
        group by cohort_month, months_since_first_order
        order by cohort_month, months_since_first_order
    """, [*params, filters.start_month, filters.end_month])


def churn_reasons(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    return _frame(con, """
        select month, reason_group, cast(sum(churned_customers) as bigint) as churned_customers,
            max(known_reason_rate) as known_reason_rate
        from main.churn_reasons_monthly
        where month between ? and ?
        group by month, reason_group
        order by month, reason_group
    """, [filters.start_month, filters.end_month])


def support_churn(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return _frame(con, """
        select first_response_bucket, customers, churned_after_ticket, churn_rate,
            detractor_rate
        from main.support_experience_churn
        order by bucket_order
    """, [])


def campaigns(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    return _frame(con, """
        select campaign_id, campaign_name, starts_at, contacted_customers,
            win_back_rate, holdout_customers, holdout_win_back_rate, uplift_points
        from main.campaign_effectiveness
        where campaign_type = 'reactivation'
            and cast(date_trunc('month', starts_at) as date) between ? and ?
        order by starts_at, campaign_id
    """, [filters.start_month, filters.end_month])


def rfm_segments(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Customers and revenue per RFM segment; membership here is the current one."""
    where, params = filters.segment_sql()
    return _frame(con, f"""
        select
            rfm_segment,
            count(*) as customers,
            cast(sum(net_revenue) as double) as net_revenue
        from main.dim_customers
        where {where} and rfm_segment is not null
        group by rfm_segment
        order by customers desc, rfm_segment
    """, params)


def clv_by_alive_band(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Probabilistic CLV (customer_clv) of the selected customers, by alive band."""
    where, params = filters.segment_sql("customers.")
    return _frame(con, f"""
        select
            clv.alive_band,
            count(*) as customers,
            avg(clv.probability_alive) as mean_probability_alive,
            sum(clv.expected_purchases_365d) as expected_purchases_365d,
            cast(sum(clv.predicted_clv_365d) as double) as predicted_clv_365d
        from main.customer_clv as clv
        inner join main.dim_customers as customers on clv.customer_id = customers.customer_id
        where {where} and clv.alive_band is not null
        group by clv.alive_band
        order by mean_probability_alive desc
    """, params)


CLV_BUCKETS = [0, 25, 50, 100, 250, 500]


def clv_distribution(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Customers per bucket of predicted_clv_365d (lower edge inclusive)."""
    where, params = filters.segment_sql("customers.")
    edges = ", ".join(str(edge) for edge in CLV_BUCKETS)
    return _frame(con, f"""
        with bucketed as (
            select list_last(list_filter([{edges}], lambda e: e <= clv.predicted_clv_365d))
                as bucket_start
            from main.customer_clv as clv
            inner join main.dim_customers as customers
                on clv.customer_id = customers.customer_id
            where {where} and clv.predicted_clv_365d is not null
        )
        select bucket_start, count(*) as customers
        from bucketed
        group by bucket_start
        order by bucket_start
    """, params)


def customer_card(con: duckdb.DuckDBPyConnection, customer_id: str) -> dict[str, object] | None:
    """One customer by id, in any case (keys are unique without case, SPEC 3.7)."""
    frame = _frame(con, "select * from main.dim_customers where lower(customer_id) = lower(?)",
                   [customer_id.strip()])
    return None if frame.empty else frame.iloc[0].to_dict()


def currency(con: duckdb.DuckDBPyConnection) -> str:
    """The data set's one currency (SPEC 3.2)."""
    row = con.execute("select min(currency) from main.fct_orders").fetchone()
    return row[0] if row and row[0] else ""


def as_of_date(con: duckdb.DuckDBPyConnection) -> date:
    row = con.execute("select max(period_end_date) from main.loyalty_metrics_monthly").fetchone()
    return row[0]


def exit_answer_lag_days(con: duckdb.DuckDBPyConnection) -> float | None:
    """How late exit answers come: the 90th percentile of days from a customer's churn
    date to their exit answer. Churn months closer to as_of_date than this are still
    collecting reasons."""
    row = con.execute("""
        select quantile_cont(date_diff('day', customers.churned_at,
                                       cast(answers.responded_at as date)), 0.9)
        from main.fct_survey_responses as answers
        inner join main.dim_customers as customers on answers.customer_id = customers.customer_id
        where answers.survey_type = 'exit' and customers.churned_at is not null
            and cast(answers.responded_at as date) >= customers.churned_at - interval 365 day
    """).fetchone()
    return None if row is None or row[0] is None else float(row[0])


DRILL_COLUMNS = """customers.customer_id, customers.country, customers.acquisition_channel,
    customers.lifecycle_status, customers.orders_count,
    cast(customers.net_revenue as double) as net_revenue, customers.last_order_at,
    customers.rfm_segment, customers.last_exit_reason, customers.churned_at"""


def customers_of_cohort_cell(con: duckdb.DuckDBPyConnection, filters: Filters,
                             cohort_month: date, months_since_first_order: int) -> pd.DataFrame:
    """The customers behind a cohort cell: of the cohort, those with a completed order in
    its month `months_since_first_order`."""
    where, params = filters.segment_sql("customers.")
    return _frame(con, f"""
        select {DRILL_COLUMNS}
        from main.dim_customers as customers
        where {where} and customers.cohort_month = ?
            and exists (
                select 1 from main.fct_orders as orders
                where orders.customer_id = customers.customer_id and orders.is_purchase
                    and orders.order_month = customers.cohort_month + to_months(?))
        order by customers.customer_id
    """, [*params, cohort_month, months_since_first_order])


def customers_of_segment(con: duckdb.DuckDBPyConnection, filters: Filters,
                         segment: str) -> pd.DataFrame:
    where, params = filters.segment_sql("customers.")
    return _frame(con, f"""
        select {DRILL_COLUMNS}
        from main.dim_customers as customers
        where {where} and customers.rfm_segment = ?
        order by customers.net_revenue desc, customers.customer_id
    """, [*params, segment])


def customers_of_reason(con: duckdb.DuckDBPyConnection, filters: Filters,
                        reason_group: str) -> pd.DataFrame:
    """Customers whose latest churn falls in the period and whose last exit answer is of
    the reason group."""
    where, params = filters.segment_sql("customers.")
    return _frame(con, f"""
        select {DRILL_COLUMNS}
        from main.dim_customers as customers
        inner join main.churn_reasons_monthly as reasons
            on customers.last_exit_reason = reasons.reason_code
            and date_trunc('month', customers.churned_at) = reasons.month
        where {where} and reasons.reason_group = ?
            and reasons.month between ? and ?
        order by customers.churned_at, customers.customer_id
    """, [*params, reason_group, filters.start_month, filters.end_month])


def definitions(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The model docs dbt persisted as comments: 'model' and 'model.column' -> text."""
    rows = con.execute("""
        select table_name, comment from duckdb_tables()
        where schema_name = 'main' and comment is not null
        union all
        select table_name || '.' || column_name, comment from duckdb_columns()
        where schema_name = 'main' and comment is not null
    """).fetchall()
    return dict(rows)
