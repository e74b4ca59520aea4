"""Inject a known number of each bad-input kind of SPEC 3.7, and say what was injected.

Every injected row is a copy of a sound row with one thing broken, so it fails exactly
one check and lands in quarantine with exactly one reason. Conflicting duplicates put
both rows (the original and its altered copy) in quarantine.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

FUTURE = "2031-01-01T00:00:00Z"


def _orders(kind: str, rows: pd.DataFrame) -> pd.DataFrame:
    if kind == "unparseable":
        return rows.assign(gross_amount="12,50 EUR")
    if kind == "null_key":
        return rows.assign(order_id="")
    if kind == "unknown_customer":
        return rows.assign(customer_id="C_UNKNOWN")
    if kind == "unknown_value":
        return rows.assign(status="shipped")
    if kind == "negative_amount":
        return rows.assign(gross_amount="-10.00", discount_amount="0.00", refunded_amount="0.00")
    if kind == "discount_exceeds_gross":
        return rows.assign(gross_amount="10.00", discount_amount="15.00", refunded_amount="0.00")
    raise KeyError(kind)


def _surveys(kind: str, rows: pd.DataFrame) -> pd.DataFrame:
    if kind == "score_out_of_range":
        return rows.assign(survey_type="nps", score="11", reason_code="", touchpoint="periodic")
    if kind == "future_timestamp":
        return rows.assign(responded_at=FUTURE)
    if kind == "unparseable":
        return rows.assign(responded_at="yesterday")
    raise KeyError(kind)


def _tickets(kind: str, rows: pd.DataFrame) -> pd.DataFrame:
    if kind == "response_before_open":
        return rows.assign(first_response_at="2020-01-01T00:00:00Z", resolved_at="")
    if kind == "resolved_before_open":
        return rows.assign(first_response_at="", resolved_at="2020-01-01T00:00:00Z")
    if kind == "future_timestamp":
        return rows.assign(opened_at=FUTURE, first_response_at="", resolved_at="")
    raise KeyError(kind)


def _customers(kind: str, rows: pd.DataFrame) -> pd.DataFrame:
    if kind == "null_key":
        return rows.assign(customer_id="")
    if kind == "unknown_value":
        return rows.assign(acquisition_channel="carrier_pigeon")
    raise KeyError(kind)


BREAKERS: dict[str, tuple[str, Callable[[str, pd.DataFrame], pd.DataFrame], list[str]]] = {
    # table: (key column, how to break a copy, kinds injected as new rows)
    "orders": ("order_id", _orders, ["unparseable", "null_key", "unknown_customer",
                                     "unknown_value", "negative_amount",
                                     "discount_exceeds_gross"]),
    "survey_responses": ("response_id", _surveys,
                         ["score_out_of_range", "future_timestamp", "unparseable"]),
    "support_tickets": ("ticket_id", _tickets,
                        ["response_before_open", "resolved_before_open", "future_timestamp"]),
    "customers": ("customer_id", _customers, ["null_key", "unknown_value"]),
}
DUPLICATED_TABLES = ["orders", "loyalty_events"]


def inject(tables: dict[str, pd.DataFrame], per_kind: int, seed: int,
           ) -> tuple[dict[str, pd.DataFrame], dict[str, dict[str, int]]]:
    """Returns dirty copies of the tables and {table: {reason: quarantined rows}}."""
    rng = np.random.default_rng(seed + 1)
    out = {name: frame.copy() for name, frame in tables.items()}
    manifest: dict[str, dict[str, int]] = {}
    for table, (key, breaker, kinds) in BREAKERS.items():
        frame = tables[table]
        picks = rng.choice(len(frame), per_kind * len(kinds), replace=False)
        new_rows = []
        for i, kind in enumerate(kinds):
            rows = frame.iloc[picks[i * per_kind:(i + 1) * per_kind]]
            broken = breaker(kind, rows.assign(**{key: [f"X{table[:3]}{i}{j}" for j in
                                                        range(per_kind)]}))
            new_rows.append(broken)
            manifest.setdefault(table, {})[kind] = per_kind
        out[table] = pd.concat([out[table], *new_rows], ignore_index=True)
    for table in DUPLICATED_TABLES:
        frame = tables[table]
        picks = rng.choice(len(frame), 2 * per_kind, replace=False)
        exact = frame.iloc[picks[:per_kind]]
        altered = frame.iloc[picks[per_kind:]].copy()
        altered[altered.columns[-1]] = altered[altered.columns[-1]] + "_altered"
        out[table] = pd.concat([out[table], exact, altered], ignore_index=True)
        manifest.setdefault(table, {})["duplicate_key"] = per_kind
        manifest[table]["conflicting_duplicate"] = 2 * per_kind
    # Shuffle so that injected rows are not all at the end of the files.
    for table in manifest:
        out[table] = out[table].sample(frac=1.0, random_state=seed).reset_index(drop=True)
    return out, manifest
