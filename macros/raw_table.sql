{#- The relation of one raw table, whichever way the data comes in: the committed seed
    (default) or files in var raw_data_path. Always yields exactly the contract's
    columns; optional columns or tables that are absent read as NULL / empty. -#}
{% macro raw_table(table) -%}
    {%- set contract = var('raw_contract')[table] -%}
    {%- set columns = contract.required + contract.optional -%}
    {%- set folder = var('raw_data_path') -%}
    {%- if not folder -%}
        (select {{ columns | join(', ') }} from {{ ref('raw_' ~ table) }})
    {%- elif not execute -%}
        {{ empty_raw_table(columns) }}
    {%- else -%}
        {{ raw_file_relation(folder, table, contract) }}
    {%- endif -%}
{%- endmacro %}


{% macro empty_raw_table(columns) -%}
    (select {% for column in columns -%}
        cast(null as varchar) as {{ column }}{{ ', ' if not loop.last }}
    {%- endfor %} where 1 = 0)
{%- endmacro %}


{% macro raw_file_relation(folder, table, contract) -%}
    {%- set columns = contract.required + contract.optional -%}
    {%- set files = raw_files(folder, table) -%}
    {%- if files | length == 0 -%}
        {%- if contract.get('required_table') -%}
            {{ exceptions.raise_compiler_error(
                "raw data folder '" ~ folder ~ "': required table '" ~ table ~ "' not found; expected "
                ~ table ~ ".csv, " ~ table ~ ".parquet or a folder " ~ table ~ "/ of such files") }}
        {%- endif -%}
        {{ empty_raw_table(columns) }}
    {%- else -%}
        {%- set reader = raw_file_reader(files) -%}
        {%- set described = run_query('describe select * from ' ~ reader) -%}
        {%- set present = described.columns[0].values() | map('lower') | list -%}
        {%- set missing = contract.required | reject('in', present) | list -%}
        {%- if missing -%}
            {{ exceptions.raise_compiler_error(
                "raw file " ~ files | join(', ') ~ ": missing required column(s) "
                ~ missing | join(', ') ~ "; found: " ~ present | join(', ')) }}
        {%- endif -%}
        {%- set extra = present | reject('in', columns) | list -%}
        {%- if extra -%}
            {{ log("raw " ~ table ~ ": ignoring extra column(s) " ~ extra | join(', '), info=true) }}
        {%- endif -%}
        (select {% for column in columns -%}
            {%- if column in present -%}{{ column }}{%- else -%}cast(null as varchar) as {{ column }}{%- endif -%}
            {{ ', ' if not loop.last }}
        {%- endfor %} from {{ reader }})
    {%- endif -%}
{%- endmacro %}


{#- Files of one raw table: <table>.csv|parquet, or every such file in <table>/. -#}
{% macro raw_files(folder, table) -%}
    {%- set base = folder.rstrip('/').replace("'", "''") ~ '/' ~ table -%}
    {%- set query -%}
        select file from glob('{{ base }}.csv')
        union all select file from glob('{{ base }}.parquet')
        union all select file from glob('{{ base }}/*.csv')
        union all select file from glob('{{ base }}/*.parquet')
        order by file
    {%- endset -%}
    {{ return(run_query(query).columns[0].values() | list) }}
{%- endmacro %}


{% macro raw_file_reader(files) -%}
    {%- set extensions, quoted = [], [] -%}
    {%- for file in files -%}
        {%- do extensions.append(file.rsplit('.', 1)[-1].lower()) -%}
        {%- do quoted.append("'" ~ file.replace("'", "''") ~ "'") -%}
    {%- endfor -%}
    {%- set formats = extensions | unique | list -%}
    {%- if formats | length > 1 -%}
        {{ exceptions.raise_compiler_error("raw files mix formats: " ~ files | join(', ')) }}
    {%- elif formats[0] == 'csv' -%}
        read_csv([{{ quoted | join(', ') }}], header = true, all_varchar = true, union_by_name = true)
    {%- else -%}
        read_parquet([{{ quoted | join(', ') }}], union_by_name = true)
    {%- endif -%}
{%- endmacro %}
