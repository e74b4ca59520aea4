{#- A view of int_survey_responses, one row per row (a build writes them once); its data tests
    read like that incremental model's (macro get_where_subquery, config rows_of). -#}
{{ config(materialized='view', rows_of='int_survey_responses') }}

with

responses as (
    select * from {{ ref('int_survey_responses') }}
),

reason_groups as (
    select * from {{ ref('churn_reason_groups') }}
),

final as (
    select
        responses.response_id,
        responses.customer_id,
        responses.order_id,
        responses.ticket_id,
        responses.survey_type,
        responses.touchpoint,
        responses.responded_at,
        responses.response_month,
        responses.score,
        responses.nps_band,
        responses.is_counted_nps,
        responses.reason_code,
        reason_groups.reason_group,
        responses.comment,
        responses.load_batch
    from responses
    left join reason_groups on responses.reason_code = reason_groups.reason_code
)

select * from final
