with

classified as (
    select * from {{ ref('base_campaign_touches') }}
),

quarantined as (
    select
        'campaign_touches' as source_table,
        quarantine_reason,
        source_file,
        {{ raw_columns_restored('campaign_touches') }}
    from classified
    where quarantine_reason is not null
)

select * from quarantined
