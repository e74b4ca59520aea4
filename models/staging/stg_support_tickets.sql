{#- The clean rows of base_support_tickets; its data tests read like that incremental model's
    (macro get_where_subquery, config rows_of). -#}
{{ config(rows_of='base_support_tickets') }}

with

classified as (
    select * from {{ ref('base_support_tickets') }}
),

clean as (
    select
        ticket_id,
        customer_id,
        opened_at,
        first_response_at,
        resolved_at,
        channel,
        category,
        coalesce(contacts_count, 1) as contacts_count,
        coalesce(reopened_count, 0) as reopened_count,
        coalesce(handled_by_bot, false) as handled_by_bot
    from classified
    where quarantine_reason is null
)

select * from clean
