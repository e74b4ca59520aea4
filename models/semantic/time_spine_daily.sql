{#- MetricFlow's day time spine: every day from the first month with data to as_of_date. -#}
with

months as (
    select * from {{ ref('int_months') }}
),

bounds as (
    select
        min(month) as first_day,
        max(period_end_date) as last_day
    from months
),

days as (
    select {{ day_series('first_day', 'last_day') }}
    from bounds
),

final as (
    select cast(date_day as date) as date_day
    from days
)

select * from final
