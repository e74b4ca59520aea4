{#- What each customer told us and how support treated them: latest NPS answer and band,
    CSAT average, tickets and median first-response time, last exit reason. -#}
with

responses as (
    select * from {{ ref('int_survey_responses') }}
),

tickets as (
    select * from {{ ref('int_support_tickets') }}
),

latest_nps as (
    select
        customer_id,
        score as latest_nps_score,
        nps_band as latest_nps_band,
        row_number() over (
            partition by customer_id order by responded_at desc, response_id desc
        ) as answer_rank
    from responses
    where survey_type = 'nps'
),

latest_exit as (
    select
        customer_id,
        reason_code as last_exit_reason,
        row_number() over (
            partition by customer_id order by responded_at desc, response_id desc
        ) as answer_rank
    from responses
    where survey_type = 'exit'
),

csat as (
    select
        customer_id,
        avg(score) as csat_average,
        count(*) as csat_responses
    from responses
    where survey_type = 'csat'
    group by customer_id
),

support as (
    select
        customer_id,
        count(*) as tickets_count,
        {{ percentile('first_response_hours', 0.5) }} as median_first_response_hours
    from tickets
    group by customer_id
),

customers as (
    select customer_id from latest_nps
    union
    select customer_id from latest_exit
    union
    select customer_id from csat
    union
    select customer_id from support
),

final as (
    select
        customers.customer_id,
        latest_nps.latest_nps_score,
        latest_nps.latest_nps_band,
        csat.csat_average,
        coalesce(csat.csat_responses, 0) as csat_responses,
        coalesce(support.tickets_count, 0) as tickets_count,
        support.median_first_response_hours,
        latest_exit.last_exit_reason
    from customers
    left join latest_nps
        on customers.customer_id = latest_nps.customer_id and latest_nps.answer_rank = 1
    left join latest_exit
        on customers.customer_id = latest_exit.customer_id and latest_exit.answer_rank = 1
    left join csat on customers.customer_id = csat.customer_id
    left join support on customers.customer_id = support.customer_id
)

select * from final
