{#- One row per day from first_day to last_day (both included), as column date_day. -#}
{% macro day_series(first_day, last_day) -%}
    {{ return(adapter.dispatch('day_series')(first_day, last_day)) }}
{%- endmacro %}

{% macro default__day_series(first_day, last_day) -%}
    explode(sequence({{ first_day }}, {{ last_day }}, interval 1 day)) as date_day
{%- endmacro %}

{% macro duckdb__day_series(first_day, last_day) -%}
    unnest(generate_series({{ first_day }}, {{ last_day }}, interval 1 day)) as date_day
{%- endmacro %}
