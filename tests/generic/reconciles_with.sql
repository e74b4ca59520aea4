{#- sum(expression) over the model equals sum(to_expression) over `to`, overall or per
    group (group_by / to_group_by: one SQL expression each side), within `tolerance`.
    `columns` instead reconciles each listed column with the column of the same name in
    `to`, in one test (one scan of each side). A group present on one side only counts as
    0 on the other. A failing row names what was compared (the column or the expression,
    without quotes, which it only describes). -#}
{% test reconciles_with(model, to, expression=none, to_expression=none, columns=none,
                        group_by=none, to_group_by=none, tolerance=0) %}

{%- set pairs = [] -%}
{%- for column in columns or [] -%}
    {%- do pairs.append([column, column]) -%}
{%- endfor -%}
{%- if expression is not none -%}
    {%- do pairs.append([expression, to_expression]) -%}
{%- endif -%}
{%- if not pairs or (expression is none) != (to_expression is none) -%}
    {{ exceptions.raise_compiler_error(
        "reconciles_with: give columns, or expression and to_expression") }}
{%- endif %}

with

left_side as (
    select
        {{ group_by if group_by else "'all'" }} as group_key,
        {%- for pair in pairs %}
        sum({{ pair[0] }}) as total_{{ loop.index }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ model }}
    group by 1
),

right_side as (
    select
        {{ to_group_by if to_group_by else "'all'" }} as group_key,
        {%- for pair in pairs %}
        sum({{ pair[1] }}) as total_{{ loop.index }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ to }}
    group by 1
),

joined as (
    select
        coalesce(left_side.group_key, right_side.group_key) as group_key,
        {%- for pair in pairs %}
        left_side.total_{{ loop.index }} as model_total_{{ loop.index }},
        right_side.total_{{ loop.index }} as other_total_{{ loop.index }}{{ ',' if not loop.last }}
        {%- endfor %}
    from left_side
    full outer join right_side on left_side.group_key = right_side.group_key
)

{% for pair in pairs -%}
select
    group_key,
    '{{ pair[0] | replace("'", "") }}' as compared,
    model_total_{{ loop.index }} as model_total,
    other_total_{{ loop.index }} as other_total
from joined
where
    abs(coalesce(model_total_{{ loop.index }}, 0) - coalesce(other_total_{{ loop.index }}, 0))
    > {{ tolerance }}
{% if not loop.last %}union all
{% endif %}
{%- endfor %}

{% endtest %}
