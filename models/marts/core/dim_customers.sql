with

customers as (
    select * from {{ ref('stg_customers') }}
    where {{ known_on_as_of('created_at') }}
),

purchases as (
    select * from {{ ref('int_customer_purchase_summary') }}
),

spells as (
    select * from {{ ref('int_customer_activity_spells') }}
),

rfm as (
    select * from {{ ref('int_customer_rfm') }}
),

signals as (
    select * from {{ ref('int_customer_signals') }}
),

loyalty as (
    select * from {{ ref('int_loyalty_customers') }}
),

health as (
    select * from {{ ref('int_customer_health') }}
),

probabilistic_clv as (
    select * from {{ ref('int_customer_clv') }}
),

as_of as (
    select {{ as_of_date() }} as as_of_date
),

latest_spell as (
    select
        *,
        row_number() over (partition by customer_id order by spell_number desc) as spell_rank
    from spells
),

latest_churn as (
    select
        customer_id,
        max(churn_date) as churned_at
    from spells
    where is_churned
    group by customer_id
),

-- annual churn rate of each RFM segment: customers active a year before as_of_date who
-- churned within that year
segment_churn as (
    select
        rfm.rfm_segment,
        {{ pct(
            "sum(case when spells.churn_date <= as_of.as_of_date then 1 else 0 end)",
            "count(*)"
        ) }} as annual_churn_rate
    from spells
    cross join as_of
    inner join rfm on spells.customer_id = rfm.customer_id
    where
        spells.spell_start_date <= {{ add_days('as_of.as_of_date', -365) }}
        and spells.churn_date > {{ add_days('as_of.as_of_date', -365) }}
    group by rfm.rfm_segment
),

profile as (
    select
        customers.customer_id,
        customers.created_at,
        customers.email_hash,
        customers.phone_hash,
        customers.country,
        customers.city,
        customers.acquisition_channel,
        customers.birth_year,
        customers.gender,
        purchases.first_order_at,
        purchases.last_order_at,
        purchases.cohort_month,
        coalesce(purchases.orders_count, 0) as orders_count,
        coalesce(purchases.net_revenue, 0) as net_revenue,
        {{ divide('purchases.net_revenue', 'purchases.orders_count') }} as average_order_value,
        coalesce(purchases.orders_count >= 2, false) as is_repeat_customer,
        {{ days_between('purchases.last_order_date', 'as_of.as_of_date') }} as days_since_last_order,
        {{ days_between('purchases.first_order_date', 'as_of.as_of_date') }} as days_since_first_order,
        purchases.orders_last_365_days,
        latest_spell.churn_date > as_of.as_of_date as is_active,
        latest_spell.is_reactivation as latest_spell_is_reactivation,
        latest_spell.spell_start_date as latest_spell_start_date,
        latest_churn.churned_at,
        as_of.as_of_date
    from customers
    cross join as_of
    left join purchases on customers.customer_id = purchases.customer_id
    left join latest_spell
        on customers.customer_id = latest_spell.customer_id and latest_spell.spell_rank = 1
    left join latest_churn on customers.customer_id = latest_churn.customer_id
),

classified as (
    select
        *,
        case
            when orders_count = 0 then 'prospect'
            when not is_active then 'churned'
            when days_since_last_order > {{ churn_window_days() }} / 2.0 then 'at_risk'
            when days_since_first_order < 30 then 'new'
            when
                latest_spell_is_reactivation
                and {{ days_between('latest_spell_start_date', 'as_of_date') }}
                < {{ churn_window_days() }}
                then 'reactivated'
            else 'active'
        end as lifecycle_status
    from profile
),

final as (
    select
        classified.customer_id,
        classified.created_at,
        classified.email_hash,
        classified.phone_hash,
        classified.country,
        classified.city,
        classified.acquisition_channel,
        classified.birth_year,
        classified.gender,
        classified.first_order_at,
        classified.last_order_at,
        classified.cohort_month,
        cast(classified.orders_count as bigint) as orders_count,
        cast(classified.net_revenue as decimal(18, 2)) as net_revenue,
        cast(classified.average_order_value as double) as average_order_value,
        classified.is_repeat_customer,
        cast(classified.days_since_last_order as integer) as days_since_last_order,
        classified.lifecycle_status,
        classified.churned_at,
        rfm.r_score,
        rfm.f_score,
        rfm.m_score,
        rfm.rfm_segment,
        signals.latest_nps_score,
        signals.latest_nps_band,
        cast(signals.csat_average as double) as csat_average,
        cast(coalesce(signals.tickets_count, 0) as bigint) as tickets_count,
        cast(signals.median_first_response_hours as double) as median_first_response_hours,
        signals.last_exit_reason,
        loyalty.customer_id is not null as is_loyalty_member,
        loyalty.joined_at as loyalty_joined_at,
        loyalty.loyalty_tier,
        cast(loyalty.points_balance as bigint) as loyalty_points_balance,
        cast(coalesce(classified.orders_last_365_days, 0) as bigint) as orders_last_365_days,
        cast(segment_churn.annual_churn_rate as double) as segment_annual_churn_rate,
        cast(
            coalesce(classified.average_order_value, 0)
            * coalesce(classified.orders_last_365_days, 0)
            * coalesce(least(10.0, 100.0 / nullif(segment_churn.annual_churn_rate, 0)), 10.0)
            as double
        ) as predicted_clv,
        cast(probabilistic_clv.probability_alive as double) as probability_alive,
        cast(probabilistic_clv.predicted_clv_365d as double) as predicted_clv_365d,
        cast(health.health_score as double) as health_score,
        health.health_band
    from classified
    left join rfm on classified.customer_id = rfm.customer_id
    left join signals on classified.customer_id = signals.customer_id
    left join loyalty on classified.customer_id = loyalty.customer_id
    left join health on classified.customer_id = health.customer_id
    left join probabilistic_clv on classified.customer_id = probabilistic_clv.customer_id
    left join segment_churn on rfm.rfm_segment = segment_churn.rfm_segment
)

select * from final
