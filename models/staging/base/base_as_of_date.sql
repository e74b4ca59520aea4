{#- The default as_of_date, computed once: the latest order date in the raw data (UTC),
    kept per raw orders file so an incremental run reads only the new files. The
    as_of_date() macro takes the latest of these unless var as_of_date is set. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns'
) }}

with

raw_orders as (
    select * from {{ raw_table('orders', skip_files=files_loaded()) }}
),

order_dates as (
    select
        source_file,
        cast({{ to_utc('ordered_at') }} as date) as order_date
    from raw_orders
),

final as (
    select
        source_file,
        max(order_date) as as_of_date
    from order_dates
    where order_date is not null
    group by source_file
)

select * from final
