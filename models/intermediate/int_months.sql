{#- The reporting months: from the first month with an order to the month of as_of_date,
    which is reported up to as_of_date and flagged partial unless as_of_date ends it. -#}
with

orders as (
    select order_date from {{ ref('stg_orders') }}
    where {{ known_on_as_of('ordered_at') }}
),

bounds as (
    select
        {{ month_of('min(order_date)') }} as first_month,
        {{ month_of(as_of_date()) }} as last_month,
        {{ as_of_date() }} as as_of_date
    from orders
),

-- up to 100 years of months, cross-database
series as (
    {{ dbt.generate_series(1200) }}
),

spine as (
    select
        {{ add_months('bounds.first_month', 'series.generated_number - 1') }} as month,
        bounds.as_of_date
    from bounds
    inner join series
        on {{ add_months('bounds.first_month', 'series.generated_number - 1') }} <= bounds.last_month
),

final as (
    select
        month,
        {{ add_days('month', -1) }} as previous_month_end_date,
        {{ add_days(add_months('month', 1), -1) }} as month_end_date,
        least({{ add_days(add_months('month', 1), -1) }}, as_of_date) as period_end_date,
        as_of_date < {{ add_days(add_months('month', 1), -1) }} as is_partial_month
    from spine
)

select * from final
