"""Serial ids and the stable (day, customer) order the generator numbers rows in, fast at
tens of millions of rows and equal to what np.char and pandas' stable sort give."""

from __future__ import annotations

import numpy as np
import pandas as pd


def serial_ids(prefix: str, first: int, n: int, width: int) -> np.ndarray:
    """prefix + first, first + 1, ... zero-padded to width digits (wider when a number
    needs it), as np.char would write them, built from digit bytes (np.char loops in
    Python: 20 s for 10M ids)."""
    values = np.arange(first, first + n, dtype="int64")
    if n and values[-1] >= 10 ** width:
        return np.char.add(prefix, np.char.zfill(values.astype(str), width))
    powers = 10 ** np.arange(width - 1, -1, -1, dtype="int64")
    digits = (values[:, None] // powers % 10 + ord("0")).astype("uint8")
    head = np.frombuffer(prefix.encode(), dtype="uint8")
    raw = np.hstack([np.broadcast_to(head, (n, head.size)), digits])
    return np.ascontiguousarray(raw).view(f"S{head.size + width}").ravel().astype(str)


def stable_sort(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """frame.sort_values(columns, kind="stable"), with text columns compared as codes of
    their sorted values (sorting 10M Python strings took most of a minute)."""
    keys = []
    for column in reversed(columns):
        values = frame[column]
        if values.dtype == object:
            keys.append(pd.Categorical(values, categories=np.sort(values.unique())).codes)
        else:
            keys.append(values.to_numpy())
    return frame.iloc[np.lexsort(keys)]

