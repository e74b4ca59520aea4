{#- The model and `compare_model` hold the same distinct rows over `columns`. Returns the
    rows found on one side only. -#}
{% test equal_rowsets(model, compare_model, columns) %}

with

model_rows as (
    select distinct {{ columns | join(', ') }} from {{ model }}
),

compare_rows as (
    select distinct {{ columns | join(', ') }} from {{ compare_model }}
),

only_in_model as (
    select *, 'only in model' as found from model_rows
    except
    select *, 'only in model' as found from compare_rows
),

only_in_compare as (
    select *, 'only in compare_model' as found from compare_rows
    except
    select *, 'only in compare_model' as found from model_rows
)

select * from only_in_model
union all
select * from only_in_compare

{% endtest %}
