with

classified as (
    select * from {{ ref('base_campaigns') }}
),

quarantined as (
    select
        'campaigns' as source_table,
        quarantine_reason,
        source_file,
        {{ raw_columns_restored('campaigns') }}
    from classified
    where quarantine_reason is not null
)

select * from quarantined
