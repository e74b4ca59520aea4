with

months as (
    select * from {{ ref('int_months') }}
),

customer_months as (
    select * from {{ ref('int_customer_months') }}
),

orders as (
    select * from {{ ref('int_orders') }}
),

customers as (
    select * from {{ ref('int_customer_purchase_summary') }}
),

responses as (
    select * from {{ ref('int_survey_responses') }}
),

tickets as (
    select * from {{ ref('int_support_tickets') }}
),

churn_events as (
    select * from {{ ref('int_churn_events') }}
),

flows as (
    select
        month,
        sum(case when is_active_at_start then 1 else 0 end) as customers_start,
        sum(case when is_new then 1 else 0 end) as new_customers,
        sum(case when is_reactivated then 1 else 0 end) as reactivated_customers,
        sum(case when is_churned then 1 else 0 end) as churned_customers,
        sum(case when is_active_at_end then 1 else 0 end) as customers_end
    from customer_months
    group by month
),

order_metrics as (
    select
        order_month as month,
        sum(case when is_purchase then 1 else 0 end) as orders,
        sum(net_revenue) as net_revenue,
        count(distinct case when is_purchase then customer_id end) as purchasing_customers,
        sum(case when status = 'returned' then 1 else 0 end) as returned_orders
    from orders
    group by order_month
),

first_purchases as (
    select
        cohort_month as month,
        count(*) as customers
    from customers
    group by cohort_month
),

second_purchases as (
    select
        {{ month_of('second_order_date') }} as month,
        count(*) as customers
    from customers
    where second_order_date is not null
    group by {{ month_of('second_order_date') }}
),

buyers_to_date as (
    select
        months.month,
        sum(coalesce(first_purchases.customers, 0)) over (
            order by months.month rows unbounded preceding
        ) as customers_with_purchase,
        sum(coalesce(second_purchases.customers, 0)) over (
            order by months.month rows unbounded preceding
        ) as customers_with_repeat_purchase
    from months
    left join first_purchases on months.month = first_purchases.month
    left join second_purchases on months.month = second_purchases.month
),

nps as (
    select
        response_month as month,
        count(*) as nps_responses,
        sum(case when nps_band = 'promoter' then 1 else 0 end) as promoters,
        sum(case when nps_band = 'passive' then 1 else 0 end) as passives,
        sum(case when nps_band = 'detractor' then 1 else 0 end) as detractors
    from responses
    where survey_type = 'nps' and is_counted_nps
    group by response_month
),

csat as (
    select
        response_month as month,
        count(*) as csat_responses,
        sum(case when score >= 4 then 1 else 0 end) as satisfied_responses,
        avg(score) as csat_average
    from responses
    where survey_type = 'csat'
    group by response_month
),

ces as (
    select
        response_month as month,
        count(*) as ces_responses,
        avg(score) as ces_average
    from responses
    where survey_type = 'ces'
    group by response_month
),

support as (
    select
        opened_month as month,
        count(*) as tickets,
        sum(case when category = 'product_quality' then 1 else 0 end) as quality_tickets,
        {{ percentile('first_response_hours', 0.5) }} as median_first_response_hours,
        {{ percentile('first_response_hours', 0.9) }} as p90_first_response_hours,
        {{ percentile('resolution_hours', 0.5) }} as median_resolution_hours,
        sum(case when is_resolved then 1 else 0 end) as resolved_tickets,
        sum(case when is_first_contact_resolution then 1 else 0 end) as first_contact_resolutions,
        sum(case when is_repeat_contact then 1 else 0 end) as repeat_contact_tickets,
        count(first_response_hours) as responded_tickets,
        sum(case when is_sla_breach then 1 else 0 end) as sla_breaches,
        sum(case when is_resolved and handled_by_bot then 1 else 0 end) as bot_resolved_tickets
    from tickets
    group by opened_month
),

churn_reasons as (
    select
        churn_month as month,
        count(reason_code) as churns_with_reason,
        count(*) as churns
    from churn_events
    group by churn_month
),

joined as (
    select
        months.*,
        coalesce(flows.customers_start, 0) as customers_start,
        coalesce(flows.new_customers, 0) as new_customers,
        coalesce(flows.reactivated_customers, 0) as reactivated_customers,
        coalesce(flows.churned_customers, 0) as churned_customers,
        coalesce(flows.customers_end, 0) as customers_end,
        buyers_to_date.customers_with_purchase,
        buyers_to_date.customers_with_repeat_purchase,
        coalesce(order_metrics.orders, 0) as orders,
        coalesce(order_metrics.net_revenue, 0) as net_revenue,
        coalesce(order_metrics.purchasing_customers, 0) as purchasing_customers,
        coalesce(order_metrics.returned_orders, 0) as returned_orders,
        coalesce(nps.nps_responses, 0) as nps_responses,
        coalesce(nps.promoters, 0) as promoters,
        coalesce(nps.passives, 0) as passives,
        coalesce(nps.detractors, 0) as detractors,
        coalesce(csat.csat_responses, 0) as csat_responses,
        coalesce(csat.satisfied_responses, 0) as satisfied_responses,
        csat.csat_average,
        coalesce(ces.ces_responses, 0) as ces_responses,
        ces.ces_average,
        coalesce(support.tickets, 0) as tickets,
        coalesce(support.quality_tickets, 0) as quality_tickets,
        support.median_first_response_hours,
        support.p90_first_response_hours,
        support.median_resolution_hours,
        coalesce(support.resolved_tickets, 0) as resolved_tickets,
        coalesce(support.first_contact_resolutions, 0) as first_contact_resolutions,
        coalesce(support.repeat_contact_tickets, 0) as repeat_contact_tickets,
        coalesce(support.responded_tickets, 0) as responded_tickets,
        coalesce(support.sla_breaches, 0) as sla_breaches,
        coalesce(support.bot_resolved_tickets, 0) as bot_resolved_tickets,
        coalesce(churn_reasons.churns_with_reason, 0) as churns_with_reason
    from months
    left join flows on months.month = flows.month
    left join buyers_to_date on months.month = buyers_to_date.month
    left join order_metrics on months.month = order_metrics.month
    left join nps on months.month = nps.month
    left join csat on months.month = csat.month
    left join ces on months.month = ces.month
    left join support on months.month = support.month
    left join churn_reasons on months.month = churn_reasons.month
),

final as (
    select
        month,
        period_end_date,
        is_partial_month,
        cast(customers_start as bigint) as customers_start,
        cast(new_customers as bigint) as new_customers,
        cast(reactivated_customers as bigint) as reactivated_customers,
        cast(churned_customers as bigint) as churned_customers,
        cast(customers_end as bigint) as customers_end,
        cast(
            {{ pct('customers_end - new_customers - reactivated_customers', 'customers_start') }}
            as double
        ) as retention_rate,
        cast({{ pct('churned_customers', 'customers_start') }} as double) as churn_rate,
        cast(customers_with_purchase as bigint) as customers_with_purchase,
        cast(customers_with_repeat_purchase as bigint) as customers_with_repeat_purchase,
        cast({{ pct('customers_with_repeat_purchase', 'customers_with_purchase') }} as double)
            as repeat_purchase_rate,
        cast(orders as bigint) as orders,
        cast(net_revenue as decimal(18, 2)) as net_revenue,
        cast(purchasing_customers as bigint) as purchasing_customers,
        {{ divide('net_revenue', 'orders') }} as average_order_value,
        {{ divide('orders', 'purchasing_customers') }} as purchase_frequency,
        cast(returned_orders as bigint) as returned_orders,
        cast({{ pct('returned_orders', 'orders + returned_orders') }} as double) as return_rate,
        cast(quality_tickets as bigint) as quality_tickets,
        cast({{ pct('quality_tickets', 'orders') }} as double) as quality_complaint_rate,
        cast(nps_responses as bigint) as nps_responses,
        cast(promoters as bigint) as promoters,
        cast(passives as bigint) as passives,
        cast(detractors as bigint) as detractors,
        cast({{ pct('promoters - detractors', 'nps_responses') }} as double) as nps,
        -- 95% margin of error: 1.96 x 100 x sqrt((p + d - (p - d)^2) / n); the variance term
        -- is never negative in exact arithmetic, greatest() absorbs rounding
        cast(1.96 * 100 * sqrt(greatest(
            {{ divide('promoters', 'nps_responses') }}
            + {{ divide('detractors', 'nps_responses') }}
            - power({{ divide('promoters - detractors', 'nps_responses') }}, 2),
            0
        ) / nullif(nps_responses, 0)) as double) as nps_margin_of_error,
        cast(csat_responses as bigint) as csat_responses,
        cast({{ pct('satisfied_responses', 'csat_responses') }} as double) as csat_rate,
        cast(csat_average as double) as csat_average,
        cast(ces_responses as bigint) as ces_responses,
        cast(ces_average as double) as ces_average,
        cast(tickets as bigint) as tickets,
        cast(median_first_response_hours as double) as median_first_response_hours,
        cast(p90_first_response_hours as double) as p90_first_response_hours,
        cast(median_resolution_hours as double) as median_resolution_hours,
        cast({{ pct('first_contact_resolutions', 'resolved_tickets') }} as double)
            as first_contact_resolution_rate,
        cast({{ pct('repeat_contact_tickets', 'tickets') }} as double) as repeat_contact_rate,
        cast({{ pct('sla_breaches', 'responded_tickets') }} as double) as sla_breach_rate,
        cast({{ pct('bot_resolved_tickets', 'resolved_tickets') }} as double) as bot_resolution_share,
        cast({{ pct('churns_with_reason', 'churned_customers') }} as double)
            as churn_reason_known_rate
    from joined
)

select * from final
