with

churn_events as (
    select * from {{ ref('int_churn_events') }}
),

by_reason as (
    select
        churn_month as month,
        coalesce(reason_code, 'unknown') as reason_code,
        coalesce(reason_group, 'unknown') as reason_group,
        count(*) as churned_customers
    from churn_events
    group by churn_month, coalesce(reason_code, 'unknown'), coalesce(reason_group, 'unknown')
),

with_totals as (
    select
        *,
        sum(churned_customers) over (partition by month) as month_churned_customers,
        sum(case when reason_code <> 'unknown' then churned_customers else 0 end)
            over (partition by month) as month_churned_with_reason
    from by_reason
),

final as (
    select
        month,
        reason_code,
        reason_group,
        cast(churned_customers as bigint) as churned_customers,
        cast({{ pct('churned_customers', 'month_churned_customers') }} as double)
            as share_of_churned_rate,
        cast(case
            when reason_code <> 'unknown'
                then {{ pct('churned_customers', 'month_churned_with_reason') }}
        end as double) as share_of_known_reasons_rate,
        cast({{ pct('month_churned_with_reason', 'month_churned_customers') }} as double)
            as known_reason_rate
    from with_totals
)

select * from final
