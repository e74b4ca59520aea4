with

classified as (
    select * from {{ ref('base_loyalty_events') }}
),

quarantined as (
    select
        'loyalty_events' as source_table,
        quarantine_reason,
        source_file,
        {{ raw_columns_restored('loyalty_events') }}
    from classified
    where quarantine_reason is not null
)

select * from quarantined
