"""Loyalty programme: joins, points earned per order, redemptions, expiry, tiers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .config import GeneratorConfig
from .ids import stable_sort

TIER_THRESHOLDS = [("silver", 500), ("gold", 1500), ("platinum", 4000)]
P_REDEEM = 0.2
EXPIRY_DAYS = 365.0
SECOND = 1.0 / 86400


def make_loyalty_events(rng: np.random.Generator, cfg: GeneratorConfig,
                        customers: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    members = customers[customers["_member"]]
    join_day = members.set_index("customer_id")["_join_day"]
    joins = pd.DataFrame({"customer_id": join_day.index, "day": join_day.to_numpy(),
                          "event_type": "join", "points": 0, "tier": "bronze", "order_id": 0})

    member_purchase = (orders["status"] == "completed") & orders["customer_id"].isin(
        join_day.index)
    done = orders.loc[member_purchase, ["customer_id", "day", "gross_amount", "discount_amount",
                                        "refunded_amount", "order_id"]]
    done = done[done["day"] >= done["customer_id"].map(join_day)]
    done = stable_sort(done, ["customer_id", "day"])
    net = done["gross_amount"] - done["discount_amount"] - done["refunded_amount"]
    earned = np.floor(net.to_numpy()).astype(int)
    earns = pd.DataFrame({"customer_id": done["customer_id"].to_numpy(),
                          "day": done["day"].to_numpy() + SECOND, "event_type": "earn",
                          "points": earned, "tier": "", "order_id": done["order_id"].to_numpy()})

    # Each redemption spends part of the points of the same order, so balances stay >= 0.
    redeem = rng.random(len(earns)) < P_REDEEM
    spent = np.floor(earned[redeem] * rng.uniform(0.5, 1.0, redeem.sum())).astype(int)
    redeems = earns[redeem].assign(event_type="redeem", points=-spent,
                                   day=earns["day"][redeem] + 2 * SECOND)

    cumulative = pd.Series(earned).groupby(earns["customer_id"].to_numpy()).cumsum().to_numpy()
    previous = cumulative - earned
    tier_rows = []
    for tier, threshold in TIER_THRESHOLDS:
        crossed = (previous < threshold) & (cumulative >= threshold)
        tier_rows.append(earns[crossed].assign(event_type="tier_change", points=0, tier=tier,
                                               day=earns["day"][crossed] + 3 * SECOND))

    events = pd.concat([joins, earns, redeems[redeems["points"] < 0], *tier_rows],
                       ignore_index=True)
    del joins, done, net, earns, redeems, tier_rows  # let go before the copies below
    balance = events.groupby("customer_id").agg(points=("points", "sum"), last=("day", "max"))
    expiring = balance[(balance["points"] > 0) & (balance["last"] + EXPIRY_DAYS < cfg.horizon_days)]
    expiries = pd.DataFrame({"customer_id": expiring.index,
                             "day": expiring["last"].to_numpy() + EXPIRY_DAYS,
                             "event_type": "expire", "points": -expiring["points"].to_numpy(),
                             "tier": "", "order_id": 0})
    events = pd.concat([events, expiries], ignore_index=True)
    events = events[events["day"] < cfg.horizon_days]
    # event_id: the row's position, when typed
    return stable_sort(events, ["day", "customer_id", "event_type"])
