{#- sum(expression) over the model equals sum(to_expression) over `to`, overall or per
    group (group_by / to_group_by: one SQL expression each side), within `tolerance`.
    A group present on one side only counts as 0 on the other. -#}
{% test reconciles_with(model, expression, to, to_expression, group_by=none, to_group_by=none,
                        tolerance=0) %}

with

left_side as (
    select
        {{ group_by if group_by else "'all'" }} as group_key,
        sum({{ expression }}) as total
    from {{ model }}
    group by 1
),

right_side as (
    select
        {{ to_group_by if to_group_by else "'all'" }} as group_key,
        sum({{ to_expression }}) as total
    from {{ to }}
    group by 1
)

select
    coalesce(left_side.group_key, right_side.group_key) as group_key,
    left_side.total as model_total,
    right_side.total as other_total
from left_side
full outer join right_side on left_side.group_key = right_side.group_key
where abs(coalesce(left_side.total, 0) - coalesce(right_side.total, 0)) > {{ tolerance }}

{% endtest %}
