{#- Members vs non-members per month. A customer counts as a member in a month when they
    joined the programme by its period end; non-members are every other customer. -#}
with

months as (
    select * from {{ ref('int_months') }}
),

customer_months as (
    select * from {{ ref('int_customer_months') }}
),

purchasers as (
    select * from {{ ref('int_customer_purchase_summary') }}
),

members as (
    select * from {{ ref('int_loyalty_customers') }}
),

tiers as (
    select * from {{ ref('int_loyalty_tier_spells') }}
),

events as (
    select * from {{ ref('stg_loyalty_events') }}
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

buyers_to_date as (
    select
        months.month,
        coalesce(cast(members.joined_at as date) <= months.period_end_date, false) as is_member,
        count(*) as customers_with_purchase,
        sum(case when purchasers.second_order_date <= months.period_end_date then 1 else 0 end)
            as customers_with_repeat_purchase
    from purchasers
    inner join months on purchasers.first_order_date <= months.period_end_date
    left join members on purchasers.customer_id = members.customer_id
    group by months.month, coalesce(cast(members.joined_at as date) <= months.period_end_date, false)
),

activity as (
    select
        customer_months.month,
        coalesce(cast(members.joined_at as date) <= months.period_end_date, false) as is_member,
        sum(case when customer_months.is_active_at_start then 1 else 0 end) as customers_start,
        sum(case when customer_months.is_churned then 1 else 0 end) as churned_customers,
        sum(case when customer_months.is_active_at_end then 1 else 0 end) as customers_end,
        sum(customer_months.purchases) as orders,
        sum(customer_months.net_revenue) as net_revenue,
        sum(case when customer_months.purchases > 0 then 1 else 0 end) as purchasing_customers
    from customer_months
    inner join months on customer_months.month = months.month
    left join members on customer_months.customer_id = members.customer_id
    group by
        customer_months.month,
        coalesce(cast(members.joined_at as date) <= months.period_end_date, false)
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
        cast(coalesce(buyers_to_date.customers_with_purchase, 0) as bigint)
            as customers_with_purchase,
        cast(coalesce(buyers_to_date.customers_with_repeat_purchase, 0) as bigint)
            as customers_with_repeat_purchase,
        cast({{ pct('buyers_to_date.customers_with_repeat_purchase',
                    'buyers_to_date.customers_with_purchase') }} as double) as repeat_purchase_rate,
        cast(coalesce(activity.orders, 0) as bigint) as orders,
        cast(coalesce(activity.net_revenue, 0) as decimal(18, 2)) as net_revenue,
        cast(coalesce(activity.purchasing_customers, 0) as bigint) as purchasing_customers,
        cast(activity.net_revenue / nullif(activity.orders, 0) as double) as average_order_value,
        cast(1.0 * activity.orders / nullif(activity.purchasing_customers, 0) as double)
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
    left join buyers_to_date
        on groups.month = buyers_to_date.month and groups.is_member = buyers_to_date.is_member
    left join activity
        on groups.month = activity.month and groups.is_member = activity.is_member
    left join points on groups.month = points.month
    left join tier_counts on groups.month = tier_counts.month
)

select * from final
