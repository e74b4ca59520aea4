"""Scale XL's data: shards of the generator's output made one shop set with disjoint ids."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from loyalty_warehouse.bench_xl import ID_COLUMNS, xl_dataset

# (table, reference column, referenced table, its key)
REFERENCES = [("orders", "customer_id", "customers", "customer_id"),
              ("orders", "campaign_id", "campaigns", "campaign_id"),
              ("support_tickets", "customer_id", "customers", "customer_id"),
              ("survey_responses", "order_id", "orders", "order_id"),
              ("survey_responses", "ticket_id", "support_tickets", "ticket_id"),
              ("loyalty_events", "order_id", "orders", "order_id"),
              ("campaign_touches", "campaign_id", "campaigns", "campaign_id"),
              ("campaign_touches", "customer_id", "customers", "customer_id")]
KEYS = {"customers": "customer_id", "orders": "order_id", "support_tickets": "ticket_id",
        "survey_responses": "response_id", "loyalty_events": "event_id",
        "campaign_touches": "touch_id", "campaigns": "campaign_id"}


def test_xl_shards_keep_every_row_and_every_reference_inside_their_shop(tmp_path: Path
                                                                         ) -> None:
    folder, _, _ = xl_dataset(tmp_path, shards=2, customers=300)
    manifest = json.loads((folder / "_manifest.json").read_text())
    assert manifest["customers"] == 600 and not (tmp_path / "shards").exists()

    def table(name: str) -> str:
        return f"read_parquet('{folder}/{name}/*.parquet')"

    with duckdb.connect() as con:
        for name, key in KEYS.items():
            rows, keys = con.execute(f"select count(*), count(distinct {key}) "
                                     f"from {table(name)}").fetchone()
            assert rows == keys == manifest["raw_rows"][name], name
            shops = con.execute(f"select count(distinct regexp_extract({key}, '^[A-Z]+(.)', 1))"
                                f" from {table(name)}").fetchone()[0]
            assert shops == 2, name  # each shop's digit follows the letters of its ids
        for name, column, referenced, key in REFERENCES:
            assert column in ID_COLUMNS
            dangling = con.execute(
                f"select count(*) from {table(name)} where {column} is not null and "
                f"{column} not in (select {key} from {table(referenced)})").fetchone()[0]
            assert dangling == 0, (name, column)
