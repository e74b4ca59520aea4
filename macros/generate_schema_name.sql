{#- Custom schemas are used as given (staging, intermediate, ...), not prefixed with
    the target schema, so BI users find the marts in `main`. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name | trim if custom_schema_name else target.schema }}
{%- endmacro %}
