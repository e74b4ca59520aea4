{#- fct_survey_responses with the customer's segment attributes, for the semantic layer
    only. -#}
{{ config(materialized='view') }}

with

responses as (
    select * from {{ ref('fct_survey_responses') }}
),

segments as (
    select * from {{ ref('int_customer_segments') }}
),

final as (
    select
        responses.*,
        segments.customer_segment
    from responses
    left join segments on responses.customer_id = segments.customer_id
)

select * from final
