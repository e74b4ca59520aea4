{#- The additive counts behind loyalty_metrics_monthly, split by the customer's country,
    acquisition channel and programme membership in the month (joined by its period end).
    Only counts, never rates: summing any set of segments and then dividing gives the
    correct rate for that set (the dashboard and the semantic layer do exactly this).
    Each source contributes its own counts to one long customer-month list; the counts it
    does not know are 0. Orders and revenue come with the customer months (every purchase
    falls in a month of its spell): reading the orders again cost a second aggregation of
    every order. Buyers to date are counted per segment before they meet the
    months: a customer who bought once counts in every later month. A date counts from
    month_counted_from (on or before the month's period end). -#}
{%- set measures = [
    'customers_start', 'new_customers', 'reactivated_customers', 'churned_customers',
    'customers_end', 'customers_with_purchase', 'customers_with_repeat_purchase', 'orders',
    'net_revenue', 'purchasing_customers', 'nps_responses', 'promoters', 'passives',
    'detractors', 'csat_responses', 'satisfied_responses',
] -%}
{%- set sources = {
    'flows': {
        'customers_start': 'case when is_active_at_start then 1 else 0 end',
        'new_customers': 'case when is_new then 1 else 0 end',
        'reactivated_customers': 'case when is_reactivated then 1 else 0 end',
        'churned_customers': 'case when is_churned then 1 else 0 end',
        'customers_end': 'case when is_active_at_end then 1 else 0 end',
        'orders': 'purchases',
        'net_revenue': 'net_revenue',
        'purchasing_customers': 'case when purchases > 0 then 1 else 0 end',
    },
    'buyers_to_date': {
        'customers_with_purchase': 'buyer_groups.buyers',
        'customers_with_repeat_purchase':
            'case when buyer_groups.repeat_buyer_from_month <= months.month then buyer_groups.buyers else 0 end',
    },
    'survey_counts': {
        'nps_responses': "sum(case when survey_type = 'nps' and is_counted_nps then 1 else 0 end)",
        'promoters': "sum(case when is_counted_nps and nps_band = 'promoter' then 1 else 0 end)",
        'passives': "sum(case when is_counted_nps and nps_band = 'passive' then 1 else 0 end)",
        'detractors': "sum(case when is_counted_nps and nps_band = 'detractor' then 1 else 0 end)",
        'csat_responses': "sum(case when survey_type = 'csat' then 1 else 0 end)",
        'satisfied_responses':
            "sum(case when survey_type = 'csat' and score >= 4 then 1 else 0 end)",
    },
} -%}

with

months as (
    select * from {{ ref('int_months') }}
),

segments as (
    select
        customer_id,
        country,
        acquisition_channel,
        {{ month_counted_from('loyalty_joined_date') }} as member_from_month
    from {{ ref('int_customer_segments') }}
),

customer_months as (
    select * from {{ ref('int_customer_months') }}
),

purchasers as (
    select * from {{ ref('int_customer_purchase_summary') }}
),

responses as (
    select * from {{ ref('int_survey_responses') }}
    where survey_type in ('nps', 'csat')
),

flows as (
    select
        customer_id,
        month,
        {{ zero_filled_columns(measures, sources['flows']) }}
    from customer_months
),

buyer_months as (
    select
        segments.country,
        segments.acquisition_channel,
        segments.member_from_month,
        {{ month_counted_from('purchasers.first_order_date') }} as buyer_from_month,
        {{ month_counted_from('purchasers.second_order_date') }} as repeat_buyer_from_month
    from purchasers
    inner join segments on purchasers.customer_id = segments.customer_id
),

buyer_groups as (
    select
        country,
        acquisition_channel,
        buyer_from_month,
        repeat_buyer_from_month,
        member_from_month,
        count(*) as buyers
    from buyer_months
    group by
        country, acquisition_channel, buyer_from_month, repeat_buyer_from_month, member_from_month
),

buyers_to_date as (
    select
        months.month,
        buyer_groups.country,
        buyer_groups.acquisition_channel,
        coalesce(buyer_groups.member_from_month <= months.month, false) as is_loyalty_member,
        {{ zero_filled_columns(measures, sources['buyers_to_date']) }}
    from buyer_groups
    inner join months on buyer_groups.buyer_from_month <= months.month
),

survey_counts as (
    select
        customer_id,
        response_month as month,
        {{ zero_filled_columns(measures, sources['survey_counts']) }}
    from responses
    group by customer_id, response_month
),

customer_month_counts as (
    select * from flows
    union all
    select * from survey_counts
),

segmented_customer_counts as (
    select
        counts.month,
        segments.country,
        segments.acquisition_channel,
        coalesce(segments.member_from_month <= counts.month, false) as is_loyalty_member,
        {{ measures | join(',\n        ') }}
    from customer_month_counts as counts
    inner join months on counts.month = months.month
    inner join segments on counts.customer_id = segments.customer_id
),

segmented as (
    select * from segmented_customer_counts
    union all
    select * from buyers_to_date
),

final as (
    select
        month,
        country,
        acquisition_channel,
        is_loyalty_member,
        cast(sum(customers_start) as bigint) as customers_start,
        cast(sum(new_customers) as bigint) as new_customers,
        cast(sum(reactivated_customers) as bigint) as reactivated_customers,
        cast(sum(churned_customers) as bigint) as churned_customers,
        cast(sum(customers_end) as bigint) as customers_end,
        cast(sum(customers_with_purchase) as bigint) as customers_with_purchase,
        cast(sum(customers_with_repeat_purchase) as bigint) as customers_with_repeat_purchase,
        cast(sum(orders) as bigint) as orders,
        cast(sum(net_revenue) as decimal(18, 2)) as net_revenue,
        cast(sum(purchasing_customers) as bigint) as purchasing_customers,
        cast(sum(nps_responses) as bigint) as nps_responses,
        cast(sum(promoters) as bigint) as promoters,
        cast(sum(passives) as bigint) as passives,
        cast(sum(detractors) as bigint) as detractors,
        cast(sum(csat_responses) as bigint) as csat_responses,
        cast(sum(satisfied_responses) as bigint) as satisfied_responses
    from segmented
    group by month, country, acquisition_channel, is_loyalty_member
)

select * from final
