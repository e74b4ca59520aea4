{#- The clean rows of base_orders; its data tests read like that incremental model's
    (macro get_where_subquery, config rows_of). -#}
{{ config(rows_of='base_orders') }}

with

classified as (
    select * from {{ ref('base_orders') }}
),

clean as (
    select
        order_id,
        customer_id,
        ordered_at,
        cast(ordered_at as date) as order_date,
        status,
        channel,
        gross_amount,
        coalesce(discount_amount, 0) as discount_amount,
        coalesce(refunded_amount, 0) as refunded_amount,
        currency,
        promo_code,
        campaign_id
    from classified
    where quarantine_reason is null
)

select * from clean
