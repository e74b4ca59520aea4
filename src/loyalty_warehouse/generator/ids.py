"""Serial ids and the stable (day, customer) order the generator numbers rows in, fast at
tens of millions of rows and equal to what np.char and pandas' stable sort give. The
simulation carries ids as numbers (or row positions); they become text when a table is
formatted or typed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Customers are numbered 1, 2, ... in the simulation and become C0000001, ... when typed.
CUSTOMER_ID = ("C", 7)


def customer_ids(numbers: np.ndarray | pd.Index) -> np.ndarray:
    """The text ids of customer numbers."""
    prefix, width = CUSTOMER_ID
    return formatted_ids(prefix, np.asarray(numbers), width)


def serial_ids(prefix: str, first: int, n: int, width: int) -> np.ndarray:
    """prefix + first, first + 1, ... zero-padded to width digits (see formatted_ids)."""
    return formatted_ids(prefix, np.arange(first, first + n, dtype="int64"), width)


def formatted_ids(prefix: str, values: np.ndarray, width: int) -> np.ndarray:
    """prefix + each number zero-padded to width digits (wider when a number needs it), as
    np.char would write them, built from digit bytes (np.char loops in Python: 20 s for
    10M ids)."""
    raw = _id_bytes(prefix, values, width)
    if raw is None:
        return np.char.add(prefix, np.char.zfill(np.asarray(values).astype(str), width))
    return raw.view(f"S{raw.shape[1]}").ravel().astype(str)


def id_array(prefix: str, values: np.ndarray, width: int,
             missing: np.ndarray | None = None) -> pa.Array:
    """formatted_ids as an Arrow string array made from the digit bytes themselves (no
    Python string per id: 10M of them were about 600 MB at scale L); missing -> null."""
    raw = _id_bytes(prefix, values, width)
    if raw is None:
        return pa.array(formatted_ids(prefix, values, width).astype(object), type=pa.string(),
                        mask=missing)
    n, size = raw.shape
    offsets = np.arange(0, (n + 1) * size, size, dtype="int64")
    array = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(raw))
    if missing is not None:
        array = pc.if_else(pa.array(missing), pa.scalar(None, pa.large_string()), array)
    return array.cast(pa.string())


def _id_bytes(prefix: str, values: np.ndarray, width: int) -> np.ndarray | None:
    """The ids as rows of ASCII bytes; None when a number needs more than width digits."""
    numbers = np.array(values, dtype="int64")
    if numbers.size and numbers.max() >= 10 ** width:
        return None
    head = np.frombuffer(prefix.encode(), dtype="uint8")
    raw = np.empty((numbers.size, head.size + width), dtype="uint8")
    raw[:, :head.size] = head
    for position in range(head.size + width - 1, head.size - 1, -1):
        raw[:, position] = numbers % 10 + ord("0")
        numbers //= 10
    return raw


def stable_sort(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """frame.sort_values(columns, kind="stable", ignore_index=True), with text columns
    compared as codes of their sorted values (sorting 10M Python strings took most of a
    minute). Customer numbers sort as their text ids do while they fit CUSTOMER_ID's
    width (below 10 million customers)."""
    keys = []
    for column in reversed(columns):
        values = frame[column]
        if values.dtype == object:
            keys.append(pd.Categorical(values, categories=np.sort(values.unique())).codes)
        else:
            keys.append(values.to_numpy())
    return with_row_numbers(frame.iloc[np.lexsort(keys)])


def with_row_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """frame.reset_index(drop=True) without its copy of every column (at scale L a second
    copy of the orders beside the first set the generator's peak)."""
    frame.index = pd.RangeIndex(len(frame))
    return frame

