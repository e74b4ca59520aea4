{#- The activity rule, once. A customer is active on day d when they have a purchase dated
    in (d - W, d]. A spell is a run of purchases with no gap longer than W days; it starts
    on its first purchase and the customer churns on its last purchase + W (a gap of
    exactly W days continues the spell). Churns after as_of_date are not known yet.
    Incremental: recomputes the customers a new order batch touched and those whose churn
    date as_of_date has reached (or, moved back, no longer reaches). -#}
{{ config(
    materialized=incremental_or_table(),
    incremental_strategy='replace_customers',
    changed_by='base_orders',
    dated_flag={'flag': 'is_churned', 'date': 'churn_date'},
    on_schema_change='fail'
) }}
-- depends_on: {{ ref('base_orders') }}
with

purchases as (
    select * from {{ ref('int_orders') }}
    where is_purchase
    {%- if is_incremental() %} and {{ changed_rows('base_orders') }}{% endif %}
),

as_of as (
    select {{ as_of_date() }} as as_of_date
),

numbered as (
    select
        customer_id,
        order_date,
        net_revenue,
        sum(case when previous_purchase_date is null or is_reactivation then 1 else 0 end) over (
            partition by customer_id order by ordered_at, order_id rows unbounded preceding
        ) as spell_number
    from purchases
),

spells as (
    select
        customer_id,
        spell_number,
        min(order_date) as spell_start_date,
        max(order_date) as last_purchase_date,
        count(*) as purchases,
        sum(net_revenue) as net_revenue
    from numbered
    group by customer_id, spell_number
),

final as (
    select
        spells.customer_id,
        spells.spell_number,
        spells.spell_number > 1 as is_reactivation,
        spells.spell_start_date,
        spells.last_purchase_date,
        {{ add_days('spells.last_purchase_date', churn_window_days()) }} as churn_date,
        {{ add_days('spells.last_purchase_date', churn_window_days()) }} <= as_of.as_of_date
            as is_churned,
        spells.purchases,
        spells.net_revenue,
        {{ latest_load_batch('base_orders') }} as load_batch
    from spells
    cross join as_of
)

select * from final
