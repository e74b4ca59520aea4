{#- on-run-start: when raw data comes from a folder, check every raw table's files
    against the contract before any model runs, so a bad feed stops the run at once
    with one message naming the file and the problem. -#}
{% macro validate_raw_data() %}
    {%- if execute and raw_data_path() -%}
        {%- for table in var('raw_contract') -%}
            {%- do raw_table(table) -%}
        {%- endfor -%}
        {{ log("raw data folder " ~ raw_data_path() ~ ": every table matches the contract", info=true) }}
    {%- endif -%}
    select 1
{% endmacro %}
