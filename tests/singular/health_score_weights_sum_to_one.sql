-- The health score is a weighted mean: its weights must sum to 1.
select sum(weight) as total_weight
from {{ ref('health_score_weights') }}
having abs(sum(weight) - 1) > 1e-9
