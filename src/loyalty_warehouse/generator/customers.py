"""Customers: who they are, when they sign up, and their hidden buying traits."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .config import GeneratorConfig
from .effects import MEMBER_PURCHASE_RATE_MULTIPLIER, P_MEMBER, P_ONE_OFF_BUYER

# Vocabularies are object arrays: a drawn value is one of these few Python strings, not
# a string object of its own per row (see orders.py).
COUNTRIES = np.array(["BG", "RU", "RO", "RS", "GR"], dtype=object)
COUNTRY_P = [0.35, 0.30, 0.15, 0.10, 0.10]
CITIES = {
    "BG": ["Sofia", "Plovdiv", "Varna", "Burgas"],
    "RU": ["Moscow", "Saint Petersburg", "Kazan", "Novosibirsk"],
    "RO": ["Bucharest", "Cluj-Napoca", "Iasi"],
    "RS": ["Belgrade", "Novi Sad"],
    "GR": ["Athens", "Thessaloniki"],
}
UTC_OFFSET_HOURS = {"BG": 2, "RU": 3, "RO": 2, "RS": 1, "GR": 2}
PHONE_PREFIX = {"BG": "+359 88", "RU": "+7 916", "RO": "+40 72", "RS": "+381 64", "GR": "+30 69"}
CHANNELS = np.array(["organic", "paid_search", "social", "referral", "store"], dtype=object)
CHANNEL_P = [0.35, 0.25, 0.2, 0.1, 0.1]
FIRST_NAMES = np.array(["ivan", "maria", "georgi", "elena", "dmitri", "anna", "nikola", "olga"])
LAST_NAMES = np.array(["petrov", "ivanova", "popescu", "jovanovic", "papadopoulos", "smirnova"])
GENDERS = np.array(["f", "m", ""], dtype=object)
DOMAINS = np.array(["example.com", "mail.example", "post.example"])

P_EVER_ORDERS = 0.82
MEDIAN_ORDERS_PER_30_DAYS = 0.62
MEAN_LIFETIME_DAYS = 420.0


def make_customers(rng: np.random.Generator, cfg: GeneratorConfig) -> pd.DataFrame:
    """One row per customer with attributes and hidden traits (prefixed with _)."""
    n = cfg.customers
    horizon = cfg.horizon_days
    signup_day = np.sort(horizon * rng.random(n) ** 0.85)  # growing business
    country = rng.choice(COUNTRIES, n, p=COUNTRY_P)
    city = np.array([CITIES[c][i % len(CITIES[c])] for c, i in
                     zip(country, rng.integers(0, 12, n), strict=True)], dtype=object)
    numbers = np.arange(1, n + 1)  # the customer_id, as text when typed (ids.CUSTOMER_ID)
    first = rng.choice(FIRST_NAMES, n)
    last = rng.choice(LAST_NAMES, n)
    email = pd.Series(first) + "." + pd.Series(last) + pd.Series(numbers.astype(str))
    email = email + "@" + pd.Series(rng.choice(DOMAINS, n))
    digits = pd.Series(rng.integers(1_000_000, 9_999_999, n).astype(str))
    phone = pd.Series(country).map(PHONE_PREFIX) + " " + digits.str[:3] + " " + digits.str[3:]

    first_order_day = signup_day + np.where(rng.random(n) < 0.4, 0.0, rng.exponential(20.0, n))
    orders = (rng.random(n) < P_EVER_ORDERS) & (first_order_day < horizon)
    member = orders & (rng.random(n) < P_MEMBER)
    satisfaction = rng.normal(0.0, 1.0, n) + 0.4 * member
    rate = np.exp(rng.normal(np.log(MEDIAN_ORDERS_PER_30_DAYS), 0.6, n))
    rate *= cfg.purchase_rate_multiplier
    rate *= np.where(member, MEMBER_PURCHASE_RATE_MULTIPLIER, 1.0)
    lifetime = rng.exponential(MEAN_LIFETIME_DAYS * np.exp(0.35 * satisfaction))
    p_one_off = np.where(member, P_ONE_OFF_BUYER["member"], P_ONE_OFF_BUYER["non_member"])
    lifetime = np.where(rng.random(n) < p_one_off, 0.0, lifetime)
    join_delay = np.where(rng.random(n) < 0.6, 0.0, rng.uniform(0.0, 60.0, n))

    return pd.DataFrame({
        "customer_id": numbers,
        "signup_day": signup_day,
        "email": email.to_numpy(),
        "phone": phone.to_numpy(),
        "country": country,
        "city": city,
        "acquisition_channel": rng.choice(CHANNELS, n, p=CHANNEL_P),
        "birth_year": np.clip(rng.normal(1986, 12, n).round(), 1940, 2008).astype(int),
        "gender": rng.choice(GENDERS, n, p=[0.48, 0.42, 0.10]),
        "_orders": orders,
        "_first_order_day": np.where(orders, first_order_day, np.nan),
        "_member": member,
        "_join_day": np.where(member, np.minimum(first_order_day + join_delay, horizon - 1e-3),
                              np.nan),
        "_satisfaction": satisfaction,
        "_rate": rate,
        "_lifetime": lifetime,
    })
