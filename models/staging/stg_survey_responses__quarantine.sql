with

classified as (
    select * from {{ ref('base_survey_responses') }}
),

quarantined as (
    select
        'survey_responses' as source_table,
        quarantine_reason,
        source_file,
        {{ raw_columns_restored('survey_responses') }}
    from classified
    where quarantine_reason is not null
)

select * from quarantined
