with

classified as (
    select * from {{ ref('base_campaign_touches') }}
),

clean as (
    select
        touch_id,
        campaign_id,
        customer_id,
        sent_at,
        channel,
        coalesce(is_holdout, false) as is_holdout
    from classified
    where quarantine_reason is null
)

select * from clean
