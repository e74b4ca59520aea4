{{ config(
    materialized=incremental_or_table(),
    incremental_strategy='delete+insert',
    unique_key='ticket_id',
    on_schema_change='fail'
) }}

with

source as {{ inline_on_full_build() }} (
    select * from {{ raw_table('support_tickets', skip_files=files_loaded()) }}
),

customers as (
    select customer_id from {{ ref('stg_customers') }}
),

new_rows as {{ inline_on_full_build() }} (
    select
        {{ source_columns('support_tickets') }},
        source_file,
        {{ clean_text('ticket_id') }} as ticket_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ to_utc('opened_at') }} as opened_at,
        {{ to_utc('first_response_at') }} as first_response_at,
        {{ to_utc('resolved_at') }} as resolved_at,
        {{ clean_enum('channel') }} as channel,
        {{ clean_enum('category') }} as category,
        {{ as_integer('contacts_count') }} as contacts_count,
        {{ as_integer('reopened_count') }} as reopened_count,
        {{ as_boolean('handled_by_bot') }} as handled_by_bot
    from source
),

{{ typed_with_reclassified('ticket_id') }},

checked as {{ inline_cte() }} (
    select
        *,
        case
            when
                opened_at is null or {{ unparseable('first_response_at') }}
                or {{ unparseable('resolved_at') }} or {{ unparseable('contacts_count') }}
                or {{ unparseable('reopened_count') }} or {{ unparseable('handled_by_bot') }}
                or {{ implausible_timestamp('opened_at') }} or {{ implausible_timestamp('first_response_at') }}
                or {{ implausible_timestamp('resolved_at') }}
                then 'unparseable'
            when ticket_id is null or customer_id is null then 'null_key'
            when
                {{ outside_domain('channel', 'ticket_channel') }}
                or {{ outside_domain('category', 'ticket_category') }}
                then 'unknown_value'
            when contacts_count < 0 or reopened_count < 0 then 'negative_amount'
            when first_response_at < opened_at then 'response_before_open'
            when resolved_at < opened_at then 'resolved_before_open'
            -- a response or resolution after as_of_date is not known yet on that day
            -- (int_support_tickets reads it as none): only the opening dates the row
            when cast(opened_at as date) > {{ future_after_date() }} then 'future_timestamp'
        end as row_problem
    from typed
),

classified as (
    {{ classify_rows('support_tickets', 'ticket_id', 'customers') }}
)

select * from classified
