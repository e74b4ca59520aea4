"""Write raw tables as CSV (text, as feeds arrive) or typed Parquet."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

TIMESTAMP_COLUMNS = {"created_at", "ordered_at", "responded_at", "opened_at",
                     "first_response_at", "resolved_at", "occurred_at", "starts_at", "ends_at",
                     "sent_at"}
AMOUNT_COLUMNS = {"gross_amount", "discount_amount", "refunded_amount"}
INTEGER_COLUMNS = {"birth_year", "score", "contacts_count", "reopened_count", "points",
                   "discount_pct"}
BOOLEAN_COLUMNS = {"handled_by_bot", "is_holdout"}


def typed_column(name: str, text: pd.Series) -> pa.Array:
    values = text.replace("", None)
    if name in TIMESTAMP_COLUMNS:
        parsed = pd.to_datetime(values, utc=True, format="ISO8601")
        return pa.array(parsed, type=pa.timestamp("us", tz="UTC"))
    if name in AMOUNT_COLUMNS:
        return pa.array(pd.to_numeric(values), type=pa.float64())
    if name in INTEGER_COLUMNS:
        return pa.array(pd.to_numeric(values).astype("Int64"), type=pa.int64())
    if name in BOOLEAN_COLUMNS:
        return pa.array(values.map({"true": True, "false": False}), type=pa.bool_())
    return pa.array(values, type=pa.string())


def write_tables(tables: dict[str, pd.DataFrame], folder: Path, fmt: str, prefix: str = "",
                 typed: bool = True) -> list[Path]:
    """One file per table; Parquet is typed unless `typed` is False (dirty text feeds)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in tables.items():
        path = folder / f"{prefix}{name}.{fmt}"
        if fmt == "csv":
            frame.to_csv(path, index=False, lineterminator="\n")
        elif fmt == "parquet":
            if typed:
                arrays = [typed_column(c, frame[c]) for c in frame.columns]
            else:
                arrays = [pa.array(frame[c].replace("", None), type=pa.string())
                          for c in frame.columns]
            pq.write_table(pa.Table.from_arrays(arrays, names=list(frame.columns)), path)
        else:
            raise ValueError(f"unknown format {fmt!r}: use csv or parquet")
        written.append(path)
    return written


def write_typed_tables(tables: dict[str, pa.Table], folder: Path) -> list[Path]:
    """One typed Parquet file per table, written as the generator built it."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in tables.items():
        path = folder / f"{name}.parquet"
        pq.write_table(table, path)
        written.append(path)
    return written


def write_manifest(path: Path, content: dict[str, object]) -> None:
    path.write_text(json.dumps(content, indent=2, sort_keys=True) + "\n")
