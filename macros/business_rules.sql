{#- Business rules used by more than one model: each is defined here once. -#}

{#- W, the active window in days (var churn_window_days). The monthly flow identity
    E = S + new + reactivated - churned needs W longer than any month. -#}
{% macro churn_window_days() -%}
    {%- set days = var('churn_window_days') -%}
    {%- if days is not number or days < 31 -%}
        {{ exceptions.raise_compiler_error(
            "var churn_window_days must be a whole number of days >= 31, got '" ~ days ~ "'") }}
    {%- endif -%}
    {{ return(days | int) }}
{%- endmacro %}


{#- NPS bands: promoters 9-10, passives 7-8, detractors 0-6. -#}
{% macro nps_band(score) -%}
    case
        when {{ score }} >= 9 then 'promoter'
        when {{ score }} >= 7 then 'passive'
        when {{ score }} >= 0 then 'detractor'
    end
{%- endmacro %}


{#- Buckets of first-response time, in the order they are reported. -#}
{% macro first_response_bucket(hours) -%}
    case
        when {{ hours }} is null then 'no response'
        when {{ hours }} < 1 then '< 1 h'
        when {{ hours }} < 4 then '1-4 h'
        when {{ hours }} < 24 then '4-24 h'
        when {{ hours }} < 72 then '1-3 days'
        else '> 3 days'
    end
{%- endmacro %}


{#- A percentage 0-100 as a double; NULL (not 0, not an error) when the denominator is 0. -#}
{% macro pct(numerator, denominator) -%}
    (100 * cast({{ numerator }} as double) / nullif({{ denominator }}, 0))
{%- endmacro %}


{#- A quotient as a double; NULL when the denominator is 0. Dividing decimals keeps only
    6 decimal places on Spark (DuckDB returns a double): the numerator is a double first,
    so both engines compute the same value. -#}
{% macro divide(numerator, denominator) -%}
    (cast({{ numerator }} as double) / nullif({{ denominator }}, 0))
{%- endmacro %}


{#- The mean of a column as a double: the exact sum over the count. Not avg(): Spark's
    mean of a decimal is a 6-place decimal, and a mean of doubles depends on the order the
    rows are added in, which varies between runs (a CLV fit then moves in its 9th digit). -#}
{% macro mean(expression) -%}
    (cast(sum({{ expression }}) as double) / nullif(count({{ expression }}), 0))
{%- endmacro %}


{#- The first reporting month whose period end (the month's last day, as_of_date in its
    month) the date is on or before: its own month, or null when it is after as_of_date.
    "date <= period_end_date of month m" is then "this month <= m". -#}
{% macro month_counted_from(date_expression) -%}
    case when {{ date_expression }} <= {{ as_of_date() }} then {{ month_of(date_expression) }} end
{%- endmacro %}


{% macro month_of(date_expression) -%}
    cast({{ dbt.date_trunc('month', date_expression) }} as date)
{%- endmacro %}


{% macro add_days(date_expression, days) -%}
    cast({{ dbt.dateadd('day', days, date_expression) }} as date)
{%- endmacro %}


{% macro add_months(date_expression, months) -%}
    cast({{ dbt.dateadd('month', months, date_expression) }} as date)
{%- endmacro %}


{% macro days_between(first_date, second_date) -%}
    {{ dbt.datediff(first_date, second_date, 'day') }}
{%- endmacro %}


{#- A customer's age in weeks on as_of_date: from the first purchase day (BG/NBD's T). -#}
{% macro age_weeks(first_purchase_date) -%}
    cast({{ days_between(first_purchase_date, as_of_date()) }} as double) / 7
{%- endmacro %}


{% macro hours_between(first_timestamp, second_timestamp) -%}
    (cast({{ dbt.datediff(first_timestamp, second_timestamp, 'second') }} as double) / 3600)
{%- endmacro %}


{#- A var that must be a positive number of hours or days; a clear error otherwise. -#}
{% macro positive_var(name) -%}
    {%- set value = var(name) -%}
    {%- if value is not number or value <= 0 -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ name ~ " must be a positive number, got '" ~ value ~ "'") }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}


{#- Band of a BG/NBD probability of being alive, for BI: likely_alive from 0.7,
    uncertain from 0.3, likely_lost below; NULL when no model could be fitted. -#}
{% macro alive_band(probability) -%}
    case
        when {{ probability }} >= 0.7 then 'likely_alive'
        when {{ probability }} >= 0.3 then 'uncertain'
        when {{ probability }} is not null then 'likely_lost'
    end
{%- endmacro %}


{#- The key of a customer segment (country and acquisition channel, 'unknown' when
    missing): the entity every semantic model shares, so all metrics group by the same
    customer attributes. -#}
{% macro customer_segment_key(country, acquisition_channel) -%}
    coalesce({{ country }}, 'unknown') || '|' || coalesce({{ acquisition_channel }}, 'unknown')
{%- endmacro %}
