-- Within a month, the reasons' shares of churned customers add up to 100, and the shares
-- of known reasons too (when any reason is known).
select
    month,
    sum(share_of_churned_rate) as churned_total,
    sum(share_of_known_reasons_rate) as known_total
from {{ ref('churn_reasons_monthly') }}
group by month
having
    abs(sum(share_of_churned_rate) - 100) > 1e-9
    or (count(share_of_known_reasons_rate) > 0 and abs(sum(share_of_known_reasons_rate) - 100) > 1e-9)
