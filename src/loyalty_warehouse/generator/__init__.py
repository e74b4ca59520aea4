"""Deterministic generator of the raw tables of SPEC section 3.

Same configuration (size, period, seed) -> the same tables, byte for byte. The planted
effects and their expected size are in `effects.py`.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa

from .campaigns import run_winback
from .config import PURCHASE_RATE_BY_SCALE, SCALES, GeneratorConfig
from .customers import make_customers
from .ids import stable_sort
from .loyalty import make_loyalty_events
from .orders import make_orders_and_tickets
from .raw_tables import RAW_COLUMNS, raw_tables, typed_table
from .surveys import make_surveys

__all__ = ["PURCHASE_RATE_BY_SCALE", "RAW_COLUMNS", "SCALES", "GeneratorConfig",
           "generate_tables", "generate_typed_tables"]


# the order of _generate's frames
TABLE_ORDER = ("customers", "orders", "support_tickets", "survey_responses", "loyalty_events",
               "campaigns", "campaign_touches")


def _quiet(message: str) -> None:
    pass


def _generate(cfg: GeneratorConfig, progress: Callable[[str], None]
              ) -> tuple[Callable[[str], None], tuple[pd.DataFrame, ...]]:
    started = time.perf_counter()

    def step(message: str) -> None:
        # the peak so far (the generator's memory target is a peak, issue 17)
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        progress(f"  {time.perf_counter() - started:6.1f} s  {peak_mib:6,} MiB peak  {message}")

    rng = np.random.default_rng(cfg.seed)
    customers = make_customers(rng, cfg)
    step(f"{len(customers):,} customers")
    orders, tickets = make_orders_and_tickets(rng, cfg, customers)
    step(f"{len(orders):,} orders, {len(tickets):,} tickets")
    orders, campaigns, touches = run_winback(rng, cfg, orders)
    step(f"{len(campaigns)} win-back campaigns, {len(touches):,} touches")
    order_ids = orders["order_id"].to_numpy(dtype=float)  # the win-back's new orders: NaN
    new = np.isnan(order_ids)
    order_ids[new] = order_ids[~new].max() + np.arange(1, new.sum() + 1)
    orders["order_id"] = order_ids.astype("int64")
    surveys = make_surveys(rng, cfg, customers, orders, tickets)
    step(f"{len(surveys):,} survey answers")
    events = make_loyalty_events(rng, cfg, customers, orders)
    step(f"{len(events):,} loyalty events")
    touches = stable_sort(touches, ["sent_day", "customer_id"])  # touch_id: row position
    return step, (customers, orders, tickets, surveys, events, campaigns, touches)


def generate_tables(cfg: GeneratorConfig,
                    progress: Callable[[str], None] = _quiet) -> dict[str, pd.DataFrame]:
    """Every raw table as text columns, as feeds arrive (CSV, the dirty variants)."""
    step, frames = _generate(cfg, progress)
    tables = raw_tables(cfg, *frames)
    step("formatted as raw text")
    return tables


def generate_typed_tables(cfg: GeneratorConfig, progress: Callable[[str], None] = _quiet
                          ) -> Iterator[tuple[str, pa.Table]]:
    """Every raw table typed, for Parquet: the values of generate_tables without the
    detour through text (at scale L that detour took most of the time and memory). One
    table at a time: each simulated frame is let go once its typed table is made, and each
    typed table once the caller has written it."""
    step, generated = _generate(cfg, progress)
    frames = dict(zip(TABLE_ORDER, generated, strict=True))
    del generated
    for name in TABLE_ORDER:
        table = typed_table(cfg, name, frames.pop(name))
        step(f"{name} typed")
        yield name, table
        del table
