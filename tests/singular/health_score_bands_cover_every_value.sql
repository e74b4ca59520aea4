-- Every signal has exactly one band for a missing value, and its numeric bands, sorted,
-- run from -infinity to +infinity without gaps or overlaps.
with

bands as (
    select * from {{ ref('health_score_bands') }}
),

numeric_bands as (
    select
        signal,
        lower_bound,
        upper_bound,
        lag(upper_bound) over (partition by signal order by lower_bound nulls first) as previous_upper,
        row_number() over (partition by signal order by lower_bound nulls first) as band_number,
        count(*) over (partition by signal) as band_count
    from bands
    where not for_missing_value
),

gaps as (
    select
        signal,
        'first band must start at -infinity' as problem
    from numeric_bands
    where band_number = 1 and lower_bound is not null
    union all
    select
        signal,
        'last band must end at +infinity' as problem
    from numeric_bands
    where band_number = band_count and upper_bound is not null
    union all
    select
        signal,
        'gap or overlap between bands' as problem
    from numeric_bands
    where band_number > 1 and lower_bound is distinct from previous_upper
    union all
    select
        signal,
        'empty band' as problem
    from numeric_bands
    where lower_bound >= upper_bound
),

missing_bands as (
    select
        signal,
        'needs exactly one band for a missing value' as problem
    from bands
    group by signal
    having sum(case when for_missing_value then 1 else 0 end) <> 1
)

select * from gaps
union all
select * from missing_bands
