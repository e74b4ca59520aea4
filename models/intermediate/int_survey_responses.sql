{#- Survey answers with their month and NPS band, and the de-duplication rule for NPS:
    one answer per customer and month, the latest. -#}
{{ config(
    materialized=incremental_or_table(),
    incremental_strategy='replace_customers',
    changed_by='base_survey_responses',
    on_schema_change='fail'
) }}

with

responses as (
    select * from {{ ref('stg_survey_responses') }}
    where {{ known_on_as_of('responded_at') }}
    {%- if is_incremental() %} and {{ changed_rows('base_survey_responses') }}{% endif %}
),

ranked as (
    select
        *,
        case when survey_type = 'nps' then row_number() over (
            partition by customer_id, survey_type, {{ month_of('responded_at') }}
            order by responded_at desc, response_id desc
        ) end as nps_rank_in_month
    from responses
),

final as (
    select
        response_id,
        customer_id,
        survey_type,
        responded_at,
        {{ month_of('responded_at') }} as response_month,
        score,
        case when survey_type = 'nps' then {{ nps_band('score') }} end as nps_band,
        coalesce(nps_rank_in_month = 1, false) as is_counted_nps,
        reason_code,
        touchpoint,
        order_id,
        ticket_id,
        comment,
        {{ latest_load_batch('base_survey_responses') }} as load_batch
    from ranked
)

select * from final
