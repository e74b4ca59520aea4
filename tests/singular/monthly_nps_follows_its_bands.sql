-- promoters + passives + detractors = nps_responses, and nps = % promoters - % detractors.
select
    month,
    nps_responses,
    promoters,
    passives,
    detractors,
    nps
from {{ ref('loyalty_metrics_monthly') }}
where
    promoters + passives + detractors <> nps_responses
    or (nps_responses > 0 and abs(
        nps - (100.0 * promoters / nps_responses - 100.0 * detractors / nps_responses)
    ) > 1e-9)
    or (nps_responses = 0 and nps is not null)
