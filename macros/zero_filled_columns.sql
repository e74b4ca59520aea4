{#- A select list with one column per name in `columns`: the expression given for it in
    `expressions`, else 0. Lets several sources feed one union of additive counts. -#}
{% macro zero_filled_columns(columns, expressions) -%}
    {%- for column in columns %}
        {{ expressions.get(column, '0') }} as {{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
