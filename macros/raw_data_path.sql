{#- The folder of raw files (var raw_data_path, else env LOYALTY_DATA_DIR); empty: the
    committed seeds. Read here, not in dbt_project.yml, so that a new folder re-parses
    only the models reading raw data instead of the whole project. -#}
{% macro raw_data_path() -%}
    {{- return(var('raw_data_path', env_var('LOYALTY_DATA_DIR', ''))) -}}
{%- endmacro %}
