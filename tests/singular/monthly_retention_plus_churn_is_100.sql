-- retention_rate + churn_rate = 100 when S > 0; both NULL when S = 0; and retention via
-- (E - N) / S equals (S - L) / S.
with

months as (
    select * from {{ ref('loyalty_metrics_monthly') }}
)

select
    month,
    customers_start,
    retention_rate,
    churn_rate
from months
where (customers_start > 0 and (
    abs(retention_rate + churn_rate - 100) > 1e-9
    or abs(retention_rate - 100.0 * (customers_start - churned_customers) / customers_start) > 1e-9
))
or (customers_start = 0 and (retention_rate is not null or churn_rate is not null))
