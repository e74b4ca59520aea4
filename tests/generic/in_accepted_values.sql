{#- Like accepted_values, but the list is var accepted_values[domain], the same list the
    staging models validate against, so the vocabulary is written once. NULL passes. -#}
{% test in_accepted_values(model, column_name, domain) %}

select {{ column_name }} as unexpected_value
from {{ model }}
where {{ outside_domain(column_name, domain) }}

{% endtest %}
