{#- Ticket timings and the support rules: first-response and resolution hours, first-
    contact resolution, repeat contact (another ticket by the customer in the previous
    30 days), SLA breach (var sla_first_response_hours) and the response-time bucket. -#}
{{ config(
    materialized=incremental_or_table(),
    incremental_strategy='replace_customers',
    changed_by='base_support_tickets',
    revealed_later={'model': 'stg_support_tickets', 'key': 'ticket_id',
                    'columns': ['first_response_at', 'resolved_at']},
    on_schema_change='fail'
) }}

with

tickets as (
    select * from {{ ref('stg_support_tickets') }}
    where {{ known_on_as_of('opened_at') }}
    {%- if is_incremental() %} and {{ changed_rows('base_support_tickets') }}{% endif %}
),

-- a response or resolution after as_of_date had not happened yet on that day
seen_on_as_of as (
    select
        ticket_id,
        customer_id,
        opened_at,
        case when {{ known_on_as_of('first_response_at') }} then first_response_at end
            as first_response_at,
        case when {{ known_on_as_of('resolved_at') }} then resolved_at end as resolved_at,
        channel,
        category,
        contacts_count,
        reopened_count,
        handled_by_bot
    from tickets
),

timed as (
    select
        *,
        {{ hours_between('opened_at', 'first_response_at') }} as first_response_hours,
        {{ hours_between('opened_at', 'resolved_at') }} as resolution_hours,
        lag(opened_at) over (
            partition by customer_id order by opened_at, ticket_id
        ) as previous_ticket_opened_at
    from seen_on_as_of
),

final as (
    select
        ticket_id,
        customer_id,
        opened_at,
        cast(opened_at as date) as opened_date,
        {{ month_of('opened_at') }} as opened_month,
        first_response_at,
        resolved_at,
        channel,
        category,
        contacts_count,
        reopened_count,
        handled_by_bot,
        first_response_hours,
        resolution_hours,
        resolved_at is not null as is_resolved,
        resolved_at is not null and contacts_count = 1 and reopened_count = 0
            as is_first_contact_resolution,
        coalesce(
            previous_ticket_opened_at >= {{ dbt.dateadd('day', -30, 'opened_at') }}, false
        ) as is_repeat_contact,
        case
            when first_response_hours is not null
                then first_response_hours > {{ positive_var('sla_first_response_hours') }}
        end as is_sla_breach,
        {{ first_response_bucket('first_response_hours') }} as first_response_bucket,
        {{ latest_load_batch('base_support_tickets') }} as load_batch
    from timed
)

select * from final
