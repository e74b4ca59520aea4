"""Turn the generator's frames into raw tables: the columns and text of SPEC section 3."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .config import GeneratorConfig
from .customers import UTC_OFFSET_HOURS
from .ids import CUSTOMER_ID, formatted_ids, id_array

RAW_COLUMNS: dict[str, list[str]] = {
    "customers": ["customer_id", "created_at", "email", "phone", "country", "city",
                  "acquisition_channel", "birth_year", "gender"],
    "orders": ["order_id", "customer_id", "ordered_at", "status", "channel", "gross_amount",
               "discount_amount", "refunded_amount", "currency", "promo_code", "campaign_id"],
    "survey_responses": ["response_id", "customer_id", "survey_type", "responded_at", "score",
                         "reason_code", "touchpoint", "order_id", "ticket_id", "comment"],
    "support_tickets": ["ticket_id", "customer_id", "opened_at", "first_response_at",
                        "resolved_at", "channel", "category", "contacts_count", "reopened_count",
                        "handled_by_bot"],
    "loyalty_events": ["event_id", "customer_id", "occurred_at", "event_type", "points", "tier",
                       "order_id"],
    "campaigns": ["campaign_id", "name", "campaign_type", "offer_type", "discount_pct",
                  "starts_at", "ends_at"],
    "campaign_touches": ["touch_id", "campaign_id", "customer_id", "sent_at", "channel",
                         "is_holdout"],
}


# Ids the simulation does not carry as text: customer numbers, order numbers (0 = no
# order) and serials numbered by the row's position in the finished table.
ORDER_ID_TABLES = ("orders", "survey_responses", "loyalty_events")
POSITIONAL_IDS = {"survey_responses": ("response_id", "R", 8),
                  "loyalty_events": ("event_id", "E", 9),
                  "campaign_touches": ("touch_id", "K", 8)}


def _id_columns(name: str, frame: pd.DataFrame
                ) -> Iterator[tuple[str, str, np.ndarray, int, np.ndarray | None]]:
    """(column, prefix, numbers, width, missing) of each id column of a raw table that the
    simulation keeps as numbers or row positions."""
    if "customer_id" in frame:
        prefix, width = CUSTOMER_ID
        yield "customer_id", prefix, frame["customer_id"].to_numpy(), width, None
    if name in ORDER_ID_TABLES:
        numbers = frame["order_id"].to_numpy()
        yield "order_id", "O", numbers, 8, numbers == 0
    if name in POSITIONAL_IDS:
        column, prefix, width = POSITIONAL_IDS[name]
        yield column, prefix, np.arange(1, len(frame) + 1), width, None


def ids_as_text(name: str, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    ids = {}
    for column, prefix, numbers, width, missing in _id_columns(name, frame):
        text = formatted_ids(prefix, numbers, width)
        ids[column] = text if missing is None else np.where(missing, "", text)
    return ids


def timestamps(cfg: GeneratorConfig, day: np.ndarray | pd.Series,
               offset_hours: np.ndarray | int = 0, utc_suffix: str = "Z") -> np.ndarray:
    """ISO-8601 text of day offsets; local time with its offset when offset_hours is given."""
    day = np.asarray(day, dtype=float)
    missing = np.isnan(day)
    seconds = np.round(np.where(missing, 0.0, day) * 86400).astype("int64")
    offset = np.broadcast_to(np.asarray(offset_hours, dtype="int64"), seconds.shape)
    local = np.datetime64(cfg.start, "s") + (seconds + offset * 3600).astype("timedelta64[s]")
    text = np.datetime_as_string(local, unit="s")
    suffix = np.where(offset == 0, utc_suffix,
                      np.char.add(np.where(offset >= 0, "+", "-"),
                                  np.char.add(np.char.zfill(np.abs(offset).astype(str), 2), ":00")))
    return np.where(missing, "", np.char.add(text.astype(str), suffix))


def amounts(values: pd.Series | np.ndarray) -> np.ndarray:
    return np.char.mod("%.2f", np.asarray(values, dtype=float))


def integers(values: pd.Series | np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    text = np.char.mod("%d", np.nan_to_num(values).astype("int64"))
    return np.where(np.isnan(values), "", text)


def booleans(values: pd.Series | np.ndarray) -> np.ndarray:
    return np.where(np.asarray(values, dtype=bool), "true", "false")


def raw_tables(cfg: GeneratorConfig, customers: pd.DataFrame, orders: pd.DataFrame,
               tickets: pd.DataFrame, surveys: pd.DataFrame, events: pd.DataFrame,
               campaigns: pd.DataFrame, touches: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """All raw tables as text, in contract column order."""
    offset = customers["country"].map(UTC_OFFSET_HOURS).to_numpy()
    generated = {"customers": customers, "orders": orders, "survey_responses": surveys,
                 "support_tickets": tickets, "loyalty_events": events,
                 "campaign_touches": touches}
    ids = {name: ids_as_text(name, frame) for name, frame in generated.items()}
    frames = {
        "customers": customers.assign(
            **ids["customers"],
            created_at=timestamps(cfg, customers["signup_day"], offset),
            birth_year=integers(customers["birth_year"])),
        "orders": orders.assign(
            **ids["orders"],
            ordered_at=timestamps(cfg, orders["day"]),
            gross_amount=amounts(orders["gross_amount"]),
            discount_amount=amounts(orders["discount_amount"]),
            refunded_amount=amounts(orders["refunded_amount"])),
        "survey_responses": surveys.assign(
            **ids["survey_responses"],
            responded_at=timestamps(cfg, surveys["day"], utc_suffix="+00:00"),
            score=integers(surveys["score"])),
        "support_tickets": tickets.assign(
            **ids["support_tickets"],
            opened_at=timestamps(cfg, tickets["opened_day"]),
            first_response_at=timestamps(cfg, tickets["first_response_day"]),
            resolved_at=timestamps(cfg, tickets["resolved_day"]),
            contacts_count=integers(tickets["contacts_count"]),
            reopened_count=integers(tickets["reopened_count"]),
            handled_by_bot=booleans(tickets["handled_by_bot"])),
        "loyalty_events": events.assign(
            **ids["loyalty_events"],
            occurred_at=timestamps(cfg, events["day"]),
            points=integers(events["points"])),
        "campaigns": campaigns.assign(
            starts_at=timestamps(cfg, campaigns["start_day"]),
            ends_at=timestamps(cfg, campaigns["end_day"]),
            discount_pct=integers(campaigns["discount_pct"])),
        "campaign_touches": touches.assign(
            **ids["campaign_touches"],
            sent_at=timestamps(cfg, touches["sent_day"]),
            is_holdout=booleans(touches["is_holdout"])),
    }
    return {name: frame[RAW_COLUMNS[name]].astype(str).reset_index(drop=True)
            for name, frame in frames.items()}


def _seconds(day: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Whole seconds after the start of the period, as `timestamps` rounds them, and where
    the day is missing."""
    day = np.asarray(day, dtype=float)
    missing = np.isnan(day)
    return np.round(np.where(missing, 0.0, day) * 86400).astype("int64"), missing


def _instants(cfg: GeneratorConfig, day: pd.Series | np.ndarray) -> pa.Array:
    """The UTC instants `timestamps` writes as text (a local time and its offset name the
    same instant), typed."""
    seconds, missing = _seconds(day)
    start = int(np.datetime64(cfg.start, "s").astype("int64"))
    micros = (start + seconds) * 1_000_000
    return pa.array(micros, type=pa.int64(), mask=missing).cast(pa.timestamp("us", tz="UTC"))


def _text(values: pd.Series | np.ndarray) -> pa.Array:
    """Text; the empty text of the raw tables is a missing value."""
    array = pa.array(np.asarray(values, dtype=object), type=pa.string())
    return pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array)


def _amounts(values: pd.Series | np.ndarray) -> pa.Array:
    """Amounts in cents as `amounts` writes them (the generator's amounts are whole cents
    already: rounding again is the identity)."""
    return pa.array(np.round(np.asarray(values, dtype=float), 2), type=pa.float64())


def _integers(values: pd.Series | np.ndarray) -> pa.Array:
    values = np.asarray(values, dtype=float)
    missing = np.isnan(values)
    return pa.array(np.nan_to_num(values).astype("int64"), type=pa.int64(), mask=missing)


def _booleans(values: pd.Series | np.ndarray) -> pa.Array:
    return pa.array(np.asarray(values, dtype=bool), type=pa.bool_())


def _typed_columns(cfg: GeneratorConfig, name: str, frame: pd.DataFrame) -> dict[str, pa.Array]:
    """The columns of one raw table that are not text, typed."""
    if name == "customers":
        return {"created_at": _instants(cfg, frame["signup_day"]),
                "birth_year": _integers(frame["birth_year"])}
    if name == "orders":
        return {"ordered_at": _instants(cfg, frame["day"]),
                **{c: _amounts(frame[c]) for c in
                   ("gross_amount", "discount_amount", "refunded_amount")}}
    if name == "survey_responses":
        return {"responded_at": _instants(cfg, frame["day"]), "score": _integers(frame["score"])}
    if name == "support_tickets":
        return {"opened_at": _instants(cfg, frame["opened_day"]),
                "first_response_at": _instants(cfg, frame["first_response_day"]),
                "resolved_at": _instants(cfg, frame["resolved_day"]),
                "contacts_count": _integers(frame["contacts_count"]),
                "reopened_count": _integers(frame["reopened_count"]),
                "handled_by_bot": _booleans(frame["handled_by_bot"])}
    if name == "loyalty_events":
        return {"occurred_at": _instants(cfg, frame["day"]), "points": _integers(frame["points"])}
    if name == "campaigns":
        return {"starts_at": _instants(cfg, frame["start_day"]),
                "ends_at": _instants(cfg, frame["end_day"]),
                "discount_pct": _integers(frame["discount_pct"])}
    return {"sent_at": _instants(cfg, frame["sent_day"]),
            "is_holdout": _booleans(frame["is_holdout"])}


def typed_table(cfg: GeneratorConfig, name: str, frame: pd.DataFrame) -> pa.Table:
    """One raw table typed (timestamps in UTC, amounts, integers, booleans): the values
    `raw_tables` writes as text, without the detour through text, for Parquet."""
    typed = _typed_columns(cfg, name, frame)
    typed.update({column: id_array(prefix, numbers, width, missing)
                  for column, prefix, numbers, width, missing in _id_columns(name, frame)})
    return pa.table({c: typed[c] if c in typed else _text(frame[c]) for c in RAW_COLUMNS[name]})
