from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from loyalty_warehouse.generator import (
    RAW_COLUMNS,
    GeneratorConfig,
    generate_tables,
    generate_typed_tables,
)
from loyalty_warehouse.generator.effects import SLOW_FIRST_RESPONSE_HOURS
from loyalty_warehouse.generator.ids import formatted_ids, id_array
from loyalty_warehouse.generator.writer import write_typed_tables

from .conftest import ROOT, generate


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return generate_tables(GeneratorConfig())


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", "--format", "csv")
    second = generate(tmp_path / "b", "--format", "csv")
    for path in sorted(first.iterdir()):
        assert path.read_bytes() == (second / path.name).read_bytes(), path.name


def test_same_seed_gives_identical_parquet(tmp_path: Path) -> None:
    first = generate(tmp_path / "a")
    second = generate(tmp_path / "b")
    for path in sorted(first.glob("*.parquet")):
        assert pq.read_table(path).equals(pq.read_table(second / path.name)), path.name


def _read_as_typed(name: str, text: pd.Series) -> pa.Array:
    """A text column read the way the contract types it: the oracle for typed Parquet."""
    values = text.replace("", None)
    if name.endswith("_at"):
        return pa.array(pd.to_datetime(values, utc=True, format="ISO8601"),
                        type=pa.timestamp("us", tz="UTC"))
    if name.endswith("_amount"):
        return pa.array(pd.to_numeric(values), type=pa.float64())
    if name in {"birth_year", "score", "contacts_count", "reopened_count", "points",
                "discount_pct"}:
        return pa.array(pd.to_numeric(values).astype("Int64"), type=pa.int64())
    if name in {"handled_by_bot", "is_holdout"}:
        return pa.array(values.map({"true": True, "false": False}), type=pa.bool_())
    return pa.array(values, type=pa.string())


def test_typed_parquet_holds_the_values_of_the_text_tables(tmp_path: Path) -> None:
    """Parquet is written from the generator's values directly; the text tables, typed
    the way the contract reads them, hold the same values."""
    cfg = GeneratorConfig(customers=3_000)
    text = generate_tables(cfg)
    written = list(write_typed_tables(generate_typed_tables(cfg), tmp_path))
    assert sorted(path.stem for path, _ in written) == sorted(text)
    for name, frame in text.items():
        expected = pa.Table.from_arrays([_read_as_typed(c, frame[c]) for c in frame.columns],
                                        names=list(frame.columns))
        assert pq.read_table(tmp_path / f"{name}.parquet").equals(expected), name


@pytest.mark.parametrize("width", [1, 3, 8])
@pytest.mark.parametrize("widest", ["fits", "one digit more"])
def test_ids_are_the_text_np_char_writes_and_missing_ones_are_null(
        width: int, widest: str) -> None:
    """Ids are made from digit bytes (text and Arrow); a number wider than the width
    keeps all its digits, as np.char.zfill does."""
    values = np.array([0, 1, 9, 10, 10 ** width - 1, 10 ** width, 123_456_789])
    if widest == "fits":
        values = values[values < 10 ** width]
    expected = [str(t) for t in np.char.add("O", np.char.zfill(values.astype(str), width))]
    assert [str(t) for t in formatted_ids("O", values, width)] == expected
    assert id_array("O", values, width).to_pylist() == expected
    assert id_array("O", values, width, values == 0).to_pylist() == [None, *expected[1:]]


def test_another_seed_gives_other_data(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", "--format", "csv")
    other = generate(tmp_path / "b", "--format", "csv", "--seed", "7")
    assert (first / "orders.csv").read_bytes() != (other / "orders.csv").read_bytes()


def test_committed_seeds_are_the_generator_output(tables: dict[str, pd.DataFrame]) -> None:
    for name, frame in tables.items():
        committed = (ROOT / "seeds" / "raw" / f"raw_{name}.csv").read_text()
        assert committed == frame.to_csv(index=False, lineterminator="\n"), name


def test_columns_follow_the_dbt_raw_contract() -> None:
    contract = yaml.safe_load((ROOT / "dbt_project.yml").read_text())["vars"]["raw_contract"]
    assert set(contract) == set(RAW_COLUMNS)
    for table, spec in contract.items():
        assert RAW_COLUMNS[table] == [*spec["required"], *spec["optional"]] or \
            sorted(RAW_COLUMNS[table]) == sorted(spec["required"] + spec["optional"]), table


def test_default_scale_is_realistic(tables: dict[str, pd.DataFrame]) -> None:
    orders = tables["orders"]
    customers = tables["customers"]
    assert len(customers) == 5000
    assert len(orders) >= 30_000
    created = pd.to_datetime(customers["created_at"], utc=True, format="ISO8601")
    assert created.dt.strftime("%Y-%m").nunique() >= 36
    assert set(orders["status"]) == {"completed", "cancelled", "returned"}
    partial = (orders["status"] == "completed") & (orders["refunded_amount"].astype(float) > 0)
    assert partial.sum() > 100
    assert (orders["promo_code"] != "").mean() > 0.1
    assert set(tables["survey_responses"]["survey_type"]) == {"nps", "csat", "ces", "exit"}
    assert set(tables["loyalty_events"]["event_type"]) == {"join", "earn", "redeem", "expire",
                                                           "tier_change"}
    assert tables["support_tickets"]["handled_by_bot"].eq("true").any()
    assert tables["campaign_touches"]["is_holdout"].eq("true").mean() == pytest.approx(0.2,
                                                                                        abs=0.05)


def test_keys_are_unique(tables: dict[str, pd.DataFrame]) -> None:
    for name, frame in tables.items():
        key = RAW_COLUMNS[name][0]
        assert frame[key].is_unique, name


def _order_counts(tables: dict[str, pd.DataFrame]) -> pd.Series:
    done = tables["orders"][tables["orders"]["status"] == "completed"]
    return done.groupby("customer_id").size()


def test_planted_effect_members_buy_more_often(tables: dict[str, pd.DataFrame]) -> None:
    counts = _order_counts(tables)
    members = set(tables["loyalty_events"]["customer_id"])
    is_member = counts.index.isin(members)
    repeat_members = (counts[is_member] >= 2).mean()
    repeat_others = (counts[~is_member] >= 2).mean()
    assert repeat_members - repeat_others > 0.15


def test_planted_effect_slow_first_response_precedes_leaving(
        tables: dict[str, pd.DataFrame]) -> None:
    """Share of tickets after which the customer buys nothing for 180 days, by speed."""
    tickets = tables["support_tickets"].copy()
    tickets["opened"] = pd.to_datetime(tickets["opened_at"], format="ISO8601")
    answered = pd.to_datetime(tickets["first_response_at"], format="ISO8601")
    tickets["hours"] = (answered - tickets["opened"]).dt.total_seconds() / 3600
    done = tables["orders"][tables["orders"]["status"] == "completed"]
    done = done.assign(at=pd.to_datetime(done["ordered_at"], format="ISO8601"))
    window = pd.Timedelta(days=180)
    tickets = tickets[tickets["opened"] < done["at"].max() - window]
    pairs = tickets.merge(done[["customer_id", "at"]], on="customer_id")
    bought = pairs[(pairs["at"] > pairs["opened"]) & (pairs["at"] <= pairs["opened"] + window)]
    tickets["left"] = ~tickets["ticket_id"].isin(bought["ticket_id"])
    fast = tickets.loc[tickets["hours"] < 1, "left"].mean()
    slow = tickets.loc[tickets["hours"].between(SLOW_FIRST_RESPONSE_HOURS, 72), "left"].mean()
    assert slow - fast > 0.15


def test_planted_effect_contacted_return_more_than_holdout(
        tables: dict[str, pd.DataFrame]) -> None:
    touches = tables["campaign_touches"]
    returned = set(tables["orders"].loc[tables["orders"]["campaign_id"] != "", "customer_id"])
    treated = touches[touches["is_holdout"] == "false"]
    assert treated["customer_id"].isin(returned).mean() > 0.08


def test_dirty_adds_exactly_what_the_manifest_says(tmp_path: Path) -> None:
    clean = generate(tmp_path / "clean", "--format", "csv")
    dirty = generate(tmp_path / "dirty", "--format", "csv", "--dirty", "2")
    manifest = json.loads((dirty / "_manifest.json").read_text())
    for table, reasons in manifest["injected"].items():
        added = len(pd.read_csv(dirty / f"{table}.csv", dtype=str)) - \
            len(pd.read_csv(clean / f"{table}.csv", dtype=str))
        # a conflicting duplicate adds one row but quarantines two (it and its original)
        expected = sum(reasons.values()) - reasons.get("conflicting_duplicate", 0) // 2
        assert added == expected, table
        assert manifest["raw_rows"][table] == added + len(pd.read_csv(clean / f"{table}.csv"))
