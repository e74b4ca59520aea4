{#- The attributes dashboards and the semantic layer slice by, one row per customer:
    country and acquisition channel ('unknown' when missing, so every customer lands in
    a segment), their key customer_segment (the semantic layer's entity), programme
    membership on as_of_date and the date the customer joined the loyalty programme. -#}
with

customers as (
    select * from {{ ref('stg_customers') }}
    where {{ known_on_as_of('created_at') }}
),

members as (
    select * from {{ ref('int_loyalty_customers') }}
),

final as (
    select
        customers.customer_id,
        coalesce(customers.country, 'unknown') as country,
        coalesce(customers.acquisition_channel, 'unknown') as acquisition_channel,
        {{ customer_segment_key('customers.country', 'customers.acquisition_channel') }}
            as customer_segment,
        members.customer_id is not null as is_loyalty_member,
        cast(members.joined_at as date) as loyalty_joined_date
    from customers
    left join members on customers.customer_id = members.customer_id
)

select * from final
