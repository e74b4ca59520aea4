{{ config(
    materialized=incremental_or_table(),
    incremental_strategy='replace_customers',
    changed_by='base_support_tickets',
    revealed_later={'model': 'int_support_tickets', 'key': 'ticket_id',
                    'columns': ['first_response_at', 'resolved_at']},
    on_schema_change='fail'
) }}

-- depends_on: {{ ref('base_support_tickets') }}
-- depends_on: {{ ref('base_as_of_bounds') }}
with

tickets as (
    select * from {{ ref('int_support_tickets') }}
    {% if is_incremental() %}where {{ changed_rows('base_support_tickets') }}{% endif %}
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
