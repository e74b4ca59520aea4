{#- The day the warehouse describes. var as_of_date (YYYY-MM-DD) when given, else the
    latest order date in the raw data, computed once by base_as_of_date (17 models use
    it: a scan of the raw orders each would cost a minute at 10M orders). Nothing reads
    the wall clock. -#}
{% macro as_of_date() -%}
    {%- set configured = var('as_of_date', none) -%}
    {%- if configured -%}
        {%- if not modules.re.match('^\\d{4}-\\d{2}-\\d{2}$', configured | string) -%}
            {{ exceptions.raise_compiler_error(
                "var as_of_date must be a date YYYY-MM-DD, got '" ~ configured ~ "'") }}
        {%- endif -%}
        cast('{{ configured }}' as date)
    {%- else -%}
        (select max(as_of_date) from {{ ref('base_as_of_date') }})
    {%- endif -%}
{%- endmacro %}
