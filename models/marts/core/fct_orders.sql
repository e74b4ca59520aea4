{#- A view of int_orders, one row per row (a build writes them once); its data tests
    read like that incremental model's (macro get_where_subquery, config rows_of). -#}
{{ config(materialized='view', rows_of='int_orders') }}

with

orders as (
    select * from {{ ref('int_orders') }}
),

final as (
    select
        order_id,
        customer_id,
        campaign_id,
        ordered_at,
        order_date,
        order_month,
        status,
        is_purchase,
        channel,
        currency,
        promo_code,
        gross_amount,
        discount_amount,
        refunded_amount,
        cast(net_revenue as decimal(18, 2)) as net_revenue,
        cast(purchase_number as bigint) as purchase_number,
        previous_purchase_date,
        is_first_purchase,
        is_reactivation,
        load_batch
    from orders
)

select * from final
