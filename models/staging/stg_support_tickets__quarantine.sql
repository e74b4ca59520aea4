with

classified as (
    select * from {{ ref('base_support_tickets') }}
),

quarantined as (
    select
        'support_tickets' as source_table,
        quarantine_reason,
        source_file,
        {{ raw_columns_restored('support_tickets') }}
    from classified
    where quarantine_reason is not null
)

select * from quarantined
