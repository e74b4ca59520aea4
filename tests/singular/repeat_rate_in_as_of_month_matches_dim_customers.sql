-- The cumulative repeat-purchase rate of the last month equals the share of repeat
-- customers among customers with an order in dim_customers.
with

last_month as (
    select repeat_purchase_rate
    from {{ ref('loyalty_metrics_monthly') }}
    order by month desc
    limit 1
),

customers as (
    select 100.0 * sum(case when is_repeat_customer then 1 else 0 end) / count(*) as repeat_share
    from {{ ref('dim_customers') }}
    where orders_count > 0
)

select
    last_month.repeat_purchase_rate,
    customers.repeat_share
from last_month
cross join customers
where abs(last_month.repeat_purchase_rate - customers.repeat_share) > 1e-9
