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
    -- one scan: the last 365 days are counted in the same pass as the totals
    select
        purchases.customer_id,
        min(purchases.ordered_at) as first_order_at,
        max(purchases.ordered_at) as last_order_at,
        min(purchases.order_date) as first_order_date,
        min(case when purchases.purchase_number = 2 then purchases.order_date end)
            as second_order_date,
        max(purchases.order_date) as last_order_date,
        count(*) as orders_count,
        sum(purchases.net_revenue) as net_revenue,
        count(
            case
                when purchases.order_date > {{ add_days('as_of.as_of_date', -365) }} then 1
            end
        ) as orders_last_365_days
    from purchases
    cross join as_of
    group by purchases.customer_id
),

final as (
    select
        customer_id,
        first_order_at,
        last_order_at,
        first_order_date,
        {{ month_of('first_order_date') }} as cohort_month,
        second_order_date,
        last_order_date,
        orders_count,
        net_revenue,
        orders_last_365_days
    from summary
)

select * from final
