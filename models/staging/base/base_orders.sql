{{ config(
    materialized=incremental_or_table(),
    incremental_strategy='delete+insert',
    unique_key='order_id',
    on_schema_change='fail'
) }}

with

source as {{ inline_on_full_build() }} (
    select * from {{ raw_table('orders', skip_files=files_loaded()) }}
),

customers as (
    select customer_id from {{ ref('stg_customers') }}
),

new_rows as {{ inline_on_full_build() }} (
    select
        {{ source_columns('orders') }},
        source_file,
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ to_utc('ordered_at') }} as ordered_at,
        {{ clean_enum('status') }} as status,
        {{ clean_enum('channel') }} as channel,
        {{ as_decimal('gross_amount') }} as gross_amount,
        {{ as_decimal('discount_amount') }} as discount_amount,
        {{ as_decimal('refunded_amount') }} as refunded_amount,
        upper({{ clean_text('currency') }}) as currency,
        {{ clean_text('promo_code') }} as promo_code,
        {{ clean_text('campaign_id') }} as campaign_id
    from source
),

{{ typed_with_reclassified('order_id') }},

checked as {{ inline_cte() }} (
    select
        *,
        case
            when
                {{ unparseable('ordered_at') }} or {{ unparseable('gross_amount') }}
                or {{ unparseable('discount_amount') }} or {{ unparseable('refunded_amount') }}
                or ordered_at is null or gross_amount is null or {{ implausible_timestamp('ordered_at') }}
                then 'unparseable'
            when order_id is null or customer_id is null then 'null_key'
            when
                status is null or {{ outside_domain('status', 'order_status') }}
                or {{ outside_domain('channel', 'order_channel') }}
                then 'unknown_value'
            when gross_amount < 0 or discount_amount < 0 or refunded_amount < 0
                then 'negative_amount'
            when discount_amount > gross_amount then 'discount_exceeds_gross'
            -- a refund larger than what was paid would make net revenue negative
            when refunded_amount > gross_amount - coalesce(discount_amount, 0)
                then 'negative_amount'
            when cast(ordered_at as date) > {{ future_after_date() }} then 'future_timestamp'
        end as row_problem
    from typed
),

classified as (
    {{ classify_rows('orders', 'order_id', 'customers') }}
)

select * from classified
