{#- A contracted mart's row checks are constraints in its yml (not_null and check), which
    DuckDB enforces as the table is written. dbt-spark applies constraints to Delta tables
    only, and this project's Spark tables are Parquet: there the constraints are checked
    right after the table is written, with one query, and a broken one stops the build as
    it does on DuckDB. -#}
{% macro spark__persist_constraints(relation, model) %}
    {%- if config.get('contract').enforced -%}
        {% do assert_constraints_hold(relation, model) %}
    {%- endif -%}
{% endmacro %}

{#- `dbt run-operation check_constraints --args '{model_name: X}'` checks a built model's
    constraints on either engine (a table that was changed by hand, say). -#}
{% macro check_constraints(model_name) %}
    {%- set nodes = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
                    | selectattr('name', 'equalto', model_name) | list -%}
    {%- if not nodes -%}
        {{ exceptions.raise_compiler_error('check_constraints: no model named ' ~ model_name) }}
    {%- endif -%}
    {%- set relation = adapter.get_relation(nodes[0].database, nodes[0].schema, nodes[0].alias) -%}
    {%- if relation is none -%}
        {{ exceptions.raise_compiler_error('check_constraints: ' ~ model_name ~ ' is not built in '
                                           ~ nodes[0].schema ~ ' of this target') }}
    {%- endif -%}
    {% do assert_constraints_hold(relation, nodes[0]) %}
    {{ log('constraints hold on ' ~ relation, info=true) }}
{% endmacro %}

{#- Counts, in one scan, the rows breaking each not_null and check constraint of the model
    (a check is broken where its expression is false; null passes, as in SQL) and stops
    with the relation, each broken constraint and its count. -#}
{% macro assert_constraints_hold(relation, model) %}
    {%- set declared = [] -%}
    {%- for column in model.columns.values() -%}
        {%- for constraint in column.constraints -%}{% do declared.append([column.name, constraint]) %}{%- endfor -%}
    {%- endfor -%}
    {%- for constraint in model.constraints -%}{% do declared.append([none, constraint]) %}{%- endfor -%}
    {%- set checks = [] -%}
    {%- for column, constraint in declared -%}
        {%- if constraint.type == 'not_null' and column -%}
            {% do checks.append([column ~ ' not null', column ~ ' is null']) %}
        {%- elif constraint.type == 'check' -%}
            {% do checks.append(['check (' ~ constraint.expression ~ ')', 'not (' ~ constraint.expression ~ ')']) %}
        {%- endif -%}
    {%- endfor -%}
    {%- if checks -%}
        {%- set counts -%}
            select
            {%- for check in checks %}
                sum(case when {{ check[1] }} then 1 else 0 end){{ ',' if not loop.last }}
            {%- endfor %}
            from {{ relation }}
        {%- endset -%}
        {%- set row = run_query(counts).rows[0] -%}
        {%- set broken = [] -%}
        {%- for check in checks -%}
            {%- set count = (row[loop.index0] or 0) | int -%}
            {%- if count > 0 -%}{% do broken.append(check[0] ~ ': ' ~ count ~ ' rows') %}{%- endif -%}
        {%- endfor -%}
        {%- if broken -%}
            {{ exceptions.raise_compiler_error('constraint broken on ' ~ relation ~ ': ' ~ broken | join('; ')) }}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
