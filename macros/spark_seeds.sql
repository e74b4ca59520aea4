{#- Seeds on Spark are read by Spark's CSV reader straight into the seed's table.
    dbt-spark inserts them as bound literals instead, which stores an empty cell as the
    text 'None', breaks on an apostrophe and took 90-155 s for the 66k raw rows. An
    empty cell is NULL, as on DuckDB. -#}
{% macro spark__load_csv_rows(model, agate_table) -%}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set path = model['root_path'] ~ '/' ~ model['original_file_path'] -%}
    {%- set view = raw_file_view(path) -%}
    {%- set sql -%}
        insert overwrite table {{ this.render() }}
        select
            {%- for col_name in agate_table.column_names %}
            cast({{ adapter.quote(col_name) }} as {{ column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) }})
            {{- ',' if not loop.last }}
            {%- endfor %}
        from {{ view }}
    {%- endset -%}
    {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
    {{ return(sql) }}
{%- endmacro %}
