{#- fct_orders with the customer's segment attributes, for the semantic layer only. -#}
{{ config(materialized='view') }}

with

orders as (
    select * from {{ ref('fct_orders') }}
),

segments as (
    select * from {{ ref('int_customer_segments') }}
),

final as (
    select
        orders.*,
        segments.customer_segment
    from orders
    left join segments on orders.customer_id = segments.customer_id
)

select * from final
