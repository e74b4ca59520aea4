with

repeat_purchases as (
    select * from {{ ref('int_customer_repeat_purchases') }}
),

predictions as (
    select * from {{ ref('int_customer_clv') }}
),

as_of as (
    select {{ as_of_date() }} as as_of_date
),

final as (
    select
        repeat_purchases.customer_id,
        as_of.as_of_date,
        cast(repeat_purchases.repeat_purchase_days as bigint) as repeat_purchase_days,
        repeat_purchases.recency_weeks,
        repeat_purchases.age_weeks,
        repeat_purchases.repeat_mean_spend,
        cast(predictions.probability_alive as double) as probability_alive,
        cast(predictions.expected_purchases_365d as double) as expected_purchases_365d,
        cast(predictions.expected_order_value as double) as expected_order_value,
        cast(predictions.predicted_clv_365d as double) as predicted_clv_365d,
        {{ alive_band('predictions.probability_alive') }} as alive_band
    from repeat_purchases
    cross join as_of
    left join predictions on repeat_purchases.customer_id = predictions.customer_id
)

select * from final
