{#- Building blocks of the staging models: typing, cleaning and quarantine checks.
    try_cast (DuckDB and Spark SQL alike) turns a value that does not parse into NULL,
    which `unparseable` then reports; dbt.safe_cast renders a plain cast on DuckDB.
    Numbers and timestamps are cast from the raw value itself, not from its trimmed text:
    both engines trim surrounding blanks and read '' as NULL when casting text, and a typed
    Parquet column then needs no round trip through text (at 10M orders the text round
    trip cost about 4 s per timestamp column). A typed amount (DOUBLE, FLOAT, DECIMAL) is
    its value in cents when it lies within a float's rounding of whole cents (see
    as_decimal). -#}

{#- The raw value of every contract column as it arrived (src__<column>, any type), for
    the checks and for the raw text of the rows that end up quarantined; raw__<column> is
    that text as stored by an earlier run (NULL on new rows). Only quarantined rows keep
    their raw text (see kept_raw_text): casting every value of every row to text was most
    of the cost of staging at scale. -#}
{% macro source_columns(table) -%}
    {%- for column in contract_columns(table) -%}
        {{ column }} as src__{{ column }},
        cast(null as string) as raw__{{ column }}{{ ',\n        ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}


{% macro contract_columns(table) -%}
    {{ return(var('raw_contract')[table].required + var('raw_contract')[table].optional) }}
{%- endmacro %}


{#- The typed column that holds a contract column's value: personal data only as its
    digest (<column>_hash). -#}
{% macro typed_column(table, column) -%}
    {{- column ~ '_hash' if column in var('pii_columns').get(table, []) else column -}}
{%- endmacro %}


{#- raw__<column> of the final row: the text it arrived as when it is quarantined (personal
    data only as its digest, free text scrubbed), NULL when it is clean. An incremental run
    has no raw text of a row that was clean when an earlier run loaded it; when such a row
    is quarantined now (superseded by a later file, its customer quarantined since), its
    typed values stand in: it parsed, so they are what it said. -#}
{% macro kept_raw_text(table, rows='rows') -%}
    {%- set pii = var('pii_columns').get(table, []) -%}
    {%- set free_text = var('free_text_columns').get(table, []) -%}
    {%- for column in contract_columns(table) -%}
        {%- set text = 'cast(' ~ rows ~ '.src__' ~ column ~ ' as string)' -%}
        {%- set typed = rows ~ '.' ~ typed_column(table, column) -%}
        {%- if column in pii -%}
            {%- set text = redacted(text) -%}
            {%- set typed = "'sha256:' || " ~ typed -%}
        {%- elif column in free_text -%}
            {%- set text = scrub_pii(text) -%}
        {%- endif -%}
        case when {{ rows }}.quarantine_reason is not null then
            coalesce({{ rows }}.raw__{{ column }}, {{ text }}, cast({{ typed }} as string))
        end as raw__{{ column }}{{ ',\n        ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}


{#- A personal-data value as 'sha256:<digest>' (equal values stay equal). -#}
{% macro redacted(text) -%}
    case when {{ text }} is not null then 'sha256:' || {{ hash_pii(text) }} end
{%- endmacro %}


{% macro raw_columns_restored(table) -%}
    {%- for column in contract_columns(table) -%}
        raw__{{ column }} as {{ column }}{{ ',\n        ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}


{#- One value per distinct row: equal fingerprints are exact duplicates. Rows are
    compared by their typed values, the key without case (see same_key): a copy that
    differs only by surrounding blanks, the key's case or the spelling of one value
    (12.5 and 12.50, Web and web) is the same row (an exact duplicate, one kept), not a
    conflict that would quarantine both. Only rows that passed every check are compared,
    so every typed value is the reading of its raw text. -#}
{% macro row_fingerprint(table, key, rows) -%}
    {%- set parts = [] -%}
    {%- for column in contract_columns(table) -%}
        {%- set text = "cast(" ~ rows ~ "." ~ typed_column(table, column) ~ " as string)" -%}
        {%- if column == key %}{% set text = same_key(text) %}{% endif -%}
        {%- do parts.append("coalesce(" ~ text ~ ", '<null>')") -%}
        {%- if not loop.last %}{% do parts.append("'|'") %}{% endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}


{#- Trimmed text; blank, or a text marker of a missing value (NULL, N/A, NONE, NaN, ...),
    is NULL. In a key that makes the row a null_key; a marker in a typed column is
    unparseable (see `unparseable`). -#}
{% macro clean_text(column) -%}
    case
        when {{ not_one_of('upper(trim(cast(' ~ column ~ ' as string)))', var('missing_value_markers')) }}
            then nullif(trim(cast({{ column }} as string)), '')
    end
{%- endmacro %}


{#- True when a text expression is none of the listed values (NULL when it is NULL). -#}
{% macro not_one_of(expression, values) -%}
    {{ return(adapter.dispatch('not_one_of')(expression, values)) }}
{%- endmacro %}

{% macro default__not_one_of(expression, values) -%}
    ({{ expression }} not in (
        {%- for value in values -%}
            '{{ value }}'{{ ', ' if not loop.last }}
        {%- endfor -%}))
{%- endmacro %}

{#- DuckDB plans an IN list, and since 2.0 a list_contains of constants too, as a join of
    the whole column with the list (0.7 s of CPU for one key column of 9.4M orders);
    comparisons one by one are a plain expression. -#}
{% macro duckdb__not_one_of(expression, values) -%}
    ({% for value in values -%}
        {{ expression }} <> '{{ value }}'{{ ' and ' if not loop.last }}
    {%- endfor %})
{%- endmacro %}


{% macro clean_enum(column) -%}
    lower({{ clean_text(column) }})
{%- endmacro %}


{#- Text is typed only when it has the one form the contract allows, so nothing is
    guessed: an amount has at most two decimals and no separators or exponent (not
    1.234, 1_000, 1e-5, 12,50); an integer is digits; a timestamp is ISO 8601 with an
    optional UTC offset (not a named zone such as EST, not 'epoch' or 'infinity', not a
    marker such as NULL or N/A). Anything else reads as NULL and is quarantined as
    unparseable. Typed (Parquet) columns skip the check. -#}
{% macro when_text_matches(column, pattern) -%}
    case
        when not {{ is_text(column) }} or {{ full_match('cast(' ~ column ~ ' as string)', pattern) }}
            then {{ column }}
    end
{%- endmacro %}


{#- True when a raw column is text (CSV; Parquet columns may be typed). -#}
{% macro is_text(column) -%}
    {{ return(adapter.dispatch('is_text')(column)) }}
{%- endmacro %}

{% macro default__is_text(column) -%}
    (typeof({{ column }}) = 'string')
{%- endmacro %}

{% macro duckdb__is_text(column) -%}
    (typeof({{ column }}) = 'VARCHAR')
{%- endmacro %}


{#- True when the whole text matches a regular expression. -#}
{% macro full_match(text, pattern) -%}
    {{ return(adapter.dispatch('full_match')(text, pattern)) }}
{%- endmacro %}

{% macro default__full_match(text, pattern) -%}
    ({{ text }} rlike {{ regex_literal('^(?:' ~ pattern ~ ')$') }})
{%- endmacro %}

{% macro duckdb__full_match(text, pattern) -%}
    regexp_full_match({{ text }}, {{ regex_literal(pattern) }})
{%- endmacro %}


{#- A regular expression as a string literal: Spark SQL reads backslash escapes in
    literals (so '\s' must be written '\\s'), DuckDB does not. -#}
{% macro regex_literal(pattern) -%}
    {{ return(adapter.dispatch('regex_literal')(pattern)) }}
{%- endmacro %}

{% macro default__regex_literal(pattern) -%}
    '{{ pattern | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}

{% macro duckdb__regex_literal(pattern) -%}
    '{{ pattern | replace("'", "''") }}'
{%- endmacro %}


{#- Money has at most two decimals, typed or not. A typed number is in whole cents when it
    lies within a float's rounding of them (a relative 1e-7: a pandas sum's 2.5500000000000003
    is 2.55; a FLOAT arrives as its text's double, see raw_column), and never more than a
    hundredth of a cent away (so 100000.001 is not a rounding); 12.345 or 1.005 is
    unparseable, not rounded (a cast makes 12.35 of one and 1.00 of the other on DuckDB). -#}
{% macro as_decimal(column) -%}
    {%- set value = 'try_cast(' ~ column ~ ' as double)' -%}
    case
        when {{ within_rounding_of_cents(value) }}
            then try_cast({{ when_text_matches(column, '\s*-?[0-9]+(\.[0-9]{1,2})?\s*') }} as decimal(18, 2))
    end
{%- endmacro %}


{#- A number within a float's rounding of whole cents (see as_decimal). -#}
{% macro within_rounding_of_cents(value) -%}
    abs({{ value }} * 100 - round({{ value }} * 100)) <= least(1e-7 * greatest(abs({{ value }} * 100), 1), 0.01)
{%- endmacro %}


{#- A typed number must be whole: a cast would round 8.5 to 9 on DuckDB and cut it to 8 on
    Spark, a guess either way (it is unparseable). -#}
{% macro as_integer(column) -%}
    {%- set value = 'try_cast(' ~ column ~ ' as double)' -%}
    case
        when {{ value }} = floor({{ value }})
            then try_cast({{ when_text_matches(column, '\s*[+-]?[0-9]+\s*') }} as integer)
    end
{%- endmacro %}


{% macro as_boolean(column) -%}
    try_cast({{ clean_enum(column) }} as boolean)
{%- endmacro %}


{#- True when the raw value (new, or stored by an earlier run) is present but could not be
    typed. The raw value is read as text only when the typed one is NULL. -#}
{% macro unparseable(column) -%}
    (case
        when {{ column }} is null then coalesce(
            nullif(trim(cast(src__{{ column }} as string)), ''), nullif(trim(raw__{{ column }}), '')
        ) is not null
        else false
    end)
{%- endmacro %}


{#- True when a present value is outside its closed vocabulary (var accepted_values). -#}
{% macro outside_domain(expression, domain) -%}
    ({{ expression }} is not null and {{ not_one_of(expression, var('accepted_values')[domain]) }})
{%- endmacro %}


{#- Keys are compared without case: 'C001' and 'c001' in one feed are one key spelled two
    ways (a phantom second customer otherwise), so the two rows are duplicates of each
    other. References stay exact: an order naming 'c001' when the customer is 'C001' is
    unknown_customer, quarantined rather than guessed. -#}
{% macro same_key(key) -%}
    lower({{ key }})
{%- endmacro %}


{#- Duplicate keys among rows that passed every other check. Files are batches: a sound
    row in a later file (by name) corrects the key, and the earlier versions are
    superseded. Within the latest file, identical rows keep one copy (the rest are
    duplicate_key); rows that disagree are all conflicting_duplicate, since nothing tells
    which one is right. -#}
{% macro duplicate_problem(key, fingerprint='row_fingerprint', problem='row_problem',
                           source_file='source_file') -%}
    case
        when {{ problem }} is not null then null
        when {{ source_file }} < max({{ source_file }}) over (
            partition by {{ same_key(key) }}, {{ problem }} is null
        ) then 'superseded'
        when min({{ fingerprint }}) over (partition by {{ same_key(key) }}, {{ problem }} is null, {{ source_file }})
            <> max({{ fingerprint }}) over (partition by {{ same_key(key) }}, {{ problem }} is null, {{ source_file }})
            then 'conflicting_duplicate'
        when row_number() over (
            partition by {{ same_key(key) }}, {{ problem }} is null, {{ source_file }}
            order by {{ fingerprint }}, {{ key }}
        ) > 1 then 'duplicate_key'
    end
{%- endmacro %}


{#- Personal data is stored only as a SHA-256 digest. -#}
{% macro hash_pii(expression) -%}
    {{ return(adapter.dispatch('hash_pii')(expression)) }}
{%- endmacro %}

{% macro default__hash_pii(expression) -%}
    sha2({{ expression }}, 256)
{%- endmacro %}

{% macro duckdb__hash_pii(expression) -%}
    sha256({{ expression }})
{%- endmacro %}


{#- Free text with every e-mail address and phone number (var pii_patterns) replaced by
    [email] and [phone]. -#}
{% macro scrub_pii(text) -%}
    {{ return(adapter.dispatch('scrub_pii')(text)) }}
{%- endmacro %}

{% macro default__scrub_pii(text) -%}
    regexp_replace(regexp_replace({{ text }}, {{ regex_literal(var("pii_patterns").email) }}, '[email]'),
        {{ regex_literal(var("pii_patterns").phone) }}, '[phone]')
{%- endmacro %}

{% macro duckdb__scrub_pii(text) -%}
    regexp_replace(regexp_replace({{ text }}, {{ regex_literal(var("pii_patterns").email) }}, '[email]', 'g'),
        {{ regex_literal(var("pii_patterns").phone) }}, '[phone]', 'g')
{%- endmacro %}


{#- A text or timestamp value as a UTC timestamp: offsets are applied, not dropped. -#}
{% macro to_utc(column) -%}
    {{ return(adapter.dispatch('to_utc')(column)) }}
{%- endmacro %}

{#- The session time zone is UTC (profiles.yml): a timestamp cast applies the offset. -#}
{% macro default__to_utc(column) -%}
    try_cast({{ when_text_matches(column, iso_timestamp_pattern()) }} as timestamp)
{%- endmacro %}

{#- Checking the form first also keeps DuckDB 1.5's named-zone bug away: one value
    ending in 'EST' in a vector made try_cast apply EST to the naive values after it.
    A timestamptz holds microseconds since the epoch in UTC: the UTC timestamp is made
    from them (a time-zone conversion took 10x as long, 1.5 s per 10M values). An infinite
    value has no such number and reads as NULL, so it is unparseable, as it was. -#}
{% macro duckdb__to_utc(column) -%}
    make_timestamp(epoch_us(try_cast({{ when_text_matches(column, iso_timestamp_pattern()) }} as timestamptz)))
{%- endmacro %}

{% macro iso_timestamp_pattern() -%}
    {{ return('\s*[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?)?\s*(Z|[+-][0-9]{2}(:?[0-9]{2})?)?\s*') }}
{%- endmacro %}


{#- The quarantine decision of a base model, in order: the row's own problem
    (row_problem), then duplicate keys among sound rows, then an unknown customer when
    `customers` names an import CTE of clean customer ids, then an unknown reference:
    `references` maps further import CTEs of clean ids to the column that names them
    (unknown_value). Reads the CTE `checked`.
    Adds the load bookkeeping of incremental base models (load_batch, classified_as_of).
    Keys are counted first, so the row fingerprint and the window functions run only on
    the rows whose key occurs more than once (few in real data, all of it at scale). The
    count reads the key alone, of every row: a key repeated only by rows with a problem
    goes through the windows for nothing (they partition sound rows apart), but no value
    is typed twice. -#}
{% macro classify_rows(table, key, customers=none, references={}) -%}
    with

    duplicated_keys as (
        select {{ same_key(key) }} as duplicated_key
        from checked
        group by {{ same_key(key) }}
        having count(*) > 1
    ),

    flagged as {{ inline_cte() }} (
        select
            checked.*,
            duplicated_keys.duplicated_key is not null as has_duplicated_key
        from checked
        left join duplicated_keys on {{ same_key('checked.' ~ key) }} = duplicated_keys.duplicated_key
    ),

    with_duplicate_problem as (
        select
            flagged.*,
            cast(null as string) as duplicate_reason
        from flagged
        where not has_duplicated_key
        union all
        select
            flagged.*,
            {{ duplicate_problem('flagged.' ~ key, row_fingerprint(table, key, 'flagged'), 'flagged.row_problem',
                                 'flagged.source_file') }}
                as duplicate_reason
        from flagged
        where has_duplicated_key
    ),

    decided as (
        select
            rows.*,
            coalesce(
                rows.row_problem,
                rows.duplicate_reason
                {%- if customers %},
                case when {{ customers }}.customer_id is null then 'unknown_customer' end
                {%- endif %}
                {%- for cte, column in references.items() %},
                case when {{ cte }}.{{ column }} is null then 'unknown_value' end
                {%- endfor %}
            ) as quarantine_reason,
            {{ next_load_batch() }} as load_batch,
            {{ future_after_date() }} as classified_as_of
        from with_duplicate_problem as rows
        {%- if customers %}
            left join {{ customers }} on rows.customer_id = {{ customers }}.customer_id
        {%- endif %}
        {%- for cte, column in references.items() %}
            left join {{ cte }} on rows.{{ column }} = {{ cte }}.{{ column }}
        {%- endfor %}
    )

    select
        {{ all_columns_except('decided', source_and_raw_columns(table)) }},
        {{ kept_raw_text(table, 'decided') }}
    from decided
{%- endmacro %}


{% macro source_and_raw_columns(table) -%}
    {%- set names = [] -%}
    {%- for column in contract_columns(table) -%}
        {%- do names.extend(['src__' ~ column, 'raw__' ~ column]) -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}


{#- alias.* without some columns. -#}
{% macro all_columns_except(alias, columns) -%}
    {{ return(adapter.dispatch('all_columns_except')(alias, columns)) }}
{%- endmacro %}

{% macro default__all_columns_except(alias, columns) -%}
    {{ alias }}.* except ({{ columns | join(', ') }})
{%- endmacro %}

{% macro duckdb__all_columns_except(alias, columns) -%}
    {{ alias }}.* exclude ({{ columns | join(', ') }})
{%- endmacro %}


{#- A CTE read twice is materialized by DuckDB: the whole wide staging row set held in
    memory, spilled to disk under the memory limit. Reading the raw file twice and
    typing twice is cheaper (base_orders at L under a 2 GB limit: 20 s materialized,
    14 s inlined). Renders nothing on other adapters. -#}
{% macro inline_cte() -%}
    {{ return(adapter.dispatch('inline_cte')()) }}
{%- endmacro %}

{% macro default__inline_cte() -%}
{%- endmacro %}

{% macro duckdb__inline_cte() -%}
    not materialized
{%- endmacro %}


{#- inline_cte for the raw and typed rows of a base model on a full build; an incremental
    run types only new files and the stored rows of touched keys, few rows that are
    cheaper held once than the stored table read twice. -#}
{% macro inline_on_full_build() -%}
    {%- if not is_incremental() -%} {{ inline_cte() }} {%- endif -%}
{%- endmacro %}


{#- A phone number reduced to its digits and '+', so one number written two ways hashes
    the same. -#}
{% macro digits_only(text) -%}
    {{ return(adapter.dispatch('digits_only')(text)) }}
{%- endmacro %}

{% macro default__digits_only(text) -%}
    regexp_replace({{ text }}, '[^0-9+]', '')
{%- endmacro %}

{% macro duckdb__digits_only(text) -%}
    regexp_replace({{ text }}, '[^0-9+]', '', 'g')
{%- endmacro %}
