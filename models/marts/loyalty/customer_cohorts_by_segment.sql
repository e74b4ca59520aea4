{#- customer_cohorts split by country, acquisition channel and current programme
    membership (on as_of_date). Counts only: sum the segments you want, then divide. -#}
with

purchasers as (
    select * from {{ ref('int_customer_purchase_summary') }}
),

segments as (
    select * from {{ ref('int_customer_segments') }}
),

customer_months as (
    select * from {{ ref('int_customer_months') }}
),

months as (
    select * from {{ ref('int_months') }}
),

-- membership on as_of_date, as in dim_customers
customers as (
    select
        purchasers.customer_id,
        purchasers.cohort_month,
        segments.country,
        segments.acquisition_channel,
        segments.is_loyalty_member
    from purchasers
    inner join segments on purchasers.customer_id = segments.customer_id
),

segment_sizes as (
    select
        cohort_month,
        country,
        acquisition_channel,
        is_loyalty_member,
        count(*) as cohort_size
    from customers
    group by cohort_month, country, acquisition_channel, is_loyalty_member
),

cells as (
    select
        segment_sizes.*,
        months.month as activity_month,
        {{ dbt.datediff('segment_sizes.cohort_month', 'months.month', 'month') }}
            as months_since_first_order
    from segment_sizes
    inner join months on segment_sizes.cohort_month <= months.month
),

activity as (
    select
        customers.cohort_month,
        customers.country,
        customers.acquisition_channel,
        customers.is_loyalty_member,
        customer_months.month as activity_month,
        count(*) as active_customers,
        sum(customer_months.net_revenue) as net_revenue
    from customer_months
    inner join customers on customer_months.customer_id = customers.customer_id
    where customer_months.purchases > 0
    group by
        customers.cohort_month,
        customers.country,
        customers.acquisition_channel,
        customers.is_loyalty_member,
        customer_months.month
),

final as (
    select
        cells.cohort_month,
        cast(cells.months_since_first_order as integer) as months_since_first_order,
        cells.activity_month,
        cells.country,
        cells.acquisition_channel,
        cells.is_loyalty_member,
        cast(cells.cohort_size as bigint) as cohort_size,
        cast(coalesce(activity.active_customers, 0) as bigint) as active_customers,
        cast(coalesce(activity.net_revenue, 0) as decimal(18, 2)) as net_revenue
    from cells
    left join activity
        on
            cells.cohort_month = activity.cohort_month
            and cells.activity_month = activity.activity_month
            and cells.country = activity.country
            and cells.acquisition_channel = activity.acquisition_channel
            and cells.is_loyalty_member = activity.is_loyalty_member
)

select * from final
