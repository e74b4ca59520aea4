{#- The model holds exactly as many rows as `to`: a view showing that model's rows one to
    one (no join, no filter) keeps its key unique without a uniqueness scan of its own.
    Returns both counts when they differ. -#}
{% test counts_rows_of(model, to) %}

with

counts as (
    select
        (select count(*) from {{ model }}) as model_rows,
        (select count(*) from {{ to }}) as to_rows
)

select * from counts
where model_rows <> to_rows

{% endtest %}
