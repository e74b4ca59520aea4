{#- The column holds at most one distinct non-null value over the whole model (e.g. the
    data set's one currency: sums across currencies would be wrong numbers). Returns
    every value with its row count when there are more. -#}
{% test one_value(model, column_name) %}

with

counted as (
    select
        {{ column_name }},
        count(*) as rows_with_value
    from {{ model }}
    where {{ column_name }} is not null
    group by {{ column_name }}
)

select
    {{ column_name }},
    rows_with_value
from counted
where (select count(*) from counted) > 1

{% endtest %}
