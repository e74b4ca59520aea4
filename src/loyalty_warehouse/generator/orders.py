"""Orders and the support tickets they cause; slow support makes customers stop."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .config import GeneratorConfig
from .effects import (
    FIRST_RESPONSE_HOURS_BY_CHANNEL,
    P_STOP_AFTER_SLOW_RESPONSE,
    SLOW_FIRST_RESPONSE_HOURS,
    STOP_DELAY_MEAN_DAYS,
)
from .ids import serial_ids, stable_sort, with_row_numbers

# Relative demand by calendar month (January first): holiday peak, summer dip.
SEASONALITY = np.array([0.85, 0.85, 0.95, 1.0, 1.0, 0.95, 0.9, 0.9, 1.0, 1.05, 1.35, 1.5])
# Vocabularies drawn for every order are object arrays: each drawn value is then one of
# these few Python strings, not a string object of its own per row (about 1.8 GB at L).
ORDER_CHANNELS = np.array(["web", "app", "store", "phone"], dtype=object)
ORDER_CHANNEL_P = [0.45, 0.3, 0.2, 0.05]
STATUSES = np.array(["completed", "cancelled", "returned"], dtype=object)
STATUS_P = [0.9, 0.06, 0.04]
PROMO_CODES = np.array(["SPRING10", "WELCOME15", "VIP20", "SAVE10"], dtype=object)
TICKET_CHANNELS = np.array(list(FIRST_RESPONSE_HOURS_BY_CHANNEL), dtype=object)
TICKET_CHANNEL_P = [0.2, 0.3, 0.1, 0.3, 0.1]
CATEGORIES = np.array(["product_quality", "delivery", "billing", "account", "how_to",
                       "complaint_staff"], dtype=object)
CATEGORY_P = [0.25, 0.3, 0.15, 0.1, 0.15, 0.05]
P_TICKET = {"completed": 0.09, "cancelled": 0.2, "returned": 0.5}


def month_index(cfg: GeneratorConfig, day: np.ndarray) -> np.ndarray:
    """Calendar month (0 = January) of each day offset."""
    start = np.datetime64(cfg.start, "D")
    dates = start + np.floor(day).astype("timedelta64[D]")
    return dates.astype("datetime64[M]").astype(int) % 12


def draw_orders(rng: np.random.Generator, cfg: GeneratorConfig, customers: pd.DataFrame,
                ) -> pd.DataFrame:
    """Poisson purchases over each customer's active span, thinned by seasonality."""
    buyers = customers[customers["_orders"]]
    first = buyers["_first_order_day"].to_numpy()
    span = np.minimum(first + buyers["_lifetime"].to_numpy(), cfg.horizon_days) - first
    peak = SEASONALITY.max()
    counts = rng.poisson(buyers["_rate"].to_numpy() * peak * span / 30.0)
    idx = np.repeat(np.arange(len(buyers)), counts)
    day = first[idx] + rng.random(idx.size) * span[idx]
    keep = rng.random(idx.size) < SEASONALITY[month_index(cfg, day)] / peak
    customer_ids = buyers["customer_id"].to_numpy()
    return pd.DataFrame({
        "customer_id": np.concatenate([customer_ids, customer_ids[idx[keep]]]),
        "day": np.concatenate([first, day[keep]]),
    })


def add_order_details(rng: np.random.Generator, orders: pd.DataFrame) -> pd.DataFrame:
    n = len(orders)
    gross = np.round(np.exp(rng.normal(np.log(45.0), 0.6, n)), 2)
    has_promo = rng.random(n) < 0.15
    discount = np.where(has_promo, np.round(gross * rng.uniform(0.1, 0.2, n), 2), 0.0)
    status = rng.choice(STATUSES, n, p=STATUS_P)
    partial = (status == "completed") & (rng.random(n) < 0.03)
    refund = np.where(partial, np.round((gross - discount) * rng.uniform(0.1, 0.5, n), 2), 0.0)
    refund = np.where(status == "returned", gross - discount, refund)
    return orders.assign(
        status=status,
        channel=rng.choice(ORDER_CHANNELS, n, p=ORDER_CHANNEL_P),
        gross_amount=gross,
        discount_amount=discount,
        refunded_amount=np.round(refund, 2),
        currency="EUR",
        promo_code=np.where(has_promo, rng.choice(PROMO_CODES, n), ""),
        campaign_id="",
    )


def draw_tickets(rng: np.random.Generator, orders: pd.DataFrame) -> pd.DataFrame:
    """Tickets raised about orders, with channel-dependent response times."""
    p = orders["status"].map(P_TICKET).to_numpy()
    about = orders[rng.random(len(orders)) < p]
    n = len(about)
    channel = rng.choice(TICKET_CHANNELS, n, p=TICKET_CHANNEL_P)
    category = rng.choice(CATEGORIES, n, p=CATEGORY_P)
    median = np.array([FIRST_RESPONSE_HOURS_BY_CHANNEL[c][0] for c in channel])
    sigma = np.array([FIRST_RESPONSE_HOURS_BY_CHANNEL[c][1] for c in channel])
    response_h = np.exp(rng.normal(np.log(median), sigma))
    bot = np.isin(channel, ["chat", "messenger"]) & np.isin(category, ["how_to", "account"])
    bot &= rng.random(n) < 0.5
    response_h = np.where(bot, rng.uniform(0.0, 0.02, n), response_h)
    slow = response_h > SLOW_FIRST_RESPONSE_HOURS
    contacts = 1 + rng.poisson(np.where(slow, 1.5, 0.4))
    contacts = np.where(bot, 1, contacts)
    resolve_h = response_h + np.exp(rng.normal(np.log(6.0), 1.0, n))
    opened = about["day"].to_numpy() + rng.exponential(3.0, n)
    return pd.DataFrame({
        "order_id": about["order_id"].to_numpy(),
        "customer_id": about["customer_id"].to_numpy(),
        "opened_day": opened,
        "first_response_day": np.where(rng.random(n) < 0.03, np.nan, opened + response_h / 24),
        "resolved_day": np.where(rng.random(n) < 0.04, np.nan, opened + resolve_h / 24),
        "channel": channel,
        "category": category,
        "contacts_count": contacts,
        "reopened_count": rng.binomial(2, np.where(slow, 0.25, 0.05)),
        "handled_by_bot": bot,
    })


def stop_after_slow_support(rng: np.random.Generator, orders: pd.DataFrame,
                            tickets: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Customers who got a slow first response may stop buying shortly after."""
    response_h = (tickets["first_response_day"] - tickets["opened_day"]) * 24
    slow = response_h.fillna(np.inf).to_numpy() > SLOW_FIRST_RESPONSE_HOURS
    stops = slow & (rng.random(len(tickets)) < P_STOP_AFTER_SLOW_RESPONSE)
    stop_day = tickets["opened_day"] + rng.exponential(STOP_DELAY_MEAN_DAYS, len(tickets))
    cutoff = stop_day[stops].groupby(tickets["customer_id"][stops]).min()
    order_cutoff = orders["customer_id"].map(cutoff).fillna(np.inf)
    kept = orders[orders["day"] <= order_cutoff]
    kept_tickets = tickets[tickets["order_id"].isin(kept["order_id"])]
    return kept, kept_tickets


def number(prefix: str, n: int) -> np.ndarray:
    return serial_ids(prefix, 1, n, 8)


def make_orders_and_tickets(rng: np.random.Generator, cfg: GeneratorConfig,
                            customers: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    orders = draw_orders(rng, cfg, customers)
    orders = stable_sort(orders, ["day", "customer_id"])
    orders["order_id"] = np.arange(1, len(orders) + 1)  # O00000001, ... when typed
    orders = add_order_details(rng, orders)
    tickets = draw_tickets(rng, orders)
    orders, tickets = stop_after_slow_support(rng, orders, tickets)
    tickets = tickets[tickets["opened_day"] < cfg.horizon_days]
    tickets = stable_sort(tickets, ["opened_day", "customer_id"])
    tickets["ticket_id"] = number("T", len(tickets))
    # Nothing is answered or resolved after the extract date.
    for column in ["first_response_day", "resolved_day"]:
        tickets.loc[tickets[column] >= cfg.horizon_days, column] = np.nan
    return with_row_numbers(orders), tickets
