{#- One row: the day the marts describe and the end of the data.
    data_end_date is the latest order date within 31 days of the date by which 99% of
    the orders were placed: a few outlying rows far past the bulk of the data (under 1%
    of the orders, e.g. a typo in 2099) cannot move it. Rows dated after it (after
    as_of_date, when that is later) are quarantined as future_timestamp.
    as_of_date is var as_of_date when set, else data_end_date. Rows dated after
    as_of_date but not after the data end are sound: kept in staging, left out of the
    marts. Without a date to describe the build stops (post-hook require_as_of_date). -#}
{{ config(post_hook="{{ require_as_of_date() }}") }}

with

order_days as (
    select
        order_date,
        sum(orders) as orders
    from {{ ref('base_as_of_date') }}
    group by order_date
),

cumulative as (
    select
        order_date,
        sum(orders) over (order by order_date) as orders_to_date,
        sum(orders) over () as all_orders
    from order_days
),

bulk as (
    select min(order_date) as bulk_date
    from cumulative
    where orders_to_date >= 0.99 * all_orders
),

data_end as (
    select
        max(bulk.bulk_date) as bulk_date,
        max(order_days.order_date) as data_end_date
    from order_days
    cross join bulk
    where order_days.order_date <= {{ add_days('bulk.bulk_date', 31) }}
),

final as (
    select
        data_end.data_end_date,
        data_end.bulk_date as orders_99_percent_date,
        {{ configured_as_of_date() or 'data_end.data_end_date' }} as as_of_date,
        greatest(
            data_end.data_end_date, {{ configured_as_of_date() or 'data_end.data_end_date' }}
        ) as future_after_date,
        {{ "'var as_of_date'" if configured_as_of_date()
            else "'default: the data end'" }} as as_of_date_rule
    from data_end
)

select * from final
