{#- The clean rows of base_campaign_touches; its data tests read like that incremental model's
    (macro get_where_subquery, config rows_of). -#}
{{ config(rows_of='base_campaign_touches') }}

with

classified as (
    select * from {{ ref('base_campaign_touches') }}
),

clean as (
    select
        touch_id,
        campaign_id,
        customer_id,
        sent_at,
        channel,
        coalesce(is_holdout, false) as is_holdout
    from classified
    where quarantine_reason is null
)

select * from clean
