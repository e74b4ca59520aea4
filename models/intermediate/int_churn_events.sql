{#- One row per churn known by as_of_date, with the reason the customer gave: the latest
    exit-survey answer after the spell's last purchase and before the customer came back
    (or as_of_date). -#}
with

spells as (
    select * from {{ ref('int_customer_activity_spells') }}
),

exit_answers as (
    select * from {{ ref('int_survey_responses') }}
    where survey_type = 'exit'
),

reason_groups as (
    select * from {{ ref('churn_reason_groups') }}
),

as_of as (
    select {{ as_of_date() }} as as_of_date
),

churns as (
    select
        spells.customer_id,
        spells.spell_number,
        spells.last_purchase_date,
        spells.churn_date,
        coalesce(
            lead(spells.spell_start_date) over (
                partition by spells.customer_id order by spells.spell_number
            ),
            {{ add_days('as_of.as_of_date', 1) }}
        ) as came_back_date,
        spells.is_churned
    from spells
    cross join as_of
),

answered as (
    select
        churns.customer_id,
        churns.spell_number,
        exit_answers.reason_code,
        row_number() over (
            partition by churns.customer_id, churns.spell_number
            order by exit_answers.responded_at desc, exit_answers.response_id desc
        ) as answer_rank
    from churns
    inner join exit_answers
        on
            churns.customer_id = exit_answers.customer_id
            and cast(exit_answers.responded_at as date) > churns.last_purchase_date
            and cast(exit_answers.responded_at as date) < churns.came_back_date
    where churns.is_churned
),

final as (
    select
        churns.customer_id,
        churns.spell_number,
        churns.last_purchase_date,
        churns.churn_date,
        {{ month_of('churns.churn_date') }} as churn_month,
        answered.reason_code,
        reason_groups.reason_group
    from churns
    left join answered
        on
            churns.customer_id = answered.customer_id
            and churns.spell_number = answered.spell_number
            and answered.answer_rank = 1
    left join reason_groups on answered.reason_code = reason_groups.reason_code
    where churns.is_churned
)

select * from final
