{{ config(
    materialized=incremental_or_table(),
    incremental_strategy='delete+insert',
    unique_key='touch_id',
    on_schema_change='fail'
) }}

with

source as {{ inline_on_full_build() }} (
    select * from {{ raw_table('campaign_touches', skip_files=files_loaded()) }}
),

customers as (
    select customer_id from {{ ref('stg_customers') }}
),

-- a touch of a campaign we do not know cannot be evaluated
campaigns as (
    select campaign_id from {{ ref('stg_campaigns') }}
),

new_rows as {{ inline_on_full_build() }} (
    select
        {{ source_columns('campaign_touches') }},
        source_file,
        {{ clean_text('touch_id') }} as touch_id,
        {{ clean_text('campaign_id') }} as campaign_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ to_utc('sent_at') }} as sent_at,
        {{ clean_enum('channel') }} as channel,
        {{ as_boolean('is_holdout') }} as is_holdout
    from source
),

{{ typed_with_reclassified('touch_id', references={'campaigns': 'campaign_id'}) }},

checked as {{ inline_cte() }} (
    select
        *,
        case
            when
                sent_at is null or {{ implausible_timestamp('sent_at') }} or {{ unparseable('is_holdout') }}
                then 'unparseable'
            when touch_id is null or customer_id is null or campaign_id is null then 'null_key'
            when {{ outside_domain('channel', 'touch_channel') }} then 'unknown_value'
            when cast(sent_at as date) > {{ future_after_date() }} then 'future_timestamp'
        end as row_problem
    from typed
),

classified as (
    {{ classify_rows('campaign_touches', 'touch_id', 'customers', references={'campaigns': 'campaign_id'}) }}
)

select * from classified
