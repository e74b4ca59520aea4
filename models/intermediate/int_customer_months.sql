{#- One row per customer and month the customer's activity touches: active at the start
    (on the last day of the previous month), active at the end (on the month's last day,
    or as_of_date in its month), entered as new or reactivated, churned, and purchases.
    Built from spells and the month list by a range join: no customer x day grid.
    Incremental: recomputes the customers a new order batch touched and the months from
    the last stored one on (as_of_date moves their month-end state). -#}
{{ config(
    materialized=incremental_or_table(),
    incremental_strategy='replace_customers',
    changed_by='base_orders',
    open_months=true,
    on_schema_change='fail'
) }}
-- depends_on: {{ ref('base_as_of_bounds') }}
with

spells as (
    select * from {{ ref('int_customer_activity_spells') }}
),

months as (
    select * from {{ ref('int_months') }}
),

orders as (
    select * from {{ ref('int_orders') }}
    where is_purchase
),

spell_months as (
    select
        spells.customer_id,
        months.month,
        spells.spell_start_date <= months.previous_month_end_date
        and spells.churn_date > months.previous_month_end_date as is_active_at_start,
        spells.spell_start_date <= months.period_end_date
        and spells.churn_date > months.period_end_date as is_active_at_end,
        not spells.is_reactivation
        and {{ month_of('spells.spell_start_date') }} = months.month as is_new,
        spells.is_reactivation
        and {{ month_of('spells.spell_start_date') }} = months.month as is_reactivated,
        spells.is_churned
        and {{ month_of('spells.churn_date') }} = months.month as is_churned
    from spells
    inner join months
        on
            months.month >= {{ month_of('spells.spell_start_date') }}
            and months.month <= {{ month_of('spells.churn_date') }}
    {%- if is_incremental() %}
    where {{ changed_rows('base_orders', open_months=true) }}
    {%- endif %}
),

activity as (
    select
        customer_id,
        month,
        max(case when is_active_at_start then 1 else 0 end) = 1 as is_active_at_start,
        max(case when is_active_at_end then 1 else 0 end) = 1 as is_active_at_end,
        max(case when is_new then 1 else 0 end) = 1 as is_new,
        max(case when is_reactivated then 1 else 0 end) = 1 as is_reactivated,
        max(case when is_churned then 1 else 0 end) = 1 as is_churned
    from spell_months
    group by customer_id, month
),

monthly_purchases as (
    select
        customer_id,
        order_month as month,
        count(*) as purchases,
        sum(net_revenue) as net_revenue
    from orders
    group by customer_id, order_month
),

monthly_purchases_in_scope as (
    select * from monthly_purchases
    {%- if is_incremental() %}
    where {{ changed_rows('base_orders', open_months=true) }}
    {%- endif %}
),

final as (
    select
        activity.customer_id,
        activity.month,
        activity.is_active_at_start,
        activity.is_active_at_end,
        activity.is_new,
        activity.is_reactivated,
        activity.is_churned,
        coalesce(monthly_purchases.purchases, 0) as purchases,
        coalesce(monthly_purchases.net_revenue, 0) as net_revenue,
        {{ latest_load_batch('base_orders') }} as load_batch
    from activity
    left join monthly_purchases_in_scope as monthly_purchases
        on
            activity.customer_id = monthly_purchases.customer_id
            and activity.month = monthly_purchases.month
)

select * from final
