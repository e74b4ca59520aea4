{#- Per campaign: of the customers it selected who had churned (no active spell on the
    touch date), how many bought again within var attribution_window_days of the touch,
    contacted vs holdout, and what the contacted returners spent in the 90 days after. -#}
with

campaigns as (
    select * from {{ ref('stg_campaigns') }}
    where starts_at is null or {{ known_on_as_of('starts_at') }}
),

touches as (
    select * from {{ ref('stg_campaign_touches') }}
    where {{ known_on_as_of('sent_at') }}
),

spells as (
    select * from {{ ref('int_customer_activity_spells') }}
),

purchases as (
    select * from {{ ref('int_orders') }}
    where is_purchase
),

first_touches as (
    select
        campaign_id,
        customer_id,
        min(sent_at) as sent_at,
        max(case when is_holdout then 1 else 0 end) = 1 as is_holdout
    from touches
    group by campaign_id, customer_id
),

churned_at_touch as (
    select first_touches.*
    from first_touches
    where exists (
        select 1 from spells
        where
            spells.customer_id = first_touches.customer_id
            and spells.churn_date <= cast(first_touches.sent_at as date)
    )
    and not exists (
        select 1 from spells
        where
            spells.customer_id = first_touches.customer_id
            and spells.spell_start_date <= cast(first_touches.sent_at as date)
            and spells.churn_date > cast(first_touches.sent_at as date)
    )
),

returns as (
    select
        churned_at_touch.campaign_id,
        churned_at_touch.customer_id,
        min(purchases.ordered_at) as returned_at
    from churned_at_touch
    inner join purchases
        on
            churned_at_touch.customer_id = purchases.customer_id
            and churned_at_touch.sent_at < purchases.ordered_at
            and purchases.ordered_at <= {{ dbt.dateadd('day', positive_var('attribution_window_days'),
                                                   'churned_at_touch.sent_at') }}
    group by churned_at_touch.campaign_id, churned_at_touch.customer_id
),

after_return as (
    select
        returns.campaign_id,
        returns.customer_id,
        count(*) as orders,
        sum(purchases.net_revenue) as net_revenue
    from returns
    inner join purchases
        on
            returns.customer_id = purchases.customer_id
            and returns.returned_at <= purchases.ordered_at
            and purchases.ordered_at < {{ dbt.dateadd('day', 90, 'returns.returned_at') }}
    group by returns.campaign_id, returns.customer_id
),

by_campaign as (
    select
        churned_at_touch.campaign_id,
        sum(case when not churned_at_touch.is_holdout then 1 else 0 end) as contacted_customers,
        sum(case
            when not churned_at_touch.is_holdout and returns.customer_id is not null
                then 1
            else 0
        end) as contacted_returned_customers,
        sum(case when churned_at_touch.is_holdout then 1 else 0 end) as holdout_customers,
        sum(case
            when churned_at_touch.is_holdout and returns.customer_id is not null
                then 1
            else 0
        end) as holdout_returned_customers,
        sum(case when not churned_at_touch.is_holdout then after_return.orders else 0 end)
            as returned_orders_90d,
        sum(case when not churned_at_touch.is_holdout then after_return.net_revenue else 0 end)
            as returned_net_revenue_90d
    from churned_at_touch
    left join returns
        on
            churned_at_touch.campaign_id = returns.campaign_id
            and churned_at_touch.customer_id = returns.customer_id
    left join after_return
        on
            churned_at_touch.campaign_id = after_return.campaign_id
            and churned_at_touch.customer_id = after_return.customer_id
    group by churned_at_touch.campaign_id
),

final as (
    select
        campaigns.campaign_id,
        campaigns.campaign_name,
        campaigns.campaign_type,
        campaigns.offer_type,
        campaigns.starts_at,
        campaigns.ends_at,
        cast(coalesce(by_campaign.contacted_customers, 0) as bigint) as contacted_customers,
        cast(coalesce(by_campaign.contacted_returned_customers, 0) as bigint)
            as contacted_returned_customers,
        cast(
            {{ pct('by_campaign.contacted_returned_customers', 'by_campaign.contacted_customers') }}
            as double
        ) as win_back_rate,
        cast(coalesce(by_campaign.holdout_customers, 0) as bigint) as holdout_customers,
        cast(coalesce(by_campaign.holdout_returned_customers, 0) as bigint)
            as holdout_returned_customers,
        cast(
            {{ pct('by_campaign.holdout_returned_customers', 'by_campaign.holdout_customers') }}
            as double
        ) as holdout_win_back_rate,
        cast(
            {{ pct('by_campaign.contacted_returned_customers', 'by_campaign.contacted_customers') }}
            - {{ pct('by_campaign.holdout_returned_customers', 'by_campaign.holdout_customers') }}
            as double
        ) as uplift_points,
        cast(coalesce(by_campaign.returned_orders_90d, 0) as bigint) as returned_orders_90d,
        cast(coalesce(by_campaign.returned_net_revenue_90d, 0) as decimal(18, 2))
            as returned_net_revenue_90d,
        {{ divide('by_campaign.returned_net_revenue_90d', 'by_campaign.returned_orders_90d') }}
            as returned_average_order_value,
        {{ divide('by_campaign.returned_orders_90d', 'by_campaign.contacted_returned_customers') }}
            as returned_orders_per_customer
    from campaigns
    left join by_campaign on campaigns.campaign_id = by_campaign.campaign_id
)

select * from final
