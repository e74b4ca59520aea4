{#- RFM quintile scores over customers with a purchase (5 = most recent, most frequent,
    highest revenue) and the segment of their (R, F) pair from seed rfm_segments.
    Scores are ceil(5 x cumulative share): customers with equal values get equal scores. -#}
with

customers as (
    select * from {{ ref('int_customer_purchase_summary') }}
),

segments as (
    select * from {{ ref('rfm_segments') }}
),

scored as (
    select
        customer_id,
        cast(ceil(5 * cume_dist() over (order by last_order_date)) as integer) as r_score,
        cast(ceil(5 * cume_dist() over (order by orders_count)) as integer) as f_score,
        cast(ceil(5 * cume_dist() over (order by net_revenue)) as integer) as m_score
    from customers
),

final as (
    select
        scored.customer_id,
        scored.r_score,
        scored.f_score,
        scored.m_score,
        segments.rfm_segment
    from scored
    left join segments
        on scored.r_score = segments.r_score and scored.f_score = segments.f_score
)

select * from final
