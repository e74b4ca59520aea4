{#- Every generic data test reads its model through this macro (dbt's get_where_subquery,
    overridden here). On an incremental run a test of an incremental model reads only what
    the run can have changed, when its check allows it:
    - row checks (a value of the row alone) read the rows of the newest load_batch, which
      are exactly the rows the run wrote: every incremental model stamps them so;
    - key checks (unique, unique_combination) read those rows and every row sharing a key
      with them, so a new row duplicating a stored one is still caught.
    Checks across rows or tables (relationships, reconciliations, row conservation) always
    read everything. Sound because an incremental build starts from a copy of the served
    warehouse, which passed every test (loyalty build). On a full build every row carries
    the same batch and nothing is filtered. -#}
{% macro default__get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where %}{% do conditions.append('(' ~ where ~ ')') %}{% endif -%}
    {%- set scope = latest_batch_scope(relation) -%}
    {%- if scope %}{% do conditions.append(scope) %}{% endif -%}
    {%- if conditions -%}
        {{ return('(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery') }}
    {%- else -%}
        {{ return(relation) }}
    {%- endif -%}
{%- endmacro %}


{#- The test kinds whose verdict on a row depends on that row alone. -#}
{% macro row_check_tests() -%}
    {{ return(['not_null', 'accepted_values', 'in_accepted_values', 'value_between',
               'expression_is_true']) }}
{%- endmacro %}


{#- The filter scoping the current test to the newest load_batch of `relation`, or '' when
    the test reads the whole relation. -#}
{% macro latest_batch_scope(relation) -%}
    {%- if not execute or model.resource_type != 'test' or not model.get('test_metadata') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set attached = graph.nodes.get(model.get('attached_node') or '') -%}
    {%- if not attached or attached.config.materialized != 'incremental' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set test = model.test_metadata -%}
    {%- set kwargs = test.kwargs -%}
    {%- if test.name in row_check_tests() -%}
        {#- an expression reading other rows or tables is not a row check -#}
        {%- if 'select' in (kwargs.get('expression', '') ~ kwargs.get('where_clause', '')) | lower -%}
            {{ return('') }}
        {%- endif -%}
        {%- set keys = none -%}
    {%- elif test.name == 'unique' -%}
        {%- set keys = [kwargs.column_name] -%}
    {%- elif test.name == 'unique_combination' -%}
        {%- set keys = kwargs.columns -%}
    {%- else -%}
        {{ return('') }}
    {%- endif -%}
    {%- if 'load_batch' not in adapter.get_columns_in_relation(relation) | map(attribute='name') | list -%}
        {{ return('') }}
    {%- endif -%}
    {%- set batches = run_query('select min(load_batch), max(load_batch) from ' ~ relation).rows[0] -%}
    {%- if batches[0] is none or batches[0] == batches[1] -%}
        {{ return('') }}
    {%- endif -%}
    {%- if keys is none -%}
        {{ return('load_batch = ' ~ batches[1]) }}
    {%- endif -%}
    {{ return('(load_batch = ' ~ batches[1] ~ ' or (' ~ keys | join(', ') ~ ') in (select '
              ~ keys | join(', ') ~ ' from ' ~ relation ~ ' where load_batch = ' ~ batches[1]
              ~ '))') }}
{%- endmacro %}
