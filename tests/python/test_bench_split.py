"""The benchmark's incremental batch is the extract's last whole day, not the rows after it."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from loyalty_warehouse.bench import split_last_day


def _extract(folder: Path, manifest: dict[str, str] | None) -> Path:
    folder.mkdir()
    with duckdb.connect() as con:
        # 3 orders on 2026-06-29, 4 on the extract's last day (the first at midnight, the
        # last a second before the next day), 1 planted at midnight of the day after
        con.execute(f"""copy (select * from (values
            ('O1', timestamptz '2026-06-29 10:00:00+00'), ('O2', '2026-06-29 11:00:00+00'),
            ('O3', '2026-06-29 23:59:59+00'), ('O4', '2026-06-30 00:00:00+00'),
            ('O5', '2026-06-30 12:00:00+00'), ('O6', '2026-06-30 13:00:00+00'),
            ('O7', '2026-06-30 23:59:59+00'), ('O8', '2026-07-01 00:00:00+00'))
            as t(order_id, ordered_at)) to '{folder}/orders.parquet'""")
        con.execute(f"copy (select 'K1' as campaign_id) to '{folder}/campaigns.parquet'")
    if manifest is not None:
        (folder / "_manifest.json").write_text(json.dumps(manifest))
    return folder


def _ids(path: Path) -> list[str]:
    with duckdb.connect() as con:
        return [row[0] for row in
                con.execute(f"select order_id from '{path}' order by order_id").fetchall()]


def test_the_batch_is_the_extract_date_and_after(tmp_path: Path) -> None:
    source = _extract(tmp_path / "source", {"extract_date": "2026-06-30"})
    pending, orders = split_last_day(source, tmp_path / "data")
    assert _ids(pending / "orders.parquet") == ["O4", "O5", "O6", "O7", "O8"]
    assert orders == 5
    assert _ids(tmp_path / "data" / "orders" / "001.parquet") == ["O1", "O2", "O3"]
    # a table without a timestamp of its own stays whole in the first batch
    assert (tmp_path / "data" / "campaigns" / "001.parquet").exists()
    assert not (pending / "campaigns.parquet").exists()


def test_without_a_manifest_the_batch_is_the_last_order_date(tmp_path: Path) -> None:
    source = _extract(tmp_path / "source", None)
    pending, orders = split_last_day(source, tmp_path / "data")
    assert _ids(pending / "orders.parquet") == ["O8"]
    assert orders == 1
