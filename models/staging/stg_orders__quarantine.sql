with

classified as (
    select * from {{ ref('base_orders') }}
),

quarantined as (
    select
        'orders' as source_table,
        quarantine_reason,
        source_file,
        {{ raw_columns_restored('orders') }}
    from classified
    where quarantine_reason is not null
)

select * from quarantined
