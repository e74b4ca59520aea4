with

classified as (
    select * from {{ ref('base_customers') }}
),

quarantined as (
    select
        'customers' as source_table,
        quarantine_reason,
        source_file,
        {{ raw_columns_restored('customers') }}
    from classified
    where quarantine_reason is not null
)

select * from quarantined
