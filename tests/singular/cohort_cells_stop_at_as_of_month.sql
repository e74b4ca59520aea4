-- No cohort cell describes a month after the month of as_of_date, and every observed
-- cell exists: each cohort has one cell per month up to that month.
with

cells as (
    select * from {{ ref('customer_cohorts') }}
),

as_of as (
    select {{ month_of(as_of_date()) }} as as_of_month
)

select
    cells.cohort_month,
    count(*) as cells,
    max(cells.activity_month) as last_cell
from cells
cross join as_of
group by cells.cohort_month, as_of.as_of_month
having
    max(cells.activity_month) <> as_of.as_of_month
    or count(*) <> {{ dbt.datediff('cells.cohort_month', 'as_of.as_of_month', 'month') }} + 1
