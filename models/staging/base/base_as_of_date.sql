{#- Order counts per raw orders file and order date (UTC), computed once and
    incrementally (a run reads only the files it has not seen): the input of the default
    as_of_date and of the data-end rule in base_as_of_bounds. Dates that no real order
    can carry (before 1970-01-02, infinite) are left out; their rows are quarantined. -#}
{{ config(
    materialized=incremental_or_table(),
    incremental_strategy='append',
    on_schema_change='fail'
) }}

with

raw_orders as (
    select * from {{ raw_table('orders', skip_files=files_loaded()) }}
),

order_times as (
    select
        source_file,
        {{ to_utc('ordered_at') }} as ordered_at
    from raw_orders
),

-- dates are judged after counting: a filter on the typed timestamp would repeat its
-- typing once per reference for every order (5 s at 10M orders)
order_days as (
    select
        source_file,
        cast(ordered_at as date) as order_date,
        count(*) as orders
    from order_times
    group by source_file, cast(ordered_at as date)
),

final as (
    select
        source_file,
        order_date,
        orders
    from order_days
    where
        order_date is not null
        and not {{ implausible_timestamp('cast(order_date as timestamp)') }}
)

select * from final
