{#- A ticket's outcome is known once W days have passed since it was opened: the customer
    churned after it when they bought nothing in the W days after opening it (their last
    purchase was before the ticket, so their churn date falls within those W days).
    They bought in those days exactly when one of their spells has its last purchase after
    the opening day and starts no later than W days after it: a spell's purchases are never
    more than W days apart, so its first purchase after the opening day falls within W days
    of it. The spells are a tenth of the purchases. -#}
with

tickets as (
    select * from {{ ref('int_support_tickets') }}
),

spells as (
    select
        customer_id,
        spell_start_date,
        last_purchase_date
    from {{ ref('int_customer_activity_spells') }}
),

responses as (
    select * from {{ ref('int_survey_responses') }}
),

as_of as (
    select {{ as_of_date() }} as as_of_date
),

observed as (
    select tickets.*
    from tickets
    cross join as_of
    where tickets.opened_date <= {{ add_days('as_of.as_of_date', -churn_window_days()) }}
),

bought_after as (
    select distinct observed.ticket_id
    from observed
    inner join spells
        on
            observed.customer_id = spells.customer_id
            and observed.opened_date < spells.last_purchase_date
            and spells.spell_start_date <= {{ add_days('observed.opened_date', churn_window_days()) }}
),

ticket_nps as (
    select
        ticket_id,
        nps_band
    from responses
    where survey_type = 'nps' and ticket_id is not null
),

outcomes as (
    select
        observed.first_response_bucket,
        observed.customer_id,
        observed.first_response_hours,
        bought_after.ticket_id is null as churned_after_ticket,
        ticket_nps.nps_band
    from observed
    left join bought_after on observed.ticket_id = bought_after.ticket_id
    left join ticket_nps on observed.ticket_id = ticket_nps.ticket_id
),

by_bucket as (
    select
        first_response_bucket,
        count(*) as tickets,
        count(distinct customer_id) as customers,
        sum(case when churned_after_ticket then 1 else 0 end) as churned_after_ticket,
        {{ percentile('first_response_hours', 0.5) }} as median_first_response_hours,
        count(nps_band) as nps_responses,
        sum(case when nps_band = 'detractor' then 1 else 0 end) as detractors
    from outcomes
    group by first_response_bucket
),

final as (
    select
        first_response_bucket,
        cast(case first_response_bucket
            when '< 1 h' then 1 when '1-4 h' then 2 when '4-24 h' then 3
            when '1-3 days' then 4 when '> 3 days' then 5 else 6
        end as integer) as bucket_order,
        cast(tickets as bigint) as tickets,
        cast(customers as bigint) as customers,
        cast(churned_after_ticket as bigint) as churned_after_ticket,
        cast({{ pct('churned_after_ticket', 'tickets') }} as double) as churn_rate,
        cast(median_first_response_hours as double) as median_first_response_hours,
        cast(nps_responses as bigint) as nps_responses,
        cast({{ pct('detractors', 'nps_responses') }} as double) as detractor_rate
    from by_bucket
)

select * from final
