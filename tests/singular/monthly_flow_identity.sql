-- E = S + N_new + N_react - L, exactly, every month.
select
    month,
    customers_start,
    new_customers,
    reactivated_customers,
    churned_customers,
    customers_end
from {{ ref('loyalty_metrics_monthly') }}
where
    customers_end
    <> customers_start + new_customers + reactivated_customers - churned_customers
