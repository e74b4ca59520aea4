with

customers as (
    select * from {{ ref('int_customer_purchase_summary') }}
),

customer_months as (
    select * from {{ ref('int_customer_months') }}
),

months as (
    select * from {{ ref('int_months') }}
),

cohort_sizes as (
    select
        cohort_month,
        count(*) as cohort_size
    from customers
    group by cohort_month
),

-- every observed cell: a cohort and each month from its first to the month of as_of_date
cells as (
    select
        cohort_sizes.cohort_month,
        months.month,
        {{ dbt.datediff('cohort_sizes.cohort_month', 'months.month', 'month') }}
            as months_since_first_order,
        cohort_sizes.cohort_size
    from cohort_sizes
    inner join months on cohort_sizes.cohort_month <= months.month
),

activity as (
    select
        customers.cohort_month,
        customer_months.month,
        count(*) as active_customers,
        sum(customer_months.net_revenue) as net_revenue
    from customer_months
    inner join customers on customer_months.customer_id = customers.customer_id
    where customer_months.purchases > 0
    group by customers.cohort_month, customer_months.month
),

filled as (
    select
        cells.cohort_month,
        cells.months_since_first_order,
        cells.month,
        cells.cohort_size,
        coalesce(activity.active_customers, 0) as active_customers,
        coalesce(activity.net_revenue, 0) as net_revenue,
        sum(coalesce(activity.net_revenue, 0)) over (
            partition by cells.cohort_month order by cells.months_since_first_order
            rows unbounded preceding
        ) as cumulative_net_revenue
    from cells
    left join activity
        on cells.cohort_month = activity.cohort_month and cells.month = activity.month
),

final as (
    select
        cohort_month,
        cast(months_since_first_order as integer) as months_since_first_order,
        month as activity_month,
        cast(cohort_size as bigint) as cohort_size,
        cast(active_customers as bigint) as active_customers,
        cast({{ pct('active_customers', 'cohort_size') }} as double) as retention_rate,
        cast(net_revenue as decimal(18, 2)) as net_revenue,
        cast(cumulative_net_revenue as decimal(18, 2)) as cumulative_net_revenue,
        {{ divide('cumulative_net_revenue', 'cohort_size') }}
            as revenue_per_cohort_customer
    from filled
)

select * from final
