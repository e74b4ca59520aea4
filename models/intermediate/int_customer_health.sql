{#- Health score 0-100: the weighted sum of banded signals, with weights and band edges
    from seeds health_score_weights and health_score_bands; health_band from health_bands. -#}
with

customers as (
    select customer_id from {{ ref('stg_customers') }}
    where {{ known_on_as_of('created_at') }}
),

purchases as (
    select * from {{ ref('int_customer_purchase_summary') }}
),

signals as (
    select * from {{ ref('int_customer_signals') }}
),

loyalty as (
    select * from {{ ref('int_loyalty_customers') }}
),

weights as (
    select * from {{ ref('health_score_weights') }}
),

bands as (
    select * from {{ ref('health_score_bands') }}
),

health_bands as (
    select
        health_band,
        min_score,
        lead(min_score) over (order by min_score) as next_min_score
    from {{ ref('health_bands') }}
),

as_of as (
    select {{ as_of_date() }} as as_of_date
),

wide as (
    select
        customers.customer_id,
        cast({{ days_between('purchases.last_order_date', 'as_of.as_of_date') }} as double)
            as recency_days,
        cast(purchases.orders_count as double) as orders_count,
        cast(case signals.latest_nps_band
            when 'promoter' then 1 when 'passive' then 0 when 'detractor' then -1
        end as double) as nps_band_value,
        cast(signals.csat_average as double) as csat_average,
        cast(signals.median_first_response_hours as double) as median_first_response_hours,
        cast(loyalty.points_balance as double) as loyalty_points_balance
    from customers
    cross join as_of
    left join purchases on customers.customer_id = purchases.customer_id
    left join signals on customers.customer_id = signals.customer_id
    left join loyalty on customers.customer_id = loyalty.customer_id
),

{%- set signal_names = ['recency_days', 'orders_count', 'nps_band_value', 'csat_average',
                        'median_first_response_hours', 'loyalty_points_balance'] %}

long as (
    {% for signal in signal_names -%}
        select
            customer_id,
            '{{ signal }}' as signal,
            {{ signal }} as signal_value
        from wide
        {% if not loop.last %}union all
        {% endif %}
    {%- endfor %}
),

banded as (
    select
        long.customer_id,
        long.signal,
        bands.points * weights.weight as weighted_points
    from long
    inner join weights on long.signal = weights.signal
    inner join bands
        on
            long.signal = bands.signal
            and (
                (long.signal_value is null and bands.for_missing_value)
                or (
                    long.signal_value is not null
                    and not bands.for_missing_value
                    and (bands.lower_bound is null or long.signal_value >= bands.lower_bound)
                    and (bands.upper_bound is null or long.signal_value < bands.upper_bound)
                )
            )
),

scored as (
    select
        customer_id,
        sum(weighted_points) as health_score
    from banded
    group by customer_id
),

final as (
    select
        scored.customer_id,
        scored.health_score,
        health_bands.health_band
    from scored
    left join health_bands
        on
            scored.health_score >= health_bands.min_score
            and (health_bands.next_min_score is null or scored.health_score < health_bands.next_min_score)
)

select * from final
