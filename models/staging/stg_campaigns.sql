with

classified as (
    select * from {{ ref('base_campaigns') }}
),

clean as (
    select
        campaign_id,
        name as campaign_name,
        campaign_type,
        offer_type,
        discount_pct,
        starts_at,
        ends_at
    from classified
    where quarantine_reason is null
)

select * from clean
