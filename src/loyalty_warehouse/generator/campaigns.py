"""Win-back campaigns aimed at churned customers, with a holdout group."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .config import GeneratorConfig
from .effects import HOLDOUT_SHARE, P_RETURN_CONTACTED, P_RETURN_HOLDOUT
from .orders import add_order_details

CHURN_GAP_DAYS = 180.0
ATTRIBUTION_DAYS = 30.0
FIRST_CAMPAIGN_DAY = 300.0
CAMPAIGN_EVERY_DAYS = 91.0
P_SELECTED = 0.7
TOUCH_CHANNELS = np.array(["email", "sms", "push", "call"], dtype=object)
TOUCH_CHANNEL_P = [0.5, 0.25, 0.15, 0.1]
OFFERS = [("discount", 20.0), ("bonus_points", np.nan), ("service_upgrade", np.nan)]


def campaign_days(cfg: GeneratorConfig) -> np.ndarray:
    last_start = cfg.horizon_days - ATTRIBUTION_DAYS - 15
    return np.arange(FIRST_CAMPAIGN_DAY, last_start, CAMPAIGN_EVERY_DAYS)


def run_winback(rng: np.random.Generator, cfg: GeneratorConfig, orders: pd.DataFrame,
                ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Returns (orders with return orders added, campaigns, touches)."""
    campaigns, touches, new_orders = [], [], []
    # completed purchases as (customer code, day); codes follow the sorted customer ids, so
    # codes in order are ids in order. Returned orders are appended campaign by campaign.
    customer_ids = np.sort(orders["customer_id"].unique())
    purchases = _purchases(orders, customer_ids)
    for number, start_day in enumerate(campaign_days(cfg), start=1):
        campaign_id = f"WB{number:03d}"
        offer, discount_pct = OFFERS[number % len(OFFERS)]
        campaigns.append({
            "campaign_id": campaign_id, "name": f"Win-back wave {number}",
            "campaign_type": "reactivation", "offer_type": offer, "discount_pct": discount_pct,
            "start_day": start_day, "end_day": start_day + ATTRIBUTION_DAYS,
        })
        codes, days = purchases
        before = days < start_day
        last = np.full(customer_ids.size, -np.inf)
        np.maximum.at(last, codes[before], days[before])
        # customers whose last purchase before the campaign is more than the gap before it
        churned = customer_ids[(last > -np.inf) & (last < start_day - CHURN_GAP_DAYS)]
        chosen = churned[rng.random(churned.size) < P_SELECTED]
        holdout = rng.random(chosen.size) < HOLDOUT_SHARE
        sent = start_day + rng.uniform(0.0, 2.0, chosen.size)
        touches.append(pd.DataFrame({
            "campaign_id": campaign_id, "customer_id": chosen, "sent_day": sent,
            "channel": rng.choice(TOUCH_CHANNELS, chosen.size, p=TOUCH_CHANNEL_P),
            "is_holdout": holdout,
        }))
        p_return = np.where(holdout, P_RETURN_HOLDOUT, P_RETURN_CONTACTED)
        back = rng.random(chosen.size) < p_return
        return_day = sent[back] + rng.uniform(0.5, ATTRIBUTION_DAYS - 1, back.sum())
        extra = rng.poisson(1.2, back.sum())
        extra_idx = np.repeat(np.arange(back.sum()), extra)
        returned = pd.DataFrame({
            "customer_id": np.concatenate([chosen[back], chosen[back][extra_idx]]),
            "day": np.concatenate([return_day,
                                   return_day[extra_idx] + rng.uniform(3, 90, extra_idx.size)]),
            "_first": np.concatenate([np.ones(back.sum(), bool), np.zeros(extra_idx.size, bool)]),
            "_holdout": np.concatenate([holdout[back], holdout[back][extra_idx]]),
        })
        returned = returned[returned["day"] < cfg.horizon_days]
        returned = add_order_details(rng, returned)
        attributed = returned["_first"] & ~returned["_holdout"]
        returned.loc[attributed, "status"] = "completed"
        returned.loc[attributed, "campaign_id"] = campaign_id
        returned.loc[attributed, "promo_code"] = "WINBACK" if offer != "discount" else "WINBACK20"
        if offer == "discount":
            gross = returned.loc[attributed, "gross_amount"]
            returned.loc[attributed, "discount_amount"] = np.round(gross * 0.2, 2)
            returned.loc[attributed, "refunded_amount"] = 0.0
        new_orders.append(returned.drop(columns=["_first", "_holdout"]))
        more = _purchases(new_orders[-1], customer_ids)
        purchases = (np.concatenate([codes, more[0]]), np.concatenate([days, more[1]]))
    all_orders = pd.concat([orders, *new_orders], ignore_index=True)
    return all_orders, pd.DataFrame(campaigns), pd.concat(touches, ignore_index=True)


def _purchases(orders: pd.DataFrame, customer_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Completed orders as (code of the customer in customer_ids, day)."""
    done = orders[orders["status"] == "completed"]
    codes = np.searchsorted(customer_ids, done["customer_id"].to_numpy())
    return codes, done["day"].to_numpy()
