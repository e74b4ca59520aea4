with

parameters as (
    select * from {{ ref('int_clv_model_parameters') }}
),

as_of as (
    select {{ as_of_date() }} as as_of_date
),

final as (
    select
        cast(parameters.model as string) as model,
        cast(parameters.parameter as string) as parameter,
        cast(parameters.estimate as double) as estimate,
        as_of.as_of_date,
        cast(parameters.customers as bigint) as customers,
        cast(parameters.log_likelihood as double) as log_likelihood,
        cast(parameters.converged as boolean) as converged,
        cast(parameters.skipped_reason as string) as skipped_reason,
        cast(parameters.penalizer as double) as penalizer
    from parameters
    cross join as_of
)

select * from final
