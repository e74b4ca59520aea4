{#- The relation of one raw table, whichever way the data comes in: the committed seed
    (default) or files in var raw_data_path. Always yields exactly the contract's
    columns plus source_file, the file a row came from (relative to the data folder;
    files are batches, and a later file name is a later batch); optional columns or
    tables that are absent read as NULL / empty. `skip_files`: files already loaded
    (an incremental run reads only the others). -#}
{% macro raw_table(table, skip_files=[]) -%}
    {%- set contract = var('raw_contract')[table] -%}
    {%- set columns = contract_columns(table) -%}
    {%- set folder = var('raw_data_path') -%}
    {%- set seed_name = 'seed:raw_' ~ table -%}
    {%- if not folder and seed_name in skip_files -%}
        {{ empty_raw_table(columns) }}
    {%- elif not folder -%}
        (select {{ columns | join(', ') }}, '{{ seed_name }}' as source_file
        from {{ ref('raw_' ~ table) }})
    {%- elif not execute -%}
        {{ empty_raw_table(columns) }}
    {%- else -%}
        {{ raw_file_relation(folder, table, contract, skip_files) }}
    {%- endif -%}
{%- endmacro %}


{% macro empty_raw_table(columns) -%}
    (select {% for column in columns -%}
        cast(null as varchar) as {{ column }},
    {%- endfor %} cast(null as varchar) as source_file where 1 = 0)
{%- endmacro %}


{% macro raw_file_relation(folder, table, contract, skip_files=[]) -%}
    {%- set columns = contract_columns(table) -%}
    {%- set prefix = folder.rstrip('/') ~ '/' -%}
    {%- set all_files = raw_files(folder, table) -%}
    {%- set files = [] -%}
    {%- for file in all_files if file[prefix | length:] not in skip_files -%}
        {%- do files.append(file) -%}
    {%- endfor -%}
    {%- if all_files and not files -%}
        {{ empty_raw_table(columns) }}
    {%- elif files | length == 0 -%}
        {%- if contract.get('required_table') -%}
            {{ exceptions.raise_compiler_error(
                "raw data folder '" ~ folder ~ "': required table '" ~ table ~ "' not found; expected "
                ~ table ~ ".csv, " ~ table ~ ".parquet or a folder " ~ table ~ "/ of such files") }}
        {%- endif -%}
        {{ empty_raw_table(columns) }}
    {%- else -%}
        {%- set reader = raw_file_reader(files) -%}
        {%- set described = run_query('describe select * from ' ~ reader) -%}
        {%- set present = described.columns[0].values() | map('lower') | reject('eq', 'filename') | list -%}
        {%- set missing = contract.required | reject('in', present) | list -%}
        {%- if missing -%}
            {{ exceptions.raise_compiler_error(
                "raw file " ~ files | join(', ') ~ ": missing required column(s) "
                ~ missing | join(', ') ~ "; found: " ~ present | join(', ')) }}
        {%- endif -%}
        {%- set extra = present | reject('in', columns) | list -%}
        {%- set absent = contract.optional | reject('in', present) | list -%}
        {%- if extra and absent -%}
            {#- a renamed or duplicated header: guessing would drop a column's values -#}
            {{ exceptions.raise_compiler_error(
                "raw file " ~ files | join(', ') ~ ": contract column(s) " ~ absent | join(', ')
                ~ " missing while unknown column(s) " ~ extra | join(', ') ~ " are present (a renamed "
                ~ "or duplicated header?); rename them to the contract's names or drop them") }}
        {%- elif extra -%}
            {{ log("raw " ~ table ~ ": ignoring extra column(s) " ~ extra | join(', '), info=true) }}
        {%- endif -%}
        {%- set types = dict(zip(described.columns[0].values() | map('lower'), described.columns[1].values())) -%}
        {%- for column in columns if column.endswith('_id') and column in types
                and types[column] | upper not in ('VARCHAR', 'STRING') -%}
            {{ exceptions.raise_compiler_error(
                "raw file " ~ files | join(', ') ~ ": key column " ~ column ~ " is " ~ types[column]
                ~ "; keys are text in the contract (write them as strings, e.g. 'C0000001')") }}
        {%- endfor -%}
        (select {% for column in columns -%}
            {%- if column in present -%}{{ column }}{%- else -%}cast(null as varchar) as {{ column }}{%- endif -%},
        {%- endfor %} substr(filename, {{ prefix | length + 1 }}) as source_file from {{ reader }})
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
        read_csv([{{ quoted | join(', ') }}], header = true, all_varchar = true, union_by_name = true,
            filename = true)
    {%- else -%}
        read_parquet([{{ quoted | join(', ') }}], union_by_name = true, filename = true)
    {%- endif -%}
{%- endmacro %}
