{#- The clean rows of base_loyalty_events; its data tests read like that incremental model's
    (macro get_where_subquery, config rows_of). -#}
{{ config(rows_of='base_loyalty_events') }}

with

classified as (
    select * from {{ ref('base_loyalty_events') }}
),

clean as (
    select
        event_id,
        customer_id,
        occurred_at,
        event_type,
        coalesce(points, 0) as points,
        tier,
        order_id
    from classified
    where quarantine_reason is null
)

select * from clean
