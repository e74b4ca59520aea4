with

classified as (
    select * from {{ ref('base_customers') }}
),

clean as (
    select
        customer_id,
        created_at,
        {{ hash_pii('email') }} as email_hash,
        {{ hash_pii('phone') }} as phone_hash,
        country,
        city,
        acquisition_channel,
        birth_year,
        gender
    from classified
    where quarantine_reason is null
)

select * from clean
