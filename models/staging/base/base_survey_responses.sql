{{ config(
    materialized=incremental_or_table(),
    incremental_strategy='delete+insert',
    unique_key='response_id',
    on_schema_change='fail'
) }}

with

source as {{ inline_on_full_build() }} (
    select * from {{ raw_table('survey_responses', skip_files=files_loaded()) }}
),

customers as (
    select customer_id from {{ ref('stg_customers') }}
),

new_rows as {{ inline_on_full_build() }} (
    select
        {{ source_columns('survey_responses') }},
        source_file,
        {{ clean_text('response_id') }} as response_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ clean_enum('survey_type') }} as survey_type,
        {{ to_utc('responded_at') }} as responded_at,
        {{ as_integer('score') }} as score,
        {{ clean_enum('reason_code') }} as reason_code,
        {{ clean_enum('touchpoint') }} as touchpoint,
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('ticket_id') }} as ticket_id,
        {{ scrub_pii(clean_text('comment')) }} as comment
    from source
),

{{ typed_with_reclassified('response_id') }},

checked as {{ inline_cte() }} (
    select
        *,
        case
            when
                responded_at is null or {{ implausible_timestamp('responded_at') }} or {{ unparseable('score') }}
                then 'unparseable'
            when response_id is null or customer_id is null then 'null_key'
            when
                survey_type is null or {{ outside_domain('survey_type', 'survey_type') }}
                or {{ outside_domain('reason_code', 'exit_reason') }}
                or {{ outside_domain('touchpoint', 'touchpoint') }}
                then 'unknown_value'
            -- every scored survey needs a score on its own scale; exit surveys carry none
            when survey_type = 'nps' and (score is null or score not between 0 and 10)
                then 'score_out_of_range'
            when survey_type = 'csat' and (score is null or score not between 1 and 5)
                then 'score_out_of_range'
            when survey_type = 'ces' and (score is null or score not between 1 and 7)
                then 'score_out_of_range'
            when survey_type = 'exit' and score is not null then 'score_out_of_range'
            when cast(responded_at as date) > {{ future_after_date() }} then 'future_timestamp'
        end as row_problem
    from typed
),

classified as (
    {{ classify_rows('survey_responses', 'response_id', 'customers') }}
)

select * from classified
