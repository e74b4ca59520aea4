{#- Orders with the purchase rules applied: only completed orders are purchases and carry
    revenue (net of discount and refunds); each purchase knows the customer's previous one
    and whether it reactivated the customer (previous purchase more than W days earlier). -#}
{{ config(
    materialized=incremental_or_table(),
    incremental_strategy='replace_customers',
    changed_by='base_orders',
    on_schema_change='fail'
) }}

with

orders as (
    select * from {{ ref('stg_orders') }}
    where {{ known_on_as_of('ordered_at') }}
    {%- if is_incremental() %} and {{ changed_rows('base_orders') }}{% endif %}
),

priced as (
    select
        *,
        status = 'completed' as is_purchase,
        case
            when status = 'completed' then gross_amount - discount_amount - refunded_amount
            else 0
        end as net_revenue
    from orders
),

sequenced as (
    select
        *,
        case when is_purchase then row_number() over (
            partition by customer_id, is_purchase order by ordered_at, order_id
        ) end as purchase_number,
        case when is_purchase then lag(order_date) over (
            partition by customer_id, is_purchase order by ordered_at, order_id
        ) end as previous_purchase_date
    from priced
),

final as (
    select
        order_id,
        customer_id,
        ordered_at,
        order_date,
        {{ month_of('order_date') }} as order_month,
        status,
        is_purchase,
        channel,
        gross_amount,
        discount_amount,
        refunded_amount,
        net_revenue,
        currency,
        promo_code,
        campaign_id,
        purchase_number,
        previous_purchase_date,
        coalesce(purchase_number = 1, false) as is_first_purchase,
        coalesce(
            {{ days_between('previous_purchase_date', 'order_date') }} > {{ churn_window_days() }},
            false
        ) as is_reactivation,
        {{ latest_load_batch('base_orders') }} as load_batch
    from sequenced
)

select * from final
