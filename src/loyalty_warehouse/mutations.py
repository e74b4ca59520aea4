"""Mutation checks: apply realistic formula mistakes, one at a time, to a scratch copy of
the project and prove the test suite catches each one.

A mutation is caught when `dbt build` fails (a data test, unit test or contract) or,
failing that, when the mutation's pytest checks fail (by default those that recompute the
marts from raw data; the semantic layer and the dashboard have their own).

The baseline project is built once, whole. A mutant is applied in the baseline's folder
(restored after) on a fresh copy of the baseline's database, and rebuilds only what the
mutation changed and everything downstream of it
(`dbt build --select state:modified+ --state <baseline>`, full refresh so incremental
models recompute), with every test and unit test of those nodes; its pytest checks then
read that database instead of building the project again.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import preloaded

# mutants at once: one per core, as pytest's workers (bin/warehouse); three on 2 cores took
# 582 s against about 430 s for two
WORKERS = int(os.environ.get("LOYALTY_TEST_WORKERS") or os.cpu_count() or 1)
RECOMPUTE = "tests/python/test_recompute.py"
# the recomputation of one mart (on the default seeds, then on the edge data)
SUPPORT_CHURN = f"{RECOMPUTE}::test_support_experience_churn_recomputed"
CHURN_REASONS = f"{RECOMPUTE}::test_churn_reasons_monthly_recomputed"
SEGMENTS = f"{RECOMPUTE}::test_loyalty_segments_monthly_recomputed"
PROGRAMME = f"{RECOMPUTE}::test_loyalty_program_monthly_recomputed"
COHORTS = f"{RECOMPUTE}::test_customer_cohorts_recomputed"
CUSTOMERS = f"{RECOMPUTE}::test_dim_customers_and_nps_band_behaviour_recomputed"
MONTHLY = f"{RECOMPUTE}::test_loyalty_metrics_monthly_recomputed"
# a folder typed as pandas writes a real data set (numeric keys, scores and amounts)
PANDAS_TYPED = "test_numbers_typed_by_pandas_read_as_their_values"
# a table's history as CSV and its newer batches as typed Parquet
CSV_BESIDE_PARQUET = "test_a_table_split_between_csv_and_parquet_reads_as_if_it_were_all_parquet"


@dataclass(frozen=True)
class Mutation:
    name: str
    path: str
    before: str
    after: str
    mistake: str
    checks: str = "tests/python/test_marts.py"
    # dbt cannot see a change in the Python package its Python models import: name the
    # models to rebuild for such a mutation
    rebuild: str | None = None
    # the mistake shows only across batches or in an incremental run, which the checks
    # build themselves: the full-refresh build of the seeds before them would be wasted
    seeds_build_blind: bool = False


MUTATIONS = [
    Mutation("incremental_keeps_unknown_customers", "macros/incremental.sql",
             "quarantine_reason in ('future_timestamp', 'unknown_customer')",
             "quarantine_reason = 'future_timestamp'",
             "an incremental run does not re-check rows quarantined for an unknown customer "
             "when the customer arrives later", "tests/python/test_incremental.py",
             seeds_build_blind=True),
    Mutation("earliest_batch_wins", "macros/staging_columns.sql",
             "when {{ source_file }} < max({{ source_file }}) over (",
             "when {{ source_file }} > min({{ source_file }}) over (",
             "a correction in a later batch loses to the first version of the row",
             "tests/python/test_incremental.py", seeds_build_blind=True),
    Mutation("open_month_not_recomputed", "macros/incremental.sql",
             "{%- if open_months %}", "{%- if open_months and false %}",
             "an incremental run recomputes changed customers only, not the month whose "
             "end state as_of_date moves", "tests/python/test_incremental.py",
             seeds_build_blind=True),
    Mutation("ticket_response_never_revealed", "macros/incremental.sql",
             "{%- if revealed_later %}", "{%- if revealed_later and false %}",
             "an incremental run keeps a ticket unanswered although its response, after the "
             "previous as_of_date, is known now", "tests/python/test_incremental.py",
             seeds_build_blind=True),
    Mutation("touch_of_unknown_campaign_kept", "macros/staging_columns.sql",
             "case when {{ cte }}.{{ column }} is null then 'unknown_value' end",
             "case when false then 'unknown_value' end",
             "a campaign touch naming a campaign we do not know passes as clean"),
    Mutation("nps_bands_shifted", "macros/business_rules.sql",
             "{{ score }} >= 9 then 'promoter'", "{{ score }} >= 8 then 'promoter'",
             "NPS bands shifted by one: 8 counted as a promoter"),
    Mutation("detractors_0_to_7", "macros/business_rules.sql",
             "{{ score }} >= 7 then 'passive'", "{{ score }} >= 8 then 'passive'",
             "detractors 0-7 instead of 0-6"),
    Mutation("retention_bulgarian_misprint", "models/marts/loyalty/loyalty_metrics_monthly.sql",
             "pct('customers_end - new_customers - reactivated_customers', 'customers_start')",
             "pct('customers_start - new_customers - reactivated_customers', 'customers_start')",
             "retention as (S - N) / S, as misprinted in the Bulgarian source"),
    Mutation("churn_window_off_by_one", "models/intermediate/int_orders.sql",
             "'order_date') }} > {{ churn_window_days() }}",
             "'order_date') }} >= {{ churn_window_days() }}",
             "a gap of exactly W days counted as a churn"),
    Mutation("repeat_customer_one_order", "models/marts/core/dim_customers.sql",
             "coalesce(purchases.orders_count >= 2, false) as is_repeat_customer",
             "coalesce(purchases.orders_count >= 1, false) as is_repeat_customer",
             "repeat customers as >= 1 order"),
    Mutation("aov_includes_cancelled", "models/intermediate/int_orders.sql",
             "when status = 'completed' then gross_amount - discount_amount - refunded_amount",
             "when status in ('completed', 'cancelled') "
             "then gross_amount - discount_amount - refunded_amount",
             "cancelled orders carry revenue and enter the average check"),
    Mutation("refunds_ignored", "models/intermediate/int_orders.sql",
             "then gross_amount - discount_amount - refunded_amount",
             "then gross_amount - discount_amount",
             "net revenue ignores partial refunds"),
    Mutation("cohort_from_signup", "models/marts/loyalty/customer_cohorts.sql",
             "select * from {{ ref('int_customer_purchase_summary') }}",
             "select summary.* replace ({{ month_of('signup.created_at') }} as cohort_month) "
             "from {{ ref('int_customer_purchase_summary') }} as summary "
             "inner join {{ ref('stg_customers') }} as signup using (customer_id)",
             "cohort month taken from signup instead of the first order"),
    Mutation("nps_every_answer_counted", "models/intermediate/int_survey_responses.sql",
             "coalesce(nps_rank_in_month = 1, false) as is_counted_nps",
             "coalesce(nps_rank_in_month >= 1, false) as is_counted_nps",
             "every NPS answer counted, not one per customer and month"),
    Mutation("churn_rate_over_end_base", "models/marts/loyalty/loyalty_metrics_monthly.sql",
             "pct('churned_customers', 'customers_start')",
             "pct('churned_customers', 'customers_end')",
             "churn rate divided by the end-of-month base"),
    Mutation("reactivations_counted_as_new", "models/intermediate/int_customer_months.sql",
             "not spells.is_reactivation\n        and {{ month_of",
             "{{ month_of",
             "reactivated customers also counted as new"),
    Mutation("active_window_inclusive", "models/intermediate/int_customer_months.sql",
             "and spells.churn_date > months.period_end_date as is_active_at_end",
             "and spells.churn_date >= months.period_end_date as is_active_at_end",
             "a customer still counted active on their churn date"),
    Mutation("nps_margin_z_90", "models/marts/loyalty/loyalty_metrics_monthly.sql",
             "cast(1.96 * 100 * sqrt(greatest(", "cast(1.645 * 100 * sqrt(greatest(",
             "margin of error at 90% instead of 95%"),
    Mutation("quality_rate_over_tickets", "models/marts/loyalty/loyalty_metrics_monthly.sql",
             "pct('quality_tickets', 'orders')", "pct('quality_tickets', 'tickets')",
             "quality complaints divided by tickets instead of orders"),
    Mutation("zero_denominator_as_zero", "macros/business_rules.sql",
             "(100 * cast({{ numerator }} as double) / nullif({{ denominator }}, 0))",
             "coalesce(100 * cast({{ numerator }} as double) / nullif({{ denominator }}, 0), 0)",
             "ratios 0 instead of NULL when the denominator is 0"),
    Mutation("cohort_cell_after_as_of", "models/intermediate/int_months.sql",
             "<= bounds.last_month", "<= {{ add_months('bounds.last_month', 1) }}",
             "a month after as_of_date reported"),
    Mutation("segment_repeat_before_month_end", "models/marts/loyalty/loyalty_segments_monthly.sql",
             "buyer_groups.repeat_buyer_from_month <= months.month",
             "buyer_groups.repeat_buyer_from_month < months.month",
             "segment counts take repeat buyers from the month after their second order"),
    Mutation("semantic_nps_promoter_share", "models/semantic/_semantic__metrics.yml",
             "expr: 100.0 * (promoters - detractors) / nullif(nps_responses, 0)",
             "expr: 100.0 * promoters / nullif(nps_responses, 0)",
             "MetricFlow NPS as the promoter share", "tests/python/test_semantic_layer.py"),
    Mutation("response_bucket_1h_inclusive", "macros/business_rules.sql",
             "{{ hours }} < 1 then '< 1 h'", "{{ hours }} <= 1 then '< 1 h'",
             "a first response after exactly one hour counted as under an hour"),
    Mutation("response_bucket_3_days_inclusive", "macros/business_rules.sql",
             "{{ hours }} < 72 then '1-3 days'", "{{ hours }} <= 72 then '1-3 days'",
             "a first response after exactly 72 hours counted in 1-3 days"),
    Mutation("sla_breached_at_exactly_24h", "models/intermediate/int_support_tickets.sql",
             "then first_response_hours > {{ positive_var('sla_first_response_hours') }}",
             "then first_response_hours >= {{ positive_var('sla_first_response_hours') }}",
             "a response after exactly the SLA hours counted as a breach"),
    Mutation("repeat_contact_window_exclusive", "models/intermediate/int_support_tickets.sql",
             "previous_ticket_opened_at >= {{ dbt.dateadd('day', -30, 'opened_at') }}",
             "previous_ticket_opened_at > {{ dbt.dateadd('day', -30, 'opened_at') }}",
             "a ticket exactly 30 days after the previous one not counted as a repeat contact"),
    Mutation("first_contact_resolution_ignores_reopens",
             "models/intermediate/int_support_tickets.sql",
             "and contacts_count = 1 and reopened_count = 0", "and contacts_count = 1",
             "a reopened ticket counted as resolved at first contact"),
    Mutation("new_customer_for_31_days", "models/marts/core/dim_customers.sql",
             "when days_since_first_order < 30 then 'new'",
             "when days_since_first_order <= 30 then 'new'",
             "a customer whose first order is exactly 30 days old still new"),
    Mutation("at_risk_at_exactly_half_the_window", "models/marts/core/dim_customers.sql",
             "when days_since_last_order > {{ churn_window_days() }} / 2.0 then 'at_risk'",
             "when days_since_last_order >= {{ churn_window_days() }} / 2.0 then 'at_risk'",
             "at_risk from exactly W/2 days without an order instead of more than W/2"),
    Mutation("reactivated_for_a_full_window", "models/marts/core/dim_customers.sql",
             "                < {{ churn_window_days() }}\n                then 'reactivated'",
             "                <= {{ churn_window_days() }}\n                then 'reactivated'",
             "a customer reactivated exactly W days ago still reported as reactivated"),
    Mutation("attribution_window_end_excluded", "models/marts/churn/campaign_effectiveness.sql",
             "and purchases.ordered_at <= {{ dbt.dateadd('day', positive_var('attribution",
             "and purchases.ordered_at < {{ dbt.dateadd('day', positive_var('attribution",
             "a purchase exactly at the end of the attribution window not counted as a return"),
    Mutation("return_at_the_touch_instant", "models/marts/churn/campaign_effectiveness.sql",
             "and churned_at_touch.sent_at < purchases.ordered_at",
             "and churned_at_touch.sent_at <= purchases.ordered_at",
             "a purchase at the very instant of the touch credited to the campaign"),
    Mutation("spend_after_return_91_days", "models/marts/churn/campaign_effectiveness.sql",
             "and purchases.ordered_at < {{ dbt.dateadd('day', 90, 'returns.returned_at') }}",
             "and purchases.ordered_at <= {{ dbt.dateadd('day', 90, 'returns.returned_at') }}",
             "spend after return summed over 90 days plus the 91st"),
    Mutation("csat_top_three_box", "models/marts/loyalty/loyalty_metrics_monthly.sql",
             "sum(case when score >= 4 then 1 else 0 end) as satisfied_responses",
             "sum(case when score >= 3 then 1 else 0 end) as satisfied_responses",
             "CSAT counts a 3 as satisfied"),
    Mutation("month_partial_on_its_last_day", "models/intermediate/int_months.sql",
             "as_of_date < {{ add_days(add_months('month', 1), -1) }} as is_partial_month",
             "as_of_date <= {{ add_days(add_months('month', 1), -1) }} as is_partial_month",
             "the month of as_of_date flagged partial although as_of_date is its last day"),
    Mutation("sla_rate_over_all_tickets", "models/marts/loyalty/loyalty_metrics_monthly.sql",
             "pct('sla_breaches', 'responded_tickets')", "pct('sla_breaches', 'tickets')",
             "SLA breach rate divided by all tickets, answered or not"),
    Mutation("return_rate_over_completed_orders",
             "models/marts/loyalty/loyalty_metrics_monthly.sql",
             "pct('returned_orders', 'orders + returned_orders')",
             "pct('returned_orders', 'orders')",
             "return rate divided by completed orders only"),
    Mutation("clv_first_purchase_counted_as_repeat",
             "models/intermediate/int_customer_repeat_purchases.sql",
             "count(*) - 1 as repeat_purchase_days", "count(*) as repeat_purchase_days",
             "BG/NBD frequency counts the first purchase as a repeat purchase",
             "tests/python/test_clv.py"),
    Mutation("clv_recency_in_days", "models/intermediate/int_customer_repeat_purchases.sql",
             "as double\n        ) / 7 as recency_weeks", "as double\n        ) as recency_weeks",
             "BG/NBD recency in days while age is in weeks", "tests/python/test_clv.py"),
    Mutation("clv_first_day_in_mean_spend",
             "models/intermediate/int_customer_repeat_purchases.sql",
             "mean('case when order_date > first_purchase_date then day_net_revenue end')",
             "mean('case when order_date >= first_purchase_date then day_net_revenue end')",
             "Gamma-Gamma mean spend includes the first purchase", "tests/python/test_clv.py"),
    Mutation("alive_band_edge_exclusive", "macros/business_rules.sql",
             "{{ probability }} >= 0.7 then 'likely_alive'",
             "{{ probability }} > 0.7 then 'likely_alive'",
             "a probability alive of exactly 0.7 falls out of the likely_alive band",
             "tests/python/test_clv.py"),
    Mutation("clv_horizon_in_days", "src/loyalty_warehouse/clv.py",
             "HORIZON_WEEKS = 365 / 7", "HORIZON_WEEKS = 365",
             "the 365-day horizon given to BG/NBD in days while its time unit is weeks",
             "tests/python/test_clv.py::test_customer_clv_is_recomputed_from_raw_orders_by_"
             "the_formulas", rebuild="int_clv_model_parameters+"),
    Mutation("clv_gammaln_by_the_wrong_column", "src/loyalty_warehouse/clv.py",
             "distinct = Distinct.of(minimizing_function_args[0])",
             "distinct = Distinct.of(minimizing_function_args[1])",
             "the fit's gammaln evaluated once per distinct recency (or spend) instead of per "
             "distinct frequency: each row gets another row's value",
             "tests/python/test_clv.py::test_the_fits_find_the_estimates_of_lifetimes_own_"
             "likelihood", seeds_build_blind=True),
    # issue 15: edges and denominators of the marts beyond the monthly flows, caught by
    # unit tests at the edges or by the recomputation from raw data (test_recompute.py,
    # on the default seeds and on a folder with values planted on the edges)
    Mutation("health_signal_band_lower_edge_exclusive",
             "models/intermediate/int_customer_health.sql",
             "long.signal_value >= bands.lower_bound", "long.signal_value > bands.lower_bound",
             "a signal exactly on a band's lower bound falls into no band or the one below",
             CUSTOMERS),
    Mutation("health_band_min_score_exclusive", "models/intermediate/int_customer_health.sql",
             "scored.health_score >= health_bands.min_score",
             "scored.health_score > health_bands.min_score",
             "a health score of exactly 70 is yellow, 40 red", CUSTOMERS),
    Mutation("rfm_recency_by_percent_rank", "models/intermediate/int_customer_rfm.sql",
             "ceil(5 * cume_dist() over (order by last_order_date))",
             "ceil(5 * percent_rank() over (order by last_order_date))",
             "recency quintiles from percent_rank: the quintile edges move by one customer",
             CUSTOMERS),
    Mutation("rfm_monetary_by_order_count", "models/intermediate/int_customer_rfm.sql",
             "cume_dist() over (order by net_revenue)", "cume_dist() over (order by orders_count)",
             "the M score ranks order counts instead of revenue", CUSTOMERS),
    Mutation("support_outcome_observed_a_day_late",
             "models/marts/churn/support_experience_churn.sql",
             "tickets.opened_date <= {{ add_days('as_of.as_of_date', -churn_window_days()) }}",
             "tickets.opened_date < {{ add_days('as_of.as_of_date', -churn_window_days()) }}",
             "a ticket opened exactly W days before as_of_date is left out of the outcome",
             SUPPORT_CHURN),
    Mutation("support_outcome_same_day_purchase", "models/marts/churn/support_experience_churn.sql",
             "and observed.opened_date < spells.last_purchase_date",
             "and observed.opened_date <= spells.last_purchase_date",
             "a purchase on the ticket's own day counts as buying after it", SUPPORT_CHURN),
    Mutation("support_outcome_purchase_on_day_w",
             "models/marts/churn/support_experience_churn.sql",
             "spells.spell_start_date <= {{ add_days('observed.opened_date',",
             "spells.spell_start_date < {{ add_days('observed.opened_date',",
             "a purchase exactly W days after the ticket counts as churn", SUPPORT_CHURN),
    Mutation("segment_every_active_month_purchasing",
             "models/marts/loyalty/loyalty_segments_monthly.sql",
             "'purchasing_customers': 'case when purchases > 0 then 1 else 0 end'",
             "'purchasing_customers': 'case when purchases >= 0 then 1 else 0 end'",
             "segment counts take every active customer-month as a purchasing customer",
             SEGMENTS),
    Mutation("exit_reason_on_last_purchase_day", "models/intermediate/int_churn_events.sql",
             "cast(exit_answers.responded_at as date) > churns.last_purchase_date",
             "cast(exit_answers.responded_at as date) >= churns.last_purchase_date",
             "an exit answer given on the day of the last purchase explains the churn after it",
             CHURN_REASONS),
    Mutation("exit_reason_earliest_answer", "models/intermediate/int_churn_events.sql",
             "order by exit_answers.responded_at desc, exit_answers.response_id desc",
             "order by exit_answers.responded_at asc, exit_answers.response_id desc",
             "a churn takes the first exit answer instead of the latest", CHURN_REASONS),
    Mutation("segment_membership_on_as_of_date",
             "models/marts/loyalty/loyalty_segments_monthly.sql",
             "{{ month_counted_from('loyalty_joined_date') }} as member_from_month",
             "case when is_loyalty_member then cast('1900-01-01' as date) end as member_from_month",
             "members vs non-members by today's membership in every past month", SEGMENTS),
    Mutation("redemption_rate_over_all_points", "models/marts/loyalty/loyalty_program_monthly.sql",
             "{{ pct('points.points_redeemed', 'points.points_earned') }}",
             "{{ pct('points.points_redeemed', 'points.points_earned + points.points_expired') }}",
             "redemption rate divided by points earned and expired", PROGRAMME),
    Mutation("tier_counted_on_its_last_day", "models/marts/loyalty/loyalty_program_monthly.sql",
             "cast(tiers.valid_to as date) > months.period_end_date",
             "cast(tiers.valid_to as date) >= months.period_end_date",
             "a tier left on the month's last day still counted at its end", PROGRAMME),
    Mutation("cohort_revenue_not_cumulative", "models/marts/loyalty/customer_cohorts.sql",
             "rows unbounded preceding", "rows between current row and current row",
             "cumulative cohort revenue holds only the month's revenue", COHORTS),
    Mutation("revenue_per_active_customer", "models/marts/loyalty/customer_cohorts.sql",
             "divide('cumulative_net_revenue', 'cohort_size')",
             "divide('cumulative_net_revenue', 'active_customers')",
             "revenue per cohort customer divided by the month's active customers", COHORTS),
    Mutation("reason_share_over_known_reasons", "models/marts/churn/churn_reasons_monthly.sql",
             "cast({{ pct('churned_customers', 'month_churned_customers') }} as double)",
             "cast({{ pct('churned_customers', 'month_churned_with_reason') }} as double)",
             "share of churned customers divided by the churns with a known reason", CHURN_REASONS),
    Mutation("nps_behaviour_churn_includes_at_risk", "models/marts/loyalty/nps_band_behaviour.sql",
             "when lifecycle_status = 'churned' then 1",
             "when lifecycle_status in ('churned', 'at_risk') then 1",
             "customers at risk counted as churned by NPS band", CUSTOMERS),
    Mutation("segment_churn_year_start_inclusive", "models/marts/core/dim_customers.sql",
             "and spells.churn_date > {{ add_days('as_of.as_of_date', -365) }}",
             "and spells.churn_date >= {{ add_days('as_of.as_of_date', -365) }}",
             "a customer who churned exactly a year ago is in the year's starting base",
             CUSTOMERS),
    Mutation("predicted_clv_capped_at_5_years", "models/marts/core/dim_customers.sql",
             "coalesce(least(10.0, 100.0 / nullif(segment_churn.annual_churn_rate, 0)), 10.0)",
             "coalesce(least(5.0, 100.0 / nullif(segment_churn.annual_churn_rate, 0)), 10.0)",
             "expected lifetime capped at 5 years instead of 10", CUSTOMERS),
    Mutation("first_contact_resolution_over_all_tickets",
             "models/marts/loyalty/loyalty_metrics_monthly.sql",
             "{{ pct('first_contact_resolutions', 'resolved_tickets') }}",
             "{{ pct('first_contact_resolutions', 'tickets') }}",
             "first-contact resolution divided by every ticket, resolved or not", MONTHLY),
    Mutation("bot_share_over_all_tickets", "models/marts/loyalty/loyalty_metrics_monthly.sql",
             "{{ pct('bot_resolved_tickets', 'resolved_tickets') }}",
             "{{ pct('bot_resolved_tickets', 'tickets') }}",
             "bot resolution share divided by every ticket", MONTHLY),
    Mutation("p90_response_is_p95", "models/marts/loyalty/loyalty_metrics_monthly.sql",
             "{{ percentile('first_response_hours', 0.9) }}",
             "{{ percentile('first_response_hours', 0.95) }}",
             "the 90th percentile of first-response hours taken at 95%", MONTHLY),
    Mutation("customer_response_mean_not_median", "models/intermediate/int_customer_signals.sql",
             "{{ percentile('first_response_hours', 0.5) }} as median_first_response_hours",
             "avg(first_response_hours) as median_first_response_hours",
             "a customer's median first response is their mean", CUSTOMERS),
    Mutation("latest_nps_is_the_first", "models/intermediate/int_customer_signals.sql",
             "        score as latest_nps_score,\n        nps_band as latest_nps_band,\n"
             "        row_number() over (\n"
             "            partition by customer_id order by responded_at desc, response_id desc",
             "        score as latest_nps_score,\n        nps_band as latest_nps_band,\n"
             "        row_number() over (\n"
             "            partition by customer_id order by responded_at asc, response_id desc",
             "a customer's latest NPS answer is their first", CUSTOMERS),
    Mutation("fingerprint_of_the_first_columns", "macros/staging_columns.sql",
             "{%- for column in contract_columns(table) -%}\n"
             "        {%- set text = \"cast(\" ~ rows",
             "{%- for column in contract_columns(table)[:2] -%}\n"
             "        {%- set text = \"cast(\" ~ rows",
             "two copies of a key that differ after their first two columns count as exact "
             "duplicates: one is published, the other's values are lost",
             "tests/python/test_bad_input.py::"
             "test_a_copy_with_blanks_around_values_is_an_exact_duplicate"),
    Mutation("raw_value_of_a_new_row_not_checked", "macros/staging_columns.sql",
             "nullif(trim(cast(src__{{ column }} as string)), ''), "
             "nullif(trim(raw__{{ column }}), '')",
             "nullif(trim(raw__{{ column }}), '')",
             "a new row's value that does not parse reads as missing (a discount of 0) "
             "instead of quarantining the row",
             "tests/python/test_bad_input.py::"
             "test_amounts_that_would_need_a_guess_are_unparseable"),
    Mutation("gx_counts_quarantined_rows", "src/loyalty_warehouse/expectations.py",
             'f"where quarantine_reason is null and ({column} is null or "',
             'f"where ({column} is null or "',
             "the audit expects a fact mart to hold every raw row, quarantined ones too: "
             "the gate fails every build that quarantined a row",
             "tests/python/test_validate.py::"
             "test_quarantined_and_future_rows_are_not_expected_in_a_mart"),
    Mutation("case_variant_key_is_another_customer", "macros/staging_columns.sql",
             "{% macro same_key(key) -%}\n    lower({{ key }})",
             "{% macro same_key(key) -%}\n    {{ key }}",
             "a customer_id in another case becomes a phantom second customer",
             "tests/python/test_bad_input.py::"
             "test_a_copy_with_blanks_around_values_is_an_exact_duplicate"),
    Mutation("whole_number_key_keeps_its_fraction", "macros/raw_table.sql",
             "then cast(cast({{ value }} as decimal(38, 0)) as string)",
             "then cast({{ value }} as string)",
             "a customer id stored as a double (1001.0, pandas' integers with a gap) is "
             "another key than the integer 1001: every order of the customer is unknown",
             f"tests/python/test_bad_input.py::{PANDAS_TYPED}",
             seeds_build_blind=True),
    Mutation("typed_fraction_cast_to_integer", "macros/staging_columns.sql",
             "when {{ value }} = floor({{ value }})", "when true",
             "a score of 8.5 stored as a double is cast to an integer (9 on DuckDB, 8 on "
             "Spark) instead of being quarantined as unparseable",
             f"tests/python/test_bad_input.py::{PANDAS_TYPED}",
             seeds_build_blind=True),
    Mutation("typed_amount_rounded_to_cents", "macros/staging_columns.sql",
             "{% macro within_rounding_of_cents(value) -%}\n    abs(",
             "{% macro within_rounding_of_cents(value) -%}\n    true or abs(",
             "an amount of 12.345 stored as a double is rounded to cents instead of being "
             "quarantined as unparseable, as the same text in a CSV file is",
             f"tests/python/test_bad_input.py::{PANDAS_TYPED}", seeds_build_blind=True),
    Mutation("typed_amount_off_by_a_fraction_of_a_cent_rounded", "macros/staging_columns.sql",
             "* 100), 1), 0.01)", "* 100), 1), 1)",
             "a typed amount of 100000.00011 passes as a float's rounding of 100000.00 (at that "
             "size a relative bound allows up to a cent) and is rounded instead of being "
             "quarantined as unparseable",
             f"tests/python/test_bad_input.py::{PANDAS_TYPED}", seeds_build_blind=True),
    Mutation("single_precision_amount_widened", "macros/raw_table.sql",
             "in ('float', 'real', 'float4')", "in ('no such type',)",
             "a discount of 12345.68 stored as a single-precision float is read as the double "
             "it widens to (12345.6796875), a third of a cent off, and quarantined as "
             "unparseable instead of read as written",
             f"tests/python/test_bad_input.py::{PANDAS_TYPED}", seeds_build_blind=True),
    Mutation("parquet_beside_csv_read_as_plain_text", "macros/raw_table.sql",
             "{%- elif (key or as_text) and kind == 'number' -%}",
             "{%- elif key and kind == 'number' -%}",
             "in a table whose history is CSV and newer batches Parquet, a typed amount is "
             "read as its plain text (0.1 + 0.2 as 0.30000000000000004) and quarantined as "
             "unparseable instead of read as 0.30, as it is when the table is all Parquet",
             f"tests/python/test_bad_input.py::{CSV_BESIDE_PARQUET}", seeds_build_blind=True),
    Mutation("undated_orders_counted_as_dated", "macros/as_of_date.sql",
             "run_query('select count(as_of_date) from '", "run_query('select count(*) from '",
             "the check for a day to describe counts the bounds row, not its date: orders "
             "whose dates are all unparseable fail later in a mart on a NULL as_of_date",
             "tests/python/test_bad_input.py::"
             "test_orders_without_a_readable_date_stop_the_build_naming_the_form",
             seeds_build_blind=True),
    Mutation("dashboard_churn_over_end_base", "src/loyalty_warehouse/dashboard/queries.py",
             "100.0 * churned_customers / nullif(customers_start, 0) as churn_rate",
             "100.0 * churned_customers / nullif(customers_end, 0) as churn_rate",
             "dashboard churn tile divided by the end-of-month base",
             "tests/python/test_dashboard.py"),
    Mutation("fct_orders_drops_cancelled", "models/marts/core/fct_orders.sql",
             "    from orders\n)", "    from orders\n    where status <> 'cancelled'\n)",
             "the order fact leaves out cancelled orders, so it no longer shows every valid "
             "order of int_orders"),
]


def tracked_files(root: Path) -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True,
                            check=True).stdout.decode()
    return [Path(name) for name in listed.split("\0") if name]


def scratch_copy(root: Path, destination: Path) -> Path:
    for relative in tracked_files(root):
        source = root / relative
        if source.is_file():
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


def apply(mutation: Mutation, project: Path) -> None:
    path = project / mutation.path
    text = path.read_text()
    found = text.count(mutation.before)
    if found != 1:
        raise ValueError(f"mutation {mutation.name}: expected the original text exactly once "
                         f"in {mutation.path}, found it {found} times")
    path.write_text(text.replace(mutation.before, mutation.after))


def database_of(project: Path) -> Path:
    return project / "warehouse" / "mutant.duckdb"


def _env(project: Path) -> dict[str, str]:
    # PYTHONPATH: dbt's Python models, pytest and what the checks start import the
    # mutant's package, not the installed one
    return {**os.environ, "DBT_PROFILES_DIR": str(project), "LOYALTY_DATA_DIR": "",
            "PYTHONPATH": str(project / "src"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "LOYALTY_DUCKDB_PATH": str(database_of(project)),
            "LOYALTY_TEST_PREBUILT_DB": str(database_of(project))}


def state_selection(state: Path, mutation: Mutation) -> list[str]:
    """dbt arguments that rebuild (and test) only the nodes the mutation changed and their
    descendants, compared with the baseline's manifest in `state`."""
    selection = ["state:modified+", *([mutation.rebuild] if mutation.rebuild else [])]
    return ["--select", *selection, "--state", str(state), "--full-refresh"]


@contextmanager
def mutated(mutation: Mutation, project: Path) -> Iterator[None]:
    """The mutation applied in place for the duration, the original text restored after."""
    path = project / mutation.path
    original = path.read_text()
    apply(mutation, project)
    try:
        yield
    finally:
        path.write_text(original)


def failing_dbt_nodes(project: Path) -> list[str]:
    results = project / "target" / "run_results.json"
    if not results.exists():
        return ["dbt did not run (compilation error)"]
    nodes = json.loads(results.read_text())["results"]
    return [n["unique_id"].split(".", 2)[-1] for n in nodes
            if n["status"] in ("fail", "error", "runtime error")]


def run_suite(project: Path, checks: str = Mutation.checks,
              dbt_args: list[str] | None = None,
              pytest_args: tuple[str, ...] = (), build_first: bool = True) -> str | None:
    """Return what failed (the mutation is caught), or None when everything passed."""
    (project / "warehouse").mkdir(exist_ok=True)
    if build_first:
        (project / "target" / "run_results.json").unlink(missing_ok=True)
        # the first failure is enough: the rest of the build would only name more of them
        code, _ = preloaded.run("dbt", ["build", "--quiet", "--fail-fast", *(dbt_args or [])],
                                project, _env(project))
        if code != 0:
            nodes = failing_dbt_nodes(project)
            return "dbt: " + ", ".join(nodes[:3]) + (f" (+{len(nodes) - 3})"
                                                     if len(nodes) > 3 else "")
    code, output = preloaded.run("pytest", ["-q", "-x", "-p", "no:cacheprovider", *pytest_args,
                                            checks], project, _env(project))
    if code != 0:
        failed = [line.split("::")[-1].split(" ")[0] for line in output.splitlines()
                  if line.startswith(("FAILED", "ERROR"))]
        return "pytest: " + ", ".join(failed)
    return None


def run(root: Path, names: list[str] | None, report: Path) -> int:
    chosen = [m for m in MUTATIONS if not names or m.name in names]
    started = time.perf_counter()
    rows = []
    with tempfile.TemporaryDirectory(prefix="mutants-") as scratch:
        baseline = scratch_copy(root, Path(scratch) / "baseline")
        print("baseline (no mutation): running the suite...", flush=True)
        # the baseline proves the unmutated project passes the default checks; their tests
        # that build warehouses of their own ran in pytest just before (bin/warehouse test)
        failure = run_suite(baseline, pytest_args=("-m", "not slow"))
        if failure:
            print(f"the unmutated project fails its own suite ({failure}); fix that first")
            return 2
        print(f"baseline built and checked in {time.perf_counter() - started:.0f} s",
              flush=True)
        # each mutant is applied in a worker's copy of the baseline folder (dbt's partial
        # parsing then re-reads only the mutated file) on a fresh copy of the baseline's
        # database; WORKERS mutants run at once (most of a dbt run is one Python thread)
        state = Path(scratch) / "baseline_state"
        shutil.copytree(baseline / "target", state)
        pristine = Path(scratch) / "baseline.duckdb"
        shutil.copyfile(database_of(baseline), pristine)
        folders: queue.Queue[Path] = queue.Queue()
        folders.put(baseline)
        for worker in range(1, WORKERS):
            folders.put(Path(shutil.copytree(baseline, Path(scratch) / f"worker{worker}")))

        def check(mutation: Mutation) -> tuple[str | None, float]:
            folder = folders.get()
            try:
                tick = time.perf_counter()
                database_of(folder).with_suffix(".duckdb.wal").unlink(missing_ok=True)
                shutil.copyfile(pristine, database_of(folder))
                with mutated(mutation, folder):
                    caught = run_suite(folder, mutation.checks, state_selection(state, mutation),
                                       build_first=not mutation.seeds_build_blind)
                return caught, time.perf_counter() - tick
            finally:
                folders.put(folder)

        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            futures = [pool.submit(check, mutation) for mutation in chosen]
            for number, (mutation, future) in enumerate(zip(chosen, futures, strict=True),
                                                        start=1):
                caught_by, seconds = future.result()
                status = "caught" if caught_by else "SURVIVED"
                print(f"[{number}/{len(chosen)}] {mutation.name}: {status} ({seconds:.0f} s) "
                      f"{caught_by or ''}", flush=True)
                rows.append((mutation, caught_by))
    caught = sum(1 for _, by in rows if by)
    lines = ["# Mutation report", "",
             f"{caught} of {len(rows)} mutations caught "
             f"({time.perf_counter() - started:.0f} s).", "",
             "| mutation | realistic mistake | file | caught by |", "|---|---|---|---|"]
    lines += [f"| {m.name} | {m.mistake} | `{m.path}` | {by or '**survived**'} |"
              for m, by in rows]
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text("\n".join(lines) + "\n")
    print(f"mutation report: {report}")
    print(f"mutations: {caught} passed, {len(rows) - caught} failed")
    return 0 if caught == len(rows) else 1
