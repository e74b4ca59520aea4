with

source as {{ inline_on_full_build() }} (
    select * from {{ raw_table('campaigns') }}
),

typed as {{ inline_on_full_build() }} (
    select
        {{ source_columns('campaigns') }},
        source_file,
        {{ clean_text('campaign_id') }} as campaign_id,
        {{ clean_text('name') }} as name,
        {{ clean_enum('campaign_type') }} as campaign_type,
        {{ clean_enum('offer_type') }} as offer_type,
        {{ as_decimal('discount_pct') }} as discount_pct,
        {{ to_utc('starts_at') }} as starts_at,
        {{ to_utc('ends_at') }} as ends_at
    from source
),

checked as {{ inline_cte() }} (
    select
        *,
        case
            when
                {{ unparseable('discount_pct') }} or {{ unparseable('starts_at') }}
                or {{ unparseable('ends_at') }} or {{ implausible_timestamp('starts_at') }} or {{ implausible_timestamp('ends_at') }}
                then 'unparseable'
            when campaign_id is null then 'null_key'
            when
                {{ outside_domain('campaign_type', 'campaign_type') }}
                or {{ outside_domain('offer_type', 'offer_type') }}
                or discount_pct not between 0 and 100
                then 'unknown_value'
        end as row_problem
    from typed
),

classified as (
    {{ classify_rows('campaigns', 'campaign_id') }}
)

select * from classified
