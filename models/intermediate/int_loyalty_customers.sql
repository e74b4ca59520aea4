{#- Per programme member: when they joined, their current tier and their points. -#}
with

events as (
    select * from {{ ref('stg_loyalty_events') }}
    where {{ known_on_as_of('occurred_at') }}
),

tiers as (
    select * from {{ ref('int_loyalty_tier_spells') }}
),

points as (
    select
        customer_id,
        min(case when event_type = 'join' then occurred_at end) as joined_at,
        sum(case when event_type = 'earn' then points else 0 end) as points_earned,
        -sum(case when event_type = 'redeem' then points else 0 end) as points_redeemed,
        -sum(case when event_type = 'expire' then points else 0 end) as points_expired,
        sum(points) as points_balance
    from events
    group by customer_id
),

final as (
    select
        points.customer_id,
        coalesce(points.joined_at, first_tier.valid_from) as joined_at,
        current_tier.tier as loyalty_tier,
        points.points_earned,
        points.points_redeemed,
        points.points_expired,
        points.points_balance
    from points
    left join tiers as current_tier
        on points.customer_id = current_tier.customer_id and current_tier.valid_to is null
    left join tiers as first_tier
        on points.customer_id = first_tier.customer_id and first_tier.tier_number = 1
)

select * from final
