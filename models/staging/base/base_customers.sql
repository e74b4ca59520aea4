{{ config(
    materialized=incremental_or_table(),
    incremental_strategy='delete+insert',
    unique_key='customer_id',
    on_schema_change='fail'
) }}

with

source as {{ inline_on_full_build() }} (
    select * from {{ raw_table('customers', skip_files=files_loaded()) }}
),

new_rows as {{ inline_on_full_build() }} (
    select
        {{ source_columns('customers') }},
        source_file,
        {{ clean_text('customer_id') }} as customer_id,
        {{ to_utc('created_at') }} as created_at,
        {{ hash_pii("lower(" ~ clean_text('email') ~ ")") }} as email_hash,
        {{ hash_pii(digits_only(clean_text('phone'))) }} as phone_hash,
        upper({{ clean_text('country') }}) as country,
        {{ clean_text('city') }} as city,
        {{ clean_enum('acquisition_channel') }} as acquisition_channel,
        {{ as_integer('birth_year') }} as birth_year,
        {{ clean_enum('gender') }} as gender
    from source
),

{{ typed_with_reclassified('customer_id', has_customer=false) }},

checked as {{ inline_cte() }} (
    select
        *,
        case
            when
                created_at is null or {{ implausible_timestamp('created_at') }} or {{ unparseable('birth_year') }}
                then 'unparseable'
            when customer_id is null then 'null_key'
            when {{ outside_domain('acquisition_channel', 'acquisition_channel') }}
                then 'unknown_value'
            when cast(created_at as date) > {{ future_after_date() }} then 'future_timestamp'
        end as row_problem
    from typed
),

classified as (
    {{ classify_rows('customers', 'customer_id') }}
)

select * from classified
