{#- The repeat-purchase summary the "buy till you die" models (BG/NBD, Gamma-Gamma) are
    fitted on, per customer with a purchase up to as_of_date: purchases are counted per
    day (several orders on one day are one purchase), frequency = repeat purchase days,
    recency = first to last purchase day and age = first purchase day to as_of_date, both
    in weeks (days / 7); mean spend = average net revenue of the repeat purchase days. -#}
with

purchases as (
    select * from {{ ref('int_orders') }}
    where is_purchase
),

as_of as (
    select {{ as_of_date() }} as as_of_date
),

purchase_days as (
    select
        customer_id,
        order_date,
        sum(net_revenue) as day_net_revenue
    from purchases
    group by customer_id, order_date
),

with_first_day as (
    select
        *,
        min(order_date) over (partition by customer_id) as first_purchase_date
    from purchase_days
),

summary as (
    select
        customer_id,
        first_purchase_date,
        max(order_date) as last_purchase_date,
        count(*) - 1 as repeat_purchase_days,
        {{ mean('case when order_date > first_purchase_date then day_net_revenue end') }}
            as repeat_mean_spend
    from with_first_day
    group by customer_id, first_purchase_date
),

final as (
    select
        summary.customer_id,
        summary.first_purchase_date,
        summary.last_purchase_date,
        summary.repeat_purchase_days,
        cast(
            {{ days_between('summary.first_purchase_date', 'summary.last_purchase_date') }}
            as double
        ) / 7 as recency_weeks,
        cast(
            {{ days_between('summary.first_purchase_date', 'as_of.as_of_date') }} as double
        ) / 7 as age_weeks,
        cast(summary.repeat_mean_spend as double) as repeat_mean_spend
    from summary
    cross join as_of
)

select * from final
