{#- Incremental loading. Raw files are batches. An incremental base model types only the
    files it has not loaded yet, and re-classifies every row of a key that a new row
    touches or whose verdict can change with time (future_timestamp, unknown_customer,
    a customer no longer clean, as_of_date moved back); each such row gets the next
    load_batch. Downstream models recompute whole customers: every customer with a row
    in a load_batch newer than the model's own (macro changed_rows, strategy
    replace_customers). Changing a var (churn window, SLA) needs --full-refresh. -#}

{#- The materialization of an incremental model. Spark rebuilds it whole on every run:
    the delete of the replace_customers and delete+insert strategies needs a table format
    with row-level deletes (Delta, Iceberg), which open-source Spark does not ship. -#}
{% macro incremental_or_table() -%}
    {{ return(adapter.dispatch('incremental_or_table')()) }}
{%- endmacro %}

{% macro default__incremental_or_table() -%}
    {{ return('table') }}
{%- endmacro %}

{% macro duckdb__incremental_or_table() -%}
    {{ return('incremental') }}
{%- endmacro %}


{#- The CTE `typed`: the new rows, plus on an incremental run the stored rows to
    re-classify. `new_rows` and (unless has_customer is false) `customers` are import
    CTEs of the calling model; `references` as in classify_rows. -#}
{% macro typed_with_reclassified(key, has_customer=true, references={}) -%}
    typed as {{ inline_on_full_build() }} (
    {%- if is_incremental() %}
        {%- set derived = ['row_problem', 'has_duplicated_key', 'duplicate_reason',
                           'quarantine_reason', 'load_batch', 'classified_as_of'] -%}
        {%- set stored, present = [], [] -%}
        {%- for column in adapter.get_columns_in_relation(this) -%}
            {%- do present.append(column.name) -%}
            {%- if column.name not in derived %}{% do stored.append(column.name) %}{% endif -%}
        {%- endfor %}
        {%- if execute and ('load_batch' not in present or 'classified_as_of' not in present) -%}
            {{ exceptions.raise_compiler_error(
                this ~ " was built by an earlier version of " ~ model.name ~ " (no load_batch / "
                ~ "classified_as_of columns): run a full build once (bin/warehouse build without "
                ~ "--incremental, or dbt build --full-refresh)") }}
        {%- endif %}
        {#- the raw values of new rows (src__); stored rows have their raw__ text instead -#}
        {%- set sources = [] -%}
        {%- for name in stored if name.startswith('raw__') -%}
            {%- do sources.append('src__' ~ name[5:]) -%}
        {%- endfor %}
        select {{ stored | join(', ') }}, {{ sources | join(', ') }} from new_rows
        union all
        select {{ stored | join(', ') }}{% for name in sources %}, null as {{ name }}{% endfor %}
        from {{ this }}
        where {{ same_key(key) }} in (
            select {{ same_key(key) }} from new_rows
            union all
            select {{ same_key(key) }} from {{ this }}
            where
                quarantine_reason in ('future_timestamp', 'unknown_customer')
                {%- if has_customer %}
                or (quarantine_reason is null and customer_id not in (select customer_id from customers))
                {%- endif %}
                {%- for cte, column in references.items() %}
                or quarantine_reason = 'unknown_value'
                or (quarantine_reason is null and {{ column }} not in (select {{ column }} from {{ cte }}))
                {%- endfor %}
                or classified_as_of > {{ future_after_date() }}
        )
    {%- else %}
        select * from new_rows
    {%- endif %}
    )
{%- endmacro %}


{#- The files an incremental model has loaded already: none on a full build, nor when
    the stored table predates the source_file column (every file is read again). -#}
{% macro files_loaded() -%}
    {%- if not (execute and is_incremental()) -%}{{ return([]) }}{%- endif -%}
    {%- if 'source_file' not in adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
        {{ return([]) }}
    {%- endif -%}
    {{ return(run_query('select distinct source_file from ' ~ this
                        ~ ' where source_file is not null').columns[0].values() | list) }}
{%- endmacro %}


{#- Columns every incremental model stores: the batch that last wrote the row. -#}
{% macro next_load_batch() -%}
    {%- if is_incremental() -%}
        (select coalesce(max(load_batch), 0) + 1 from {{ this }})
    {%- else -%}
        1
    {%- endif -%}
{%- endmacro %}


{#- Rows an incremental run of a customer-level model recomputes: those of customers
    with rows in a batch of `changed_by` (a base model) newer than this model's latest
    load_batch; with open_months also every row from the last stored month on, since
    as_of_date moves the month-end state of that month (and may add a month); with the
    model config revealed_later ({model, key, columns}) also the customers of stored rows
    whose later events (a ticket's response, resolution) have become known; with the
    model config dated_flag ({flag, date}: flag is true exactly when date <= as_of_date)
    also the customers of stored rows whose flag as_of_date has changed (a churn date
    reached). -#}
{% macro changed_rows(changed_by, open_months=false) -%}
    {%- set revealed_later = config.get('revealed_later') -%}
    {%- set dated_flag = config.get('dated_flag') -%}
    (customer_id in (
        select customer_id from {{ ref(changed_by) }}
        where load_batch > (select coalesce(max(load_batch), 0) from {{ this }})
    )
    {%- if open_months %}
        or month >= (select least(max(month), {{ month_of(as_of_date()) }}) from {{ this }})
    {%- endif -%}
    {%- if revealed_later %}
        {#- events of a stored row that were after the previous as_of_date (not known
            then) and are known now: e.g. a ticket's later response or resolution -#}
        or customer_id in (
            select stored.customer_id
            from {{ this }} as stored
            inner join {{ ref(revealed_later.model) }} as current_rows
                on stored.{{ revealed_later.key }} = current_rows.{{ revealed_later.key }}
            where
                {%- for column in revealed_later.columns %}
                (stored.{{ column }} is null and current_rows.{{ column }} is not null
                    and {{ known_on_as_of('current_rows.' ~ column) }})
                {{- ' or' if not loop.last }}
                {%- endfor %}
        )
    {%- endif -%}
    {%- if dated_flag %}
        or customer_id in (
            select customer_id from {{ this }}
            where {{ dated_flag.flag }} <> ({{ dated_flag.date }} <= {{ as_of_date() }})
        )
    {%- endif -%}
    )
{%- endmacro %}


{#- Custom incremental strategy: delete the rows in scope (changed_rows, configured by
    changed_by and open_months), then insert the model's rows, which are exactly the
    recomputed rows in scope. Both read the target before the delete, so they agree. -#}
{% macro get_incremental_replace_customers_sql(arg_dict) -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ arg_dict['target_relation'] }}
    where {{ changed_rows(config.get('changed_by'), config.get('open_months', false)) }};
    insert into {{ arg_dict['target_relation'] }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{%- endmacro %}


{#- The newest batch of a base model: what an incremental model's rows now reflect. -#}
{% macro latest_load_batch(changed_by) -%}
    (select coalesce(max(load_batch), 0) from {{ ref(changed_by) }})
{%- endmacro %}


{#- Post-hook of an incremental model with age_weeks: moves the stored ages to the current
    as_of_date. Ages change for every customer every day, the rest of a row only with the
    customer's orders; the update writes only the ages that changed. -#}
{% macro update_age_weeks() -%}
    {%- if model.config.materialized == 'incremental' -%}
        update {{ this }} set age_weeks = {{ age_weeks('first_purchase_date') }}
        where age_weeks is distinct from {{ age_weeks('first_purchase_date') }}
    {%- endif -%}
{%- endmacro %}
