{#- Every raw row ends in exactly one place: raw rows = clean rows + quarantined rows.
    Fails with the three counts when they do not add up. -#}
{% test conserves_raw_rows(model, source_table, quarantine) %}

with

counts as (
    select
        (select count(*) from {{ raw_table(source_table) }} as raw_rows_source) as raw_rows,
        (select count(*) from {{ model }}) as clean_rows,
        (select count(*) from {{ quarantine }}) as quarantined_rows
)

select * from counts
where raw_rows <> clean_rows + quarantined_rows

{% endtest %}
