"""Effects planted in the generated data, with the size the marts must recover.

Each constant drives the generator; EXPECTED_EFFECTS states, for tests and readers,
what a correct warehouse shows when built on generated data (direction and a loose
lower bound on the size, loose enough to hold for every scale and seed we ship).
"""

from __future__ import annotations

# Support: first-response time by ticket channel, log-normal (median hours, sigma).
FIRST_RESPONSE_HOURS_BY_CHANNEL: dict[str, tuple[float, float]] = {
    "phone": (0.05, 0.8),
    "chat": (0.2, 1.0),
    "messenger": (1.0, 1.0),
    "email": (9.0, 1.0),
    "social": (16.0, 1.1),
}
SLOW_FIRST_RESPONSE_HOURS = 24.0
# After a slow first response, the customer stops buying with this probability,
# a few days later (exponential delay, mean in days).
P_STOP_AFTER_SLOW_RESPONSE = 0.45
STOP_DELAY_MEAN_DAYS = 7.0
# Survey scores given after a slow first response drop by this many NPS points
# (0-10 scale); CSAT and CES drop by proportionally less.
NPS_SCORE_DROP_AFTER_SLOW_RESPONSE = 3.0

# Loyalty programme: members buy this much more often than non-members, and fewer of
# them stop after their first purchase.
MEMBER_PURCHASE_RATE_MULTIPLIER = 1.6
P_MEMBER = 0.35
P_ONE_OFF_BUYER = {"member": 0.08, "non_member": 0.35}

# Win-back: probability that a churned customer returns within the attribution
# window (30 days) of a campaign touch, contacted vs holdout.
P_RETURN_CONTACTED = 0.15
P_RETURN_HOLDOUT = 0.04
HOLDOUT_SHARE = 0.2

EXPECTED_EFFECTS: dict[str, str] = {
    "slow_response_churn": (
        "support_experience_churn: churn_rate (no purchase in the W days after the "
        "ticket) of tickets first answered after 1-3 days exceeds that of tickets "
        "answered within 1 h by at least 15 points"
    ),
    "slow_response_detractors": (
        "customers whose first response took more than 24 h are detractors more often"
    ),
    "members_repeat": (
        "loyalty_program_monthly: repeat_purchase_rate of members exceeds non-members "
        "by at least 15 points in the last month"
    ),
    "winback_uplift": (
        "campaign_effectiveness: win-back uplift (treated - holdout return rate) "
        "is positive, about 11 points (at least 5) over all reactivation campaigns"
    ),
}
