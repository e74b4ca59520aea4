"""Write raw tables as CSV (text, as feeds arrive) or typed Parquet."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


def write_tables(tables: dict[str, pd.DataFrame], folder: Path, fmt: str,
                 prefix: str = "") -> list[Path]:
    """One file per text table: CSV, or Parquet of text columns (the dirty feeds; clean
    typed Parquet is written by write_typed_tables)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in tables.items():
        path = folder / f"{prefix}{name}.{fmt}"
        if fmt == "csv":
            frame.to_csv(path, index=False, lineterminator="\n")
        elif fmt == "parquet":
            arrays = [pa.array(frame[c].replace("", None), type=pa.string())
                      for c in frame.columns]
            pq.write_table(pa.Table.from_arrays(arrays, names=list(frame.columns)), path)
        else:
            raise ValueError(f"unknown format {fmt!r}: use csv or parquet")
        written.append(path)
    return written


def write_typed_tables(tables: Iterable[tuple[str, pa.Table]], folder: Path
                       ) -> Iterator[tuple[Path, int]]:
    """One typed Parquet file per table, written as the generator hands it over; yields
    each file and its rows once written (the table is not kept)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in tables:
        path = folder / f"{name}.parquet"
        pq.write_table(table, path)
        yield path, table.num_rows


def write_manifest(path: Path, content: dict[str, object]) -> None:
    path.write_text(json.dumps(content, indent=2, sort_keys=True) + "\n")
