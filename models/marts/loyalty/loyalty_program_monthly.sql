{#- Members vs non-members per month. A customer counts as a member in a month when they
    joined the programme by its period end; non-members are every other customer. -#}
with

months as (
    select * from {{ ref('int_months') }}
),

segments as (
    select * from {{ ref('loyalty_segments_monthly') }}
),

tiers as (
    select * from {{ ref('int_loyalty_tier_spells') }}
),

events as (
    select * from {{ ref('stg_loyalty_events') }}
    where {{ known_on_as_of('occurred_at') }}
),

membership_flags as (
    select true as is_member
    union all
    select false as is_member
),

groups as (
    select
        months.month,
        membership_flags.is_member
    from months
    cross join membership_flags
),

-- membership in the month (joined by its period end) is a segment of loyalty_segments_monthly
activity as (
    select
        month,
        is_loyalty_member as is_member,
        sum(customers_with_purchase) as customers_with_purchase,
        sum(customers_with_repeat_purchase) as customers_with_repeat_purchase,
        sum(customers_start) as customers_start,
        sum(churned_customers) as churned_customers,
        sum(orders) as orders,
        sum(net_revenue) as net_revenue,
        sum(purchasing_customers) as purchasing_customers
    from segments
    group by month, is_loyalty_member
),

points as (
    select
        {{ month_of('occurred_at') }} as month,
        sum(case when event_type = 'earn' then points else 0 end) as points_earned,
        -sum(case when event_type = 'redeem' then points else 0 end) as points_redeemed,
        -sum(case when event_type = 'expire' then points else 0 end) as points_expired
    from events
    group by {{ month_of('occurred_at') }}
),

tier_counts as (
    select
        months.month,
        sum(case when tiers.tier = 'bronze' then 1 else 0 end) as bronze_members,
        sum(case when tiers.tier = 'silver' then 1 else 0 end) as silver_members,
        sum(case when tiers.tier = 'gold' then 1 else 0 end) as gold_members,
        sum(case when tiers.tier = 'platinum' then 1 else 0 end) as platinum_members
    from tiers
    inner join months
        on
            cast(tiers.valid_from as date) <= months.period_end_date
            and (tiers.valid_to is null or cast(tiers.valid_to as date) > months.period_end_date)
    group by months.month
),

final as (
    select
        groups.month,
        groups.is_member,
        cast(coalesce(activity.customers_with_purchase, 0) as bigint)
            as customers_with_purchase,
        cast(coalesce(activity.customers_with_repeat_purchase, 0) as bigint)
            as customers_with_repeat_purchase,
        cast({{ pct('activity.customers_with_repeat_purchase',
                    'activity.customers_with_purchase') }} as double) as repeat_purchase_rate,
        cast(coalesce(activity.orders, 0) as bigint) as orders,
        cast(coalesce(activity.net_revenue, 0) as decimal(18, 2)) as net_revenue,
        cast(coalesce(activity.purchasing_customers, 0) as bigint) as purchasing_customers,
        {{ divide('activity.net_revenue', 'activity.orders') }} as average_order_value,
        {{ divide('activity.orders', 'activity.purchasing_customers') }}
            as purchase_frequency,
        cast(coalesce(activity.customers_start, 0) as bigint) as customers_start,
        cast(coalesce(activity.churned_customers, 0) as bigint) as churned_customers,
        cast({{ pct('activity.churned_customers', 'activity.customers_start') }} as double)
            as churn_rate,
        cast(case when groups.is_member then coalesce(points.points_earned, 0) end as bigint)
            as points_earned,
        cast(case when groups.is_member then coalesce(points.points_redeemed, 0) end as bigint)
            as points_redeemed,
        cast(case when groups.is_member then coalesce(points.points_expired, 0) end as bigint)
            as points_expired,
        cast(case
            when groups.is_member
                then {{ pct('points.points_redeemed', 'points.points_earned') }}
        end as double) as redemption_rate,
        cast(case when groups.is_member then coalesce(tier_counts.bronze_members, 0) end as bigint)
            as bronze_members,
        cast(case when groups.is_member then coalesce(tier_counts.silver_members, 0) end as bigint)
            as silver_members,
        cast(case when groups.is_member then coalesce(tier_counts.gold_members, 0) end as bigint)
            as gold_members,
        cast(case when groups.is_member then coalesce(tier_counts.platinum_members, 0) end as bigint)
            as platinum_members
    from groups
    left join activity
        on groups.month = activity.month and groups.is_member = activity.is_member
    left join points on groups.month = points.month
    left join tier_counts on groups.month = tier_counts.month
)

select * from final
