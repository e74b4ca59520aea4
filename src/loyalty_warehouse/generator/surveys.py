"""Survey answers: NPS, CSAT and CES after purchases and tickets, exit surveys."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .campaigns import CHURN_GAP_DAYS
from .config import GeneratorConfig
from .effects import NPS_SCORE_DROP_AFTER_SLOW_RESPONSE, SLOW_FIRST_RESPONSE_HOURS
from .ids import stable_sort

P_POST_PURCHASE = 0.12
P_POST_SUPPORT = 0.4
P_EXIT_ANSWER = 0.35
SERVICE_REASONS = ["slow_response", "incompetent_staff", "no_personal_approach"]
OTHER_REASONS = ["low_quality", "no_innovation", "unmet_expectations", "competitor_price",
                 "no_flexible_pricing", "changed_needs", "competitor_marketing", "other"]
OTHER_REASON_P = [0.16, 0.06, 0.14, 0.2, 0.08, 0.18, 0.1, 0.08]
COMMENTS = {"low": "too slow, disappointed", "mid": "it was fine", "high": "great, thank you"}
# object arrays: each drawn value is one shared Python string (see orders.py)
COMMENT_TEXTS = np.array([COMMENTS["low"], COMMENTS["mid"], COMMENTS["high"]], dtype=object)
PURCHASE_SURVEYS = np.array(["nps", "csat", "ces"], dtype=object)
SUPPORT_SURVEYS = np.array(["csat", "nps"], dtype=object)


def slow_since(tickets: pd.DataFrame) -> pd.Series:
    """Per customer, the day of the first slow first response (customers without one absent)."""
    hours = (tickets["first_response_day"] - tickets["opened_day"]) * 24
    slow = tickets[hours.fillna(np.inf) > SLOW_FIRST_RESPONSE_HOURS]
    return slow.groupby("customer_id")["opened_day"].min()


def scores(rng: np.random.Generator, survey_type: np.ndarray, mood: np.ndarray) -> np.ndarray:
    """Scores on each type's scale from a latent mood (0 = typical customer)."""
    noise = rng.normal(0.0, 1.0, mood.size)
    nps = np.clip(np.round(7.8 + 1.7 * (mood + noise)), 0, 10)
    csat = np.clip(np.round(4.0 + 0.8 * (mood + noise)), 1, 5)
    ces = np.clip(np.round(5.3 + 1.0 * (mood + noise)), 1, 7)
    return np.select([survey_type == "nps", survey_type == "csat"], [nps, csat], ces)


def comment_for(survey_type: np.ndarray, score: np.ndarray) -> np.ndarray:
    top = np.select([survey_type == "nps", survey_type == "csat"], [10, 5], 7)
    share = score / top
    return COMMENT_TEXTS[np.select([share < 0.65, share < 0.85], [0, 1], 2)]


def make_surveys(rng: np.random.Generator, cfg: GeneratorConfig, customers: pd.DataFrame,
                 orders: pd.DataFrame, tickets: pd.DataFrame) -> pd.DataFrame:
    satisfaction = customers.set_index("customer_id")["_satisfaction"]
    first_slow = slow_since(tickets)

    done = orders[(orders["status"] == "completed") & (rng.random(len(orders)) < P_POST_PURCHASE)]
    purchase = pd.DataFrame({
        "customer_id": done["customer_id"].to_numpy(),
        "survey_type": rng.choice(PURCHASE_SURVEYS, len(done), p=[.5, .35, .15]),
        "day": done["day"].to_numpy() + rng.uniform(0.5, 6.0, len(done)),
        "touchpoint": "post_purchase", "order_id": done["order_id"].to_numpy(), "ticket_id": "",
    })
    resolved = tickets[tickets["resolved_day"].notna()]
    resolved = resolved[rng.random(len(resolved)) < P_POST_SUPPORT]
    support = pd.DataFrame({
        "customer_id": resolved["customer_id"].to_numpy(),
        "survey_type": rng.choice(SUPPORT_SURVEYS, len(resolved), p=[0.7, 0.3]),
        "day": resolved["resolved_day"].to_numpy() + rng.uniform(0.01, 2.0, len(resolved)),
        "touchpoint": "post_support", "order_id": 0,
        "ticket_id": resolved["ticket_id"].to_numpy(),
    })
    answers = pd.concat([purchase, support], ignore_index=True)
    mood = answers["customer_id"].map(satisfaction).to_numpy()
    after_slow = answers["day"].to_numpy() > answers["customer_id"].map(first_slow).fillna(
        np.inf).to_numpy()
    mood = mood - after_slow * NPS_SCORE_DROP_AFTER_SLOW_RESPONSE / 1.7
    answers["score"] = scores(rng, answers["survey_type"].to_numpy(), mood)
    answers["reason_code"] = ""
    answers["comment"] = comment_for(answers["survey_type"].to_numpy(), answers["score"])

    exits = exit_surveys(rng, cfg, orders, first_slow)
    out = pd.concat([answers, exits], ignore_index=True)
    out = out[out["day"] < cfg.horizon_days]
    # response_id: the row's position, when typed
    return stable_sort(out, ["day", "customer_id"])


def exit_surveys(rng: np.random.Generator, cfg: GeneratorConfig, orders: pd.DataFrame,
                 first_slow: pd.Series) -> pd.DataFrame:
    """Part of the customers churned by the extract date say why they left."""
    done = orders.loc[orders["status"] == "completed", ["customer_id", "day"]]
    last = done.groupby("customer_id")["day"].max()
    gone = last[last < cfg.horizon_days - CHURN_GAP_DAYS]
    gone = gone[rng.random(len(gone)) < P_EXIT_ANSWER]
    n = len(gone)
    had_slow = gone.index.isin(first_slow.index)
    service = rng.choice(np.array(SERVICE_REASONS, dtype=object), n, p=[0.5, 0.3, 0.2])
    other = rng.choice(np.array(OTHER_REASONS, dtype=object), n, p=OTHER_REASON_P)
    reason = np.where(had_slow & (rng.random(n) < 0.7), service, other)
    reason = np.where(~had_slow & (rng.random(n) < 0.12), service, reason)
    return pd.DataFrame({
        "customer_id": gone.index.to_numpy(), "survey_type": "exit",
        "day": gone.to_numpy() + CHURN_GAP_DAYS + rng.uniform(1.0, 40.0, n),
        "touchpoint": "exit", "order_id": 0, "ticket_id": "", "score": np.nan,
        "reason_code": reason, "comment": "",
    })
