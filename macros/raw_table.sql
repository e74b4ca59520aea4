{#- The relation of one raw table, whichever way the data comes in: the committed seed
    (default) or files in var raw_data_path. Always yields exactly the contract's
    columns plus source_file, the file a row came from (relative to the data folder;
    files are batches, and a later file name is a later batch); optional columns or
    tables that are absent read as NULL / empty. `skip_files`: files already loaded
    (an incremental run reads only the others). -#}
{% macro raw_table(table, skip_files=[]) -%}
    {%- set contract = var('raw_contract')[table] -%}
    {%- set columns = contract_columns(table) -%}
    {%- set folder = raw_data_path() -%}
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
        cast(null as string) as {{ column }},
    {%- endfor %} cast(null as string) as source_file where 1 = 0)
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
                ~ table ~ ".csv, " ~ table ~ ".csv.gz, " ~ table ~ ".parquet or a folder " ~ table
                ~ "/ (or " ~ table ~ ".parquet/) of such files") }}
        {%- endif -%}
        {{ empty_raw_table(columns) }}
    {%- else -%}
        {#- CSV and Parquet files of one table (a feed that changed format) are read apart
            and joined; the Parquet values are then read as text (raw_column), so that each
            column is typed by one rule whichever file a value came from. Whether the
            table mixes formats is decided on all its files, so that an incremental run
            reading only new Parquet files reads them as a full build does. -#}
        {%- set formats = [] -%}
        {%- for file in all_files -%}
            {%- do formats.append(raw_file_format(file)) -%}
        {%- endfor -%}
        {%- set as_text = formats | unique | list | length > 1 -%}
        {%- set relations = [] -%}
        {%- for format in ('csv', 'parquet') -%}
            {%- set group = [] -%}
            {%- for file in files if raw_file_format(file) == format -%}
                {%- do group.append(file) -%}
            {%- endfor -%}
            {%- if group -%}
                {%- do relations.append(raw_file_group_rows(table, contract, group, prefix, as_text)) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if relations | length == 1 -%}
            {{ relations[0] }}
        {%- else -%}
            (select * from {{ relations[0] }} as csv_rows
            union all select * from {{ relations[1] }} as parquet_rows)
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- The rows of files of one format, after the checks of their header. -#}
{% macro raw_file_group_rows(table, contract, files, prefix, as_text) -%}
    {%- set columns = contract_columns(table) -%}
    {%- set present, types = raw_file_columns(files) -%}
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
    {%- for column in columns if column.endswith('_id') and column in types
            and key_type_kind(types[column]) is none -%}
        {{ exceptions.raise_compiler_error(
            "raw file " ~ files | join(', ') ~ ": key column " ~ column ~ " is " ~ types[column]
            ~ "; keys are text or whole numbers in the contract (e.g. 'C0000001' or 1001)") }}
    {%- endfor -%}
    {{ return(raw_file_rows(files, columns, types, prefix, as_text)) }}
{%- endmacro %}


{#- The columns present in a table's files (lower case, in file order) and their types. -#}
{% macro raw_file_columns(files) -%}
    {{ return(adapter.dispatch('raw_file_columns')(files)) }}
{%- endmacro %}

{% macro duckdb__raw_file_columns(files) -%}
    {%- set described = run_query('describe select * from ' ~ duckdb__raw_file_reader(files)) -%}
    {%- set names = described.columns[0].values() | map('lower') | list -%}
    {{ return((names | reject('eq', 'filename') | list, dict(zip(names, described.columns[1].values())))) }}
{%- endmacro %}

{#- Spark reads each file as its own temporary view: one read of several CSV files would
    match their columns by position, not by header. Columns are matched by name here. -#}
{% macro default__raw_file_columns(files) -%}
    {%- set present, types = [], {} -%}
    {%- for file in files -%}
        {%- set described = run_query('describe ' ~ raw_file_view(file)) -%}
        {%- for row in described.rows if row[0] and not row[0].startswith('#') -%}
            {%- if row[0] | lower not in present -%}
                {%- do present.append(row[0] | lower) -%}
                {%- do types.update({row[0] | lower: row[1]}) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return((present, types)) }}
{%- endmacro %}


{#- Every row of the files with exactly the contract's columns (NULL where a file has no
    such column) and source_file, the file's path below the data folder; `as_text`: every
    value as text (see raw_column). -#}
{% macro raw_file_rows(files, columns, types, prefix, as_text=false) -%}
    {{ return(adapter.dispatch('raw_file_rows')(files, columns, types, prefix, as_text)) }}
{%- endmacro %}

{% macro duckdb__raw_file_rows(files, columns, types, prefix, as_text) -%}
    (select {% for column in columns -%}
        {%- if column in types -%}{{ raw_column(column, types[column], as_text) }}{%- else -%}cast(null as string) as {{ column }}{%- endif -%},
    {%- endfor %} substr(filename, {{ prefix | length + 1 }}) as source_file from {{ duckdb__raw_file_reader(files) }})
{%- endmacro %}

{% macro default__raw_file_rows(files, columns, types, prefix, as_text) -%}
    (
    {%- for file in files %}
        {%- set described = run_query('describe ' ~ raw_file_view(file)) %}
        {%- set in_file = dict(zip(described.columns[0].values() | map('lower'), described.columns[1].values())) %}
        select {% for column in columns -%}
            {%- if column in in_file -%}{{ raw_column(column, in_file[column], as_text) }}{%- else -%}cast(null as string) as {{ column }}{%- endif -%},
        {%- endfor %} '{{ file[prefix | length:] | replace("'", "\\'") }}' as source_file
        from {{ raw_file_view(file) }}
        {{- '\n        union all' if not loop.last }}
    {%- endfor %}
    )
{%- endmacro %}


{#- A raw column as read, except a single-precision float (below) and a key stored as a
    number: keys are text, and a number is written as the digits of its value, so the
    integer 1001 and the double 1001.0 (pandas stores an integer column with gaps as
    doubles) are the same key '1001'. A fractional key keeps its text; NaN reads as 'nan',
    a missing-value marker (null_key).
    `as_text` (Parquet files beside CSV files of the same table): every value as text that
    staging types as it types the value itself. A number: a whole one as its digits (a
    score of 9.0 is 9), one within a float's rounding of whole cents as those cents
    (0.1 + 0.2 is 0.30, as as_decimal types it), any other as its own text (unparseable,
    as the number would be); a timestamp, date or boolean as its text. -#}
{% macro raw_column(column, type, as_text=false) -%}
    {%- set kind = key_type_kind(type) -%}
    {%- set key = column.endswith('_id') -%}
    {%- set value = 'cast(cast(' ~ column ~ ' as string) as double)'
        if not key and raw_type_name(type) in ('float', 'real', 'float4') else column -%}
    {%- if key and kind in ('integer', 'empty') -%}
        cast({{ column }} as string) as {{ column }}
    {%- elif as_text and kind not in ('text', 'number') -%}
        {{ value_text(column, type) }} as {{ column }}
    {%- elif (key or as_text) and kind == 'number' -%}
        {#- abs(NaN) and abs(infinity) are above any bound on both engines -#}
        case
            when abs({{ value }}) < 1e37 and {{ value }} = floor({{ value }})
                then cast(cast({{ value }} as decimal(38, 0)) as string)
            {%- if not key %}
            when abs({{ value }}) < 1e35 and {{ within_rounding_of_cents(value) }}
                then cast(cast(round({{ value }}, 2) as decimal(38, 2)) as string)
            {%- endif %}
            else cast({{ value }} as string)
        end as {{ column }}
    {%- elif value != column -%}
        {#- single precision: its shortest text is the number that was written (12345.68,
            not the 12345.6796875 it widens to), which staging then types as any double -#}
        {{ value }} as {{ column }}
    {%- else -%}
        {{ column }}
    {%- endif -%}
{%- endmacro %}

{#- A typed value (not a number) as text. DuckDB writes a timestamp with time zone with its
    offset ('+00'), a type Spark does not have: both write the UTC time without one. -#}
{% macro value_text(column, type) -%}
    {{ return(adapter.dispatch('value_text')(column, type)) }}
{%- endmacro %}

{% macro default__value_text(column, type) -%}
    cast({{ column }} as string)
{%- endmacro %}

{% macro duckdb__value_text(column, type) -%}
    {%- if raw_type_name(type) in ('timestampwithtimezone', 'timestamptz') -%}
        cast(timezone('UTC', {{ column }}) as string)
    {%- else -%}
        cast({{ column }} as string)
    {%- endif -%}
{%- endmacro %}

{#- A file's column type as the engines name it, without case, blanks or quotes. -#}
{% macro raw_type_name(type) -%}
    {{ return(type | lower | replace(' ', '') | replace('"', '')) }}
{%- endmacro %}


{#- How a key column's file type reads as text: 'text', 'integer' (exact digits), 'number'
    (a float or decimal: whole values as digits), 'empty' (a column of nulls only, which
    pandas writes without a type: DuckDB reads "NULL", Spark void), or none (a type no key
    can have). -#}
{% macro key_type_kind(type) -%}
    {%- set name = raw_type_name(type) -%}
    {%- if name in ('varchar', 'string') or name.startswith('varchar(') or name.startswith('char(') -%}
        {{ return('text') }}
    {%- elif name in ('null', 'void') -%}
        {{ return('empty') }}
    {%- elif name in ('tinyint', 'smallint', 'int', 'integer', 'bigint', 'hugeint', 'utinyint',
                      'usmallint', 'uinteger', 'ubigint', 'uhugeint') -%}
        {{ return('integer') }}
    {%- elif name in ('float', 'double', 'real') or name.startswith('decimal') -%}
        {{ return('number') }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}


{#- A Spark temporary view of one raw file, every CSV value as text (as DuckDB's reader
    with all_varchar); RFC 4180 quoting, values may span lines. -#}
{% macro raw_file_view(file) -%}
    {%- set name = 'raw_file_' ~ local_md5(file) -%}
    {%- set format = raw_file_format(file) -%}
    {%- set options = "header 'true', multiLine 'true', escape '\"', mode 'FAILFAST'"
        if format == 'csv' else "mergeSchema 'false'" -%}
    {%- do run_query("create or replace temporary view " ~ name ~ " using " ~ format ~ " options (path '"
                     ~ file | replace("'", "\\'") ~ "', " ~ options ~ ")") -%}
    {{ return(name) }}
{%- endmacro %}


{#- Files of one raw table: <table>.csv, .csv.gz or .parquet, and every such file in
    <table>/ or <table>.<anything>/ (a Spark job's output folder), sorted. -#}
{% macro raw_files(folder, table) -%}
    {{ return(raw_files_of_table(folder, table, adapter.dispatch('raw_paths')(folder, table))) }}
{%- endmacro %}

{#- Paths below the data folder that may belong to the table: <table>.*, files in <table>/
    and <table>.*/, and files in their sub-folders at any depth (not read, so they have to
    be seen to be reported). glob gives paths normalised (~ expanded; no ./, .., //): a
    path of known depth is its last components; a deeper one loses the folder as glob
    spells it. -#}
{% macro duckdb__raw_paths(folder, table) -%}
    {%- set base = folder.rstrip('/').replace("'", "''") ~ '/' ~ table -%}
    {%- set query -%}
        select 1 as depth, file from glob('{{ base }}.*')
        union all select 2, file from glob('{{ base }}/*')
        union all select 2, file from glob('{{ base }}.*/*')
        union all select 0, file from glob('{{ base }}/*/**')
        union all select 0, file from glob('{{ base }}.*/*/**')
    {%- endset -%}
    {%- set prefix = glob_spelling(folder) -%}
    {%- set paths = [] -%}
    {%- for row in run_query(query).rows -%}
        {%- if row[0] | int > 0 -%}
            {%- do paths.append(row[1].split('/')[-(row[0] | int):] | join('/')) -%}
        {%- elif row[1].startswith(prefix) -%}
            {%- do paths.append(row[1][prefix | length:]) -%}
        {%- else -%}
            {{ exceptions.raise_compiler_error("raw data folder '" ~ folder ~ "': " ~ row[1]
                ~ " not read: a table's files sit at most one folder deep (" ~ table ~ "/)") }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(paths) }}
{%- endmacro %}

{#- The folder as DuckDB's glob spells the paths below it, with a trailing '/': a leading
    ~ expanded, '.' and empty parts dropped, '..' taken back by text (not through links). -#}
{% macro glob_spelling(folder) -%}
    {%- set path = env_var('HOME', '~') ~ folder[1:] if folder == '~' or folder.startswith('~/')
        else folder -%}
    {%- set parts = [] -%}
    {%- for part in path.split('/') if part not in ('', '.') -%}
        {%- if part == '..' and parts and parts[-1] != '..' -%}
            {%- do parts.pop() -%}
        {%- elif part != '..' or not path.startswith('/') -%}
            {%- do parts.append(part) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set root = '/' if path.startswith('/') else '' -%}
    {{ return(root ~ (parts | join('/') ~ '/' if parts else '')) }}
{%- endmacro %}

{#- Spark lists every file below the folder, at any depth (their contents are not read;
    names starting with '.' or '_' are left out, with what is below them), and gives each
    path below the folder, recognised by the folder's own name before the table's: the
    first such place from the left, so that a path below another top-level folder
    (_pending/orders/) is not taken for the table's. -#}
{% macro default__raw_paths(folder, table) -%}
    {%- set folder_name = folder.rstrip('/').split('/')[-1] -%}
    {%- do run_query("create or replace temporary view raw_folder_files using binaryFile options (path '"
                     ~ folder | replace("'", "\\'") ~ "', recursiveFileLookup 'true')") -%}
    {%- set paths = [] -%}
    {%- for path in run_query('select distinct path from raw_folder_files').columns[0].values() -%}
        {%- set parts = path.split('/') -%}
        {%- for depth in range(parts | length - 1, 0, -1) if parts[-depth - 1] == folder_name
                and (parts[-depth] == table or parts[-depth].startswith(table ~ '.')) -%}
            {%- if loop.first -%}
                {%- do paths.append(parts[-depth:] | join('/')) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(paths) }}
{%- endmacro %}

{#- Of the listed paths (below the folder), the table's files, as the folder's path and
    theirs. A name starting with '.' or '_' is skipped (_SUCCESS, .crc files: what Spark
    leaves beside its output and never reads); any other file named after the table or in
    its folder (<table>/, <table>.<anything>/) that is not CSV (.csv, .csv.gz) or Parquet
    (.parquet), or sits in a sub-folder, stops the run: leaving it out would lose its rows
    without a word. -#}
{% macro raw_files_of_table(folder, table, paths) -%}
    {%- set prefix = folder.rstrip('/') ~ '/' -%}
    {%- set files, unread = [], [] -%}
    {%- for path in paths | unique | sort -%}
        {%- set parts = path.split('/') -%}
        {%- set hidden = parts[1:] | map('first') | select('in', '._') | list -%}
        {%- if (parts[0] != table and not parts[0].startswith(table ~ '.')) or hidden -%}
        {%- elif parts | length <= 2 and raw_file_format(path) -%}
            {%- do files.append(prefix ~ path) -%}
        {%- else -%}
            {%- do unread.append(path) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if unread -%}
        {{ exceptions.raise_compiler_error(
            "raw data folder '" ~ folder ~ "': " ~ unread | join(', ') ~ " not read: a table's "
            ~ "files are CSV (.csv, .csv.gz) or Parquet (.parquet), at most one folder deep ("
            ~ table ~ "/); convert or move the file(s) out of the folder") }}
    {%- endif -%}
    {{ return(files) }}
{%- endmacro %}

{#- 'csv' or 'parquet' by the file's name; none for any other file. -#}
{% macro raw_file_format(file) -%}
    {%- set name = file.split('/')[-1] -%}
    {%- if name.endswith('.csv') or name.endswith('.csv.gz') -%}
        {{ return('csv') }}
    {%- elif name.endswith('.parquet') -%}
        {{ return('parquet') }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}


{#- One reader for files of one format (raw_file_relation reads each format apart). -#}
{% macro duckdb__raw_file_reader(files) -%}
    {%- set quoted = [] -%}
    {%- for file in files -%}
        {%- do quoted.append("'" ~ file.replace("'", "''") ~ "'") -%}
    {%- endfor -%}
    {%- if raw_file_format(files[0]) == 'csv' -%}
        read_csv([{{ quoted | join(', ') }}], header = true, all_varchar = true, union_by_name = true,
            filename = true)
    {%- else -%}
        read_parquet([{{ quoted | join(', ') }}], union_by_name = true, filename = true)
    {%- endif -%}
{%- endmacro %}
