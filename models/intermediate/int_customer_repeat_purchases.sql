{#- The repeat-purchase summary the "buy till you die" models (BG/NBD, Gamma-Gamma) are
    fitted on, per customer with a purchase up to as_of_date: purchases are counted per
    day (several orders on one day are one purchase), frequency = repeat purchase days,
    recency = first to last purchase day and age = first purchase day to as_of_date, both
    in weeks (days / 7); mean spend = average net revenue of the repeat purchase days.
    Incremental: recomputes the customers a new order batch touched, then moves every
    stored age to as_of_date (post-hook update_age_weeks). -#}
{{ config(
    materialized=incremental_or_table(),
    incremental_strategy='replace_customers',
    changed_by='base_orders',
    post_hook="{{ update_age_weeks() }}",
    on_schema_change='fail'
) }}
-- depends_on: {{ ref('base_orders') }}
with

purchases as (
    select * from {{ ref('int_orders') }}
    where is_purchase
    {%- if is_incremental() %} and {{ changed_rows('base_orders') }}{% endif %}
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
        {{ age_weeks('summary.first_purchase_date') }} as age_weeks,
        cast(summary.repeat_mean_spend as double) as repeat_mean_spend,
        {{ latest_load_batch('base_orders') }} as load_batch
    from summary
)

select * from final
