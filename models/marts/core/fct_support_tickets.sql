{#- A view of int_support_tickets, one row per row (a build writes them once); its data tests
    read like that incremental model's (macro get_where_subquery, config rows_of). -#}
{{ config(materialized='view', rows_of='int_support_tickets') }}

with

tickets as (
    select * from {{ ref('int_support_tickets') }}
),

final as (
    select
        ticket_id,
        customer_id,
        opened_at,
        opened_date,
        opened_month,
        first_response_at,
        resolved_at,
        channel,
        category,
        contacts_count,
        reopened_count,
        handled_by_bot,
        first_response_hours,
        resolution_hours,
        first_response_bucket,
        is_resolved,
        is_first_contact_resolution,
        is_repeat_contact,
        is_sla_breach,
        load_batch
    from tickets
)

select * from final
