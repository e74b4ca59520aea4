"""Deterministic generator of the raw tables of SPEC section 3.

Same configuration (size, period, seed) -> the same tables, byte for byte. The planted
effects and their expected size are in `effects.py`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from .campaigns import run_winback
from .config import PURCHASE_RATE_BY_SCALE, SCALES, GeneratorConfig
from .customers import make_customers
from .loyalty import make_loyalty_events
from .orders import make_orders_and_tickets, number
from .raw_tables import RAW_COLUMNS, raw_tables
from .surveys import make_surveys

__all__ = ["PURCHASE_RATE_BY_SCALE", "RAW_COLUMNS", "SCALES", "GeneratorConfig",
           "generate_tables"]


def _quiet(message: str) -> None:
    pass


def generate_tables(cfg: GeneratorConfig,
                    progress: Callable[[str], None] = _quiet) -> dict[str, pd.DataFrame]:
    """Every raw table as text columns, ready to write as CSV or Parquet."""
    started = time.perf_counter()

    def step(message: str) -> None:
        progress(f"  {time.perf_counter() - started:6.1f} s  {message}")

    rng = np.random.default_rng(cfg.seed)
    customers = make_customers(rng, cfg)
    step(f"{len(customers):,} customers")
    orders, tickets = make_orders_and_tickets(rng, cfg, customers)
    step(f"{len(orders):,} orders, {len(tickets):,} tickets")
    orders, campaigns, touches = run_winback(rng, cfg, orders)
    step(f"{len(campaigns)} win-back campaigns, {len(touches):,} touches")
    new = orders["order_id"].isna()
    last_id = int(orders.loc[~new, "order_id"].str[1:].astype(int).max())
    orders.loc[new, "order_id"] = np.char.add(
        "O", np.char.zfill(np.arange(last_id + 1, last_id + 1 + new.sum()).astype(str), 8))
    surveys = make_surveys(rng, cfg, customers, orders, tickets)
    step(f"{len(surveys):,} survey answers")
    events = make_loyalty_events(rng, cfg, customers, orders)
    step(f"{len(events):,} loyalty events")
    touches = touches.sort_values(["sent_day", "customer_id"], kind="stable")
    touches = touches.reset_index(drop=True)
    touches["touch_id"] = number("K", len(touches))
    tables = raw_tables(cfg, customers, orders, tickets, surveys, events, campaigns, touches)
    step("formatted as raw text")
    return tables
