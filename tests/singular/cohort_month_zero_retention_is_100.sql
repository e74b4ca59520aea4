-- Every customer buys in their cohort month: month-0 retention is 100, and cohort_size is
-- the same on every cell of a cohort.
select
    cohort_month,
    months_since_first_order,
    cohort_size,
    active_customers,
    retention_rate
from {{ ref('customer_cohorts') }}
where
    (months_since_first_order = 0 and (active_customers <> cohort_size or retention_rate <> 100))
    or cohort_size <> (
        select min(first_cells.cohort_size)
        from {{ ref('customer_cohorts') }} as first_cells
        where first_cells.cohort_month = customer_cohorts.cohort_month
    )
