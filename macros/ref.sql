{#- dbt's ref(), except that a view names what it reads without the database (DuckDB's
    catalog, the file's stem): DuckDB resolves such names in the view's own file, so the
    served file keeps working when it is copied, renamed or attached under another name.
    Relations on Spark have no database part. -#}
{% macro ref() -%}
    {%- set version = kwargs.get('version') or kwargs.get('v') -%}
    {%- if varargs | length == 1 -%}
        {%- set relation = builtins.ref(varargs[0], version=version) -%}
    {%- else -%}
        {%- set relation = builtins.ref(varargs[0], varargs[1], version=version) -%}
    {%- endif -%}
    {%- if model.config.materialized == 'view' and relation.include is defined -%}
        {{ return(relation.include(database=False)) }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}
