{#- Per customer with at least one purchase: first, second and last purchase, counts and
    revenue; the base of dim_customers, cohorts and the cumulative repeat-purchase rate. -#}
with

purchases as (
    select * from {{ ref('int_orders') }}
    where is_purchase
),

as_of as (
    select {{ as_of_date() }} as as_of_date
),

summary as (
    select
        customer_id,
        min(ordered_at) as first_order_at,
        max(ordered_at) as last_order_at,
        min(order_date) as first_order_date,
        min(case when purchase_number = 2 then order_date end) as second_order_date,
        max(order_date) as last_order_date,
        count(*) as orders_count,
        sum(net_revenue) as net_revenue
    from purchases
    group by customer_id
),

recent as (
    select
        purchases.customer_id,
        count(*) as orders_last_365_days
    from purchases
    cross join as_of
    where purchases.order_date > {{ add_days('as_of.as_of_date', -365) }}
    group by purchases.customer_id
),

final as (
    select
        summary.customer_id,
        summary.first_order_at,
        summary.last_order_at,
        summary.first_order_date,
        {{ month_of('summary.first_order_date') }} as cohort_month,
        summary.second_order_date,
        summary.last_order_date,
        summary.orders_count,
        summary.net_revenue,
        coalesce(recent.orders_last_365_days, 0) as orders_last_365_days
    from summary
    left join recent on summary.customer_id = recent.customer_id
)

select * from final
