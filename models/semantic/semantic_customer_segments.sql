{#- The customer attributes every metric groups by (entity customer_segment): one row per
    country and acquisition channel, as int_customer_segments gives them to the segment
    marts. -#}
{{ config(materialized='view') }}

with

segments as (
    select * from {{ ref('int_customer_segments') }}
),

final as (
    select distinct
        customer_segment,
        country,
        acquisition_channel
    from segments
)

select * from final
