{{ config(
    materialized=incremental_or_table(),
    incremental_strategy='delete+insert',
    unique_key='event_id',
    on_schema_change='fail'
) }}

with

source as {{ inline_on_full_build() }} (
    select * from {{ raw_table('loyalty_events', skip_files=files_loaded()) }}
),

customers as (
    select customer_id from {{ ref('stg_customers') }}
),

new_rows as {{ inline_on_full_build() }} (
    select
        {{ source_columns('loyalty_events') }},
        source_file,
        {{ clean_text('event_id') }} as event_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ to_utc('occurred_at') }} as occurred_at,
        {{ clean_enum('event_type') }} as event_type,
        {{ as_integer('points') }} as points,
        {{ clean_enum('tier') }} as tier,
        {{ clean_text('order_id') }} as order_id
    from source
),

{{ typed_with_reclassified('event_id') }},

checked as {{ inline_cte() }} (
    select
        *,
        case
            when
                occurred_at is null or {{ implausible_timestamp('occurred_at') }} or {{ unparseable('points') }}
                then 'unparseable'
            when event_id is null or customer_id is null then 'null_key'
            when
                event_type is null or {{ outside_domain('event_type', 'loyalty_event_type') }}
                or {{ outside_domain('tier', 'loyalty_tier') }}
                or (event_type in ('join', 'tier_change') and tier is null)
                then 'unknown_value'
            -- points carry their direction: earned points are added, the rest subtracted
            when event_type = 'earn' and points < 0 then 'negative_amount'
            when event_type in ('redeem', 'expire') and points > 0 then 'negative_amount'
            when cast(occurred_at as date) > {{ future_after_date() }} then 'future_timestamp'
        end as row_problem
    from typed
),

classified as (
    {{ classify_rows('loyalty_events', 'event_id', 'customers') }}
)

select * from classified
