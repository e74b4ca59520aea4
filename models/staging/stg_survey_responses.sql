{#- The clean rows of base_survey_responses; its data tests read like that incremental model's
    (macro get_where_subquery, config rows_of). -#}
{{ config(rows_of='base_survey_responses') }}

with

classified as (
    select * from {{ ref('base_survey_responses') }}
),

clean as (
    select
        response_id,
        customer_id,
        survey_type,
        responded_at,
        score,
        reason_code,
        touchpoint,
        order_id,
        ticket_id,
        comment
    from classified
    where quarantine_reason is null
)

select * from clean
