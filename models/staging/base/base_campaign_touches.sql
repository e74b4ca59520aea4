with

source as (
    select * from {{ raw_table('campaign_touches') }}
),

customers as (
    select customer_id from {{ ref('stg_customers') }}
),

campaigns as (
    select campaign_id from {{ ref('stg_campaigns') }}
),

typed as (
    select
        {{ raw_text_columns('campaign_touches') }},
        source_file,
        {{ clean_text('touch_id') }} as touch_id,
        {{ clean_text('campaign_id') }} as campaign_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ to_utc('sent_at') }} as sent_at,
        {{ clean_enum('channel') }} as channel,
        {{ as_boolean('is_holdout') }} as is_holdout
    from source
),

checked as (
    select
        *,
        case
            when sent_at is null or {{ unparseable('is_holdout') }} then 'unparseable'
            when touch_id is null or customer_id is null or campaign_id is null then 'null_key'
            when {{ outside_domain('channel', 'touch_channel') }} then 'unknown_value'
            when cast(sent_at as date) > {{ as_of_date() }} then 'future_timestamp'
        end as row_problem,
        {{ raw_fingerprint('campaign_touches') }} as row_fingerprint
    from typed
),

classified as (
    select
        checked.*,
        coalesce(
            checked.row_problem,
            {{ duplicate_problem('checked.touch_id', 'checked.row_fingerprint', 'checked.row_problem',
                               'checked.source_file') }},
            case when customers.customer_id is null then 'unknown_customer' end,
            -- a touch of a campaign we do not know cannot be evaluated
            case when campaigns.campaign_id is null then 'unknown_value' end
        ) as quarantine_reason
    from checked
    left join customers on checked.customer_id = customers.customer_id
    left join campaigns on checked.campaign_id = campaigns.campaign_id
)

select * from classified
