{#- The clean rows of base_customers; its data tests read like that incremental model's
    (macro get_where_subquery, config rows_of). -#}
{{ config(rows_of='base_customers') }}

with

classified as (
    select * from {{ ref('base_customers') }}
),

clean as (
    select
        customer_id,
        created_at,
        email_hash,
        phone_hash,
        country,
        city,
        acquisition_channel,
        birth_year,
        gender
    from classified
    where quarantine_reason is null
)

select * from clean
