{#- Every generic data test reads its model through this macro (dbt's get_where_subquery,
    overridden here). On an incremental run a test of an incremental model reads only what
    the run can have changed, when its check allows it:
    - row checks (a value of the row alone) read the rows of the newest load_batch, which
      are exactly the rows the run wrote: every incremental model stamps them so;
    - key checks (unique, unique_combination) read those rows and every row sharing a key
      with them, so a new row duplicating a stored one is still caught.
    A view declaring `rows_of` (an incremental model whose rows it shows one to one, with
    their load_batch) is scoped the same way; a view of some of that model's rows without
    their load_batch (the staging views) reads the rows whose key (the model's unique_key)
    the newest load_batch holds.
    Checks across rows or tables (relationships, reconciliations, row conservation) always
    read everything, as does every test on a full build (one batch) and on Spark (tables).
    Sound because an incremental build starts from a copy of the served warehouse, which
    passed every test (loyalty build).
    One macro on purpose: dbt's partial parsing does not re-parse tests when this override
    changes, and a helper macro added later would be unknown to them until a full parse. -#}
{% macro default__get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where %}{% do conditions.append('(' ~ where ~ ')') %}{% endif -%}
    {%- set test = model.get('test_metadata') if execute and model.resource_type == 'test' else none -%}
    {%- set attached = graph.nodes.get(model.get('attached_node') or '') if test else none -%}
    {%- set keys = none -%}
    {%- set kind = none -%}
    {#- a view with config rows_of shows the rows of that incremental model one to one,
        load_batch included -#}
    {%- if attached and (attached.config.materialized == 'incremental'
                         or attached.config.get('rows_of')) -%}
        {%- set kwargs = test.kwargs -%}
        {%- if test.name in ['not_null', 'not_null_columns', 'accepted_values', 'in_accepted_values',
                             'value_between']
            or (test.name == 'expression_is_true'
                and 'select' not in (kwargs.get('expression', '') ~ kwargs.get('where_clause', '')) | lower) -%}
            {%- set kind = 'row' -%}
        {%- elif test.name in ['unique', 'unique_combination'] -%}
            {%- set kind = 'key' -%}
            {%- set keys = [kwargs.column_name] if test.name == 'unique' else kwargs.columns -%}
        {%- endif -%}
    {%- endif -%}
    {%- set batched = relation -%}
    {%- set by_key = none -%}
    {%- if kind and 'load_batch' not in adapter.get_columns_in_relation(relation) | map(attribute='name') | list -%}
        {#- the rows of an incremental model with a unique_key, shown without load_batch -#}
        {%- set source = (graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
                          | selectattr('name', 'equalto', attached.config.get('rows_of')) | list) -%}
        {%- set source_key = source[0].config.get('unique_key') if source else none -%}
        {%- if source_key and (kind == 'row' or keys == [source_key]) -%}
            {%- set batched = adapter.get_relation(source[0].database, source[0].schema, source[0].alias) -%}
            {%- set by_key = source_key -%}
        {%- else -%}
            {%- set kind = none -%}
        {%- endif -%}
    {%- endif -%}
    {%- if kind and batched is not none -%}
        {%- set batches = run_query('select min(load_batch), max(load_batch) from ' ~ batched).rows[0] -%}
        {%- if batches[0] is not none and batches[0] != batches[1] -%}
            {%- set newest = 'load_batch = ' ~ batches[1] -%}
            {%- if by_key -%}
                {%- do conditions.append(by_key ~ ' in (select ' ~ by_key ~ ' from ' ~ batched
                                         ~ ' where ' ~ newest ~ ')') -%}
            {%- elif kind == 'row' -%}
                {%- do conditions.append(newest) -%}
            {%- else -%}
                {%- do conditions.append('(' ~ newest ~ ' or (' ~ keys | join(', ') ~ ') in (select '
                                         ~ keys | join(', ') ~ ' from ' ~ relation ~ ' where '
                                         ~ newest ~ '))') -%}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    {%- if conditions -%}
        {{ return('(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery') }}
    {%- else -%}
        {{ return(relation) }}
    {%- endif -%}
{%- endmacro %}
