{#- The day the warehouse describes: var as_of_date (YYYY-MM-DD) when given, else the
    data end of base_as_of_bounds (the latest order date, by a rule a few outliers cannot
    move). Computed once: a scan of the raw orders in each model would cost a minute at
    10M orders. Nothing reads the wall clock. -#}
{% macro as_of_date() -%}
    {{- configured_as_of_date() or '(select as_of_date from ' ~ ref('base_as_of_bounds') ~ ')' -}}
{%- endmacro %}


{#- var as_of_date as a date literal, validated; empty when the var is not set. -#}
{% macro configured_as_of_date() -%}
    {%- set configured = var('as_of_date', none) -%}
    {%- if configured -%}
        {%- if not modules.re.match('^\\d{4}-\\d{2}-\\d{2}$', configured | string) -%}
            {{ exceptions.raise_compiler_error(
                "var as_of_date must be a date YYYY-MM-DD, got '" ~ configured ~ "'") }}
        {%- endif -%}
        cast('{{ configured }}' as date)
    {%- endif -%}
{%- endmacro %}


{#- Rows dated after this day are future_timestamp (quarantined): past the end of the
    data, or past as_of_date when that is later. -#}
{% macro future_after_date() -%}
    (select future_after_date from {{ ref('base_as_of_bounds') }})
{%- endmacro %}


{#- True for a row the marts see on as_of_date: dated on or before it. Rows after it are
    sound and stay in staging; every import of a staging model into the intermediate
    layer and the marts filters with this, on the row's own timestamp. -#}
{% macro known_on_as_of(column) -%}
    (cast({{ column }} as date) <= {{ as_of_date() }})
{%- endmacro %}


{#- True for a present timestamp no real event can carry: not finite, or before
    1970-01-02 (which also catches the text 'epoch'). Such rows are quarantined. -#}
{% macro implausible_timestamp(column) -%}
    ({{ column }} is not null
        and (not {{ is_finite(column) }} or {{ column }} < cast('1970-01-02' as timestamp)))
{%- endmacro %}


{#- DuckDB timestamps can be infinite; Spark's cannot. -#}
{% macro is_finite(column) -%}
    {{ return(adapter.dispatch('is_finite')(column)) }}
{%- endmacro %}

{% macro default__is_finite(column) -%}
    true
{%- endmacro %}

{% macro duckdb__is_finite(column) -%}
    isfinite({{ column }})
{%- endmacro %}


{#- The post-hook of base_as_of_bounds: the marts need a day to describe. With var
    as_of_date unset and no raw order dated (every ordered_at unparseable, such as
    '7/9/2023 17:28', or no orders at all) there is none, and the build stops here naming
    the cause, instead of failing later in a mart on a NULL date. Renders no SQL. -#}
{% macro require_as_of_date() -%}
    {%- if execute and not configured_as_of_date() -%}
        {%- set dated = run_query('select count(as_of_date) from ' ~ this).columns[0].values()[0] -%}
        {%- if dated == 0 -%}
            {%- set sample = run_query('select cast(ordered_at as string) from ' ~ raw_table('orders')
                                       ~ ' as raw_orders where ordered_at is not null limit 1') -%}
            {%- set example = sample.columns[0].values()[0] if sample.rows | length > 0 else none -%}
            {{ exceptions.raise_compiler_error(
                "no as_of_date: var as_of_date is not set and no raw order "
                ~ ("in " ~ raw_data_path() if raw_data_path() else "of the seeds")
                ~ " has an ordered_at this build can read, so the data has no end date"
                ~ (" (e.g. '" ~ example ~ "')" if example is not none else " (there are no orders)")
                ~ ". ordered_at is ISO 8601 text ('2026-03-01 10:00', '2026-03-01T10:00:00+02:00') "
                ~ "or a Parquet DATE or TIMESTAMP; a value in another form is unparseable, never "
                ~ "guessed (is 7/9/2023 the 9th of July or the 7th of September?)") }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
