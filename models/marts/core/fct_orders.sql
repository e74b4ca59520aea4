{{ config(
    materialized=incremental_or_table(),
    incremental_strategy='replace_customers',
    changed_by='base_orders',
    on_schema_change='fail'
) }}

-- depends_on: {{ ref('base_orders') }}
with

orders as (
    select * from {{ ref('int_orders') }}
    {% if is_incremental() %}where {{ changed_rows('base_orders') }}{% endif %}
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
