{#- No listed column is NULL in any row: one scan and one dbt node for what would be a
    not_null test per column. Each failing row names its NULL columns. -#}
{% test not_null_columns(model, columns) %}

select
    concat_ws(', ',
        {%- for column in columns %}
        case when {{ column }} is null then '{{ column }}' end{{ ',' if not loop.last }}
        {%- endfor %}
    ) as null_columns
from {{ model }}
where
    {%- for column in columns %}
    {{ 'or ' if not loop.first }}{{ column }} is null
    {%- endfor %}

{% endtest %}
