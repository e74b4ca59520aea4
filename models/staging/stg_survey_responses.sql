with

classified as (
    select * from {{ ref('base_survey_responses') }}
),

clean as (
    select
        response_id,
        customer_id,
        survey_type,
        responded_at,
        score,
        reason_code,
        touchpoint,
        order_id,
        ticket_id,
        comment
    from classified
    where quarantine_reason is null
)

select * from clean
