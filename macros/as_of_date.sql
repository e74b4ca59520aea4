{#- The day the warehouse describes. var as_of_date (YYYY-MM-DD) when given, else the
    latest order date in the raw data. Nothing reads the wall clock. -#}
{% macro as_of_date() -%}
    {%- set configured = var('as_of_date', none) -%}
    {%- if configured -%}
        {%- if not modules.re.match('^\\d{4}-\\d{2}-\\d{2}$', configured | string) -%}
            {{ exceptions.raise_compiler_error(
                "var as_of_date must be a date YYYY-MM-DD, got '" ~ configured ~ "'") }}
        {%- endif -%}
        cast('{{ configured }}' as date)
    {%- else -%}
        (select max(cast({{ to_utc('ordered_at') }} as date)) from {{ raw_table('orders') }} as raw_orders)
    {%- endif -%}
{%- endmacro %}
