{#- Does loyalty stated in surveys show in behaviour? Customers with a purchase and an NPS
    answer, by the band of their latest answer. -#}
with

customers as (
    select * from {{ ref('dim_customers') }}
    where orders_count > 0 and latest_nps_band is not null
),

by_band as (
    select
        latest_nps_band,
        count(*) as customers,
        sum(case when is_repeat_customer then 1 else 0 end) as repeat_customers,
        sum(case when lifecycle_status = 'churned' then 1 else 0 end) as churned_customers,
        avg(orders_count) as orders_per_customer,
        {{ mean('net_revenue') }} as net_revenue_per_customer
    from customers
    group by latest_nps_band
),

final as (
    select
        latest_nps_band,
        cast(customers as bigint) as customers,
        cast({{ pct('repeat_customers', 'customers') }} as double) as repeat_purchase_rate,
        cast({{ pct('churned_customers', 'customers') }} as double) as churn_rate,
        cast(orders_per_customer as double) as orders_per_customer,
        cast(net_revenue_per_customer as double) as net_revenue_per_customer
    from by_band
)

select * from final
