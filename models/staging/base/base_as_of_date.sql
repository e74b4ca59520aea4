{#- The default as_of_date, computed once: the latest order date in the raw data (UTC).
    The as_of_date() macro reads it unless var as_of_date is set. -#}
with

raw_orders as (
    select * from {{ raw_table('orders') }}
),

final as (
    select max(cast({{ to_utc('ordered_at') }} as date)) as as_of_date
    from raw_orders
)

select * from final
