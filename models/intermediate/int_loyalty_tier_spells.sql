{#- Programme membership over time: one row per tier a member held, valid from the join or
    tier change that set it until the next one (valid_to exclusive, NULL while current). -#}
with

events as (
    select * from {{ ref('stg_loyalty_events') }}
    where event_type in ('join', 'tier_change') and {{ known_on_as_of('occurred_at') }}
),

ordered as (
    select
        customer_id,
        tier,
        occurred_at as valid_from,
        lead(occurred_at) over (
            partition by customer_id order by occurred_at, event_id
        ) as valid_to,
        row_number() over (
            partition by customer_id order by occurred_at, event_id
        ) as tier_number
    from events
)

select * from ordered
