"""Incremental runs: a new batch of files on top of an earlier build gives exactly the
warehouse a full refresh builds from the same files, late and corrected rows included."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from loyalty_warehouse.bench import TIME_COLUMNS
from loyalty_warehouse.compare import differences

from .conftest import DbtRun, generate, run_dbt

MODELS_ONLY = ["--exclude-resource-type", "test", "unit_test"]
LATE_ORDERS = 15
CORRECTED_ORDERS = 12

# builds warehouses of its own: left out of `bin/warehouse test --quick`
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("incremental")]


def write_batches(folder: Path) -> tuple[Path, dict[str, int]]:
    """Turn a generated folder into two batches per table: history (001) and the next
    days (002). Batch 2 also brings late orders (held back from history), corrected
    orders, surveys and tickets (same key, new content) and an order moved to another
    customer; history holds surveys dated after its as_of_date (future until batch 2),
    orders of a customer whose row only arrives in batch 2 (unknown until then) and a
    ticket answered after its as_of_date (unanswered until batch 2)."""
    pending = folder / "_batch_002"
    pending.mkdir()
    with duckdb.connect() as con:
        cutoff = con.execute(f"select max(ordered_at)::date - 2 from '{folder}/orders.parquet'"
                             ).fetchone()[0]
        held_customer = con.execute(
            f"select customer_id from '{folder}/orders.parquet' where ordered_at < '{cutoff}' "
            "group by 1 order by count(*) desc, 1 limit 1").fetchone()[0]
        late = [row[0] for row in con.execute(
            f"select order_id from '{folder}/orders.parquet' where ordered_at < '{cutoff}' "
            f"and customer_id <> '{held_customer}' and ordered_at > '{cutoff}'::date - 365 "
            f"order by order_id limit {LATE_ORDERS}").fetchall()]
        corrected = [row[0] for row in con.execute(
            f"select order_id from '{folder}/orders.parquet' where ordered_at < '{cutoff}' "
            f"and customer_id <> '{held_customer}' and status = 'completed' "
            f"order by order_id desc limit {CORRECTED_ORDERS}").fetchall()]
        late_list = ", ".join(f"'{key}'" for key in late)
        for table, column in TIME_COLUMNS.items():
            source = folder / f"{table}.parquet"
            history = f"{column} < '{cutoff}'"
            if table == "orders":
                history += f" and order_id not in ({late_list})"
            if table == "customers":
                history += f" and customer_id <> '{held_customer}'"
            if table == "survey_responses":  # one day past history's as_of_date
                history = f"{column} < '{cutoff}'::date + 1"
            (folder / table).mkdir()
            con.execute(f"copy (select * from '{source}' where {history}) "
                        f"to '{folder / table / '001.parquet'}'")
            con.execute(f"copy (select * from '{source}' where not ({history})) "
                        f"to '{pending / f'{table}.parquet'}'")
            source.unlink()
        # a ticket opened on history's last day and answered after it: unanswered in the
        # history build, answered once the next batch moves as_of_date
        tickets = folder / "support_tickets" / "001.parquet"
        con.execute(f"""copy (
            with last_order as (
                select max(ordered_at) as at from '{folder}/orders/001.parquet'
            ),
            planted as (
                select max(ticket_id) as ticket_id from '{tickets}'
                where first_response_at is not null and customer_id <> '{held_customer}'
            )
            select * from '{tickets}'
            where ticket_id not in (select ticket_id from planted where ticket_id is not null)
            union all
            select tickets.* replace (
                last_order.at - interval 1 minute as opened_at,
                date_trunc('day', last_order.at) + interval 30 hour as first_response_at,
                date_trunc('day', last_order.at) + interval 36 hour as resolved_at)
            from '{tickets}' as tickets
            inner join planted on tickets.ticket_id = planted.ticket_id
            cross join last_order
        ) to '{pending}/tickets_001.parquet'""")
        shutil.move(pending / "tickets_001.parquet", tickets)
        batch_orders = pending / "orders.parquet"
        con.execute(f"""copy (
            select * from '{batch_orders}'
            union all
            select * replace (
                gross_amount + 5 as gross_amount,
                case when order_id = '{corrected[0]}' then 'returned' else status end as status,
                case when order_id = '{corrected[1]}' then '{held_customer}'
                     else customer_id end as customer_id)
            from '{folder}/orders/001.parquet' where order_id in
                ({", ".join(f"'{key}'" for key in corrected)})
        ) to '{pending}/orders_with_corrections.parquet'""")
        batch_orders.unlink()
        for table, change, which in (
                ("survey_responses", "10 - score as score", "survey_type = 'nps'"),
                ("support_tickets", "first_response_at + interval 30 minute as "
                 "first_response_at", "first_response_at is not null")):
            key = "response_id" if table == "survey_responses" else "ticket_id"
            con.execute(f"""copy (
                select * from '{pending / f'{table}.parquet'}'
                union all
                (select * replace ({change}) from '{folder}/{table}/001.parquet'
                 where {which} order by {key} limit 5)
            ) to '{pending}/{table}_with_corrections.parquet'""")
            (pending / f"{table}.parquet").unlink()
    return pending, {"late": len(late), "corrected": len(corrected)}


def add_batch(folder: Path, pending: Path) -> None:
    for file in pending.glob("*.parquet"):
        table = file.stem.removesuffix("_with_corrections")
        shutil.move(file, folder / table / "002.parquet")


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("incremental")
    folder = generate(root / "data")
    pending, counts = write_batches(folder)
    incremental = root / "incremental" / "loyalty.duckdb"
    incremental.parent.mkdir()
    # the history and the full refresh build models only (their tables are what is
    # compared); the incremental run is the production one, every data test included
    # (unit tests read no data: they ran in the default build)
    first = run_dbt(["build", *MODELS_ONLY], incremental, folder)
    assert first.returncode == 0, first.output[-4000:]
    before = dict(first.query("select quarantine_reason, count(*) from staging.base_orders "
                              "group by 1"))
    before_surveys = dict(first.query(
        "select quarantine_reason, count(*) from staging.base_survey_responses group by 1"))
    unanswered = first.scalar(
        "select count(*) from intermediate.int_support_tickets as seen inner join "
        "staging.stg_support_tickets as raw using (ticket_id) "
        "where seen.first_response_at is null and raw.first_response_at is not null")
    add_batch(folder, pending)
    second = run_dbt(["build", "--exclude-resource-type", "unit_test"], incremental, folder)
    assert second.returncode == 0, second.output[-4000:]
    full = root / "full" / "loyalty.duckdb"
    full.parent.mkdir()
    refresh = run_dbt(["build", "--full-refresh", *MODELS_ONLY], full, folder)
    assert refresh.returncode == 0, refresh.output[-4000:]
    return {"first_orders": before, "first_surveys": before_surveys,
            "first_unanswered": unanswered, "counts": counts,
            "incremental": second, "full": refresh, "folder": folder}


def test_history_build_has_rows_that_later_batches_change(builds: dict) -> None:
    assert builds["first_orders"].get("unknown_customer", 0) > 0
    assert builds["first_surveys"].get("future_timestamp", 0) > 0
    # a ticket answered after history's as_of_date (revealed by the next batch)
    assert builds["first_unanswered"] > 0


def test_incremental_run_equals_full_refresh(builds: dict) -> None:
    incremental, full = builds["incremental"], builds["full"]
    assert differences(incremental.database, full.database) == []
    # the same rows are clean and quarantined for the same reasons in both
    for run in (incremental, full):
        assert run.scalar("select count(*) from staging.base_orders "
                          "where quarantine_reason in ('unknown_customer', 'future_timestamp')"
                          ) == 0


def test_incremental_run_loads_only_the_new_batch(builds: dict) -> None:
    run: DbtRun = builds["incremental"]
    total, rewritten = run.query("select count(*), count(*) filter (where load_batch = 2) "
                                 "from staging.base_orders")[0]
    new_rows = run.scalar("select count(*) from staging.base_orders "
                          "where source_file = 'orders/002.parquet'")
    assert new_rows < rewritten < total / 4
    customers = run.scalar("select count(distinct customer_id) from main.fct_orders")
    assert run.scalar("select count(distinct customer_id) from main.fct_orders "
                      "where load_batch = 2") < customers / 2


def test_late_and_corrected_rows_land_in_the_marts(builds: dict) -> None:
    run: DbtRun = builds["incremental"]
    corrected = builds["counts"]["corrected"]
    assert run.scalar("select count(*) from staging.stg_orders__quarantine "
                      "where quarantine_reason = 'superseded'") == corrected
    assert run.scalar("select count(*) from main.fct_orders where order_id in (select "
                      "order_id from staging.base_orders where quarantine_reason = "
                      "'superseded') and load_batch = 2") == corrected
    assert run.scalar("select count(*) from main.fct_orders as f inner join "
                      "staging.base_orders as b on f.order_id = b.order_id "
                      "and b.source_file = 'orders/002.parquet' and f.gross_amount = "
                      "b.gross_amount where b.order_id in (select order_id from staging."
                      "base_orders where quarantine_reason = 'superseded')") == corrected
    for table in ("survey_responses", "support_tickets"):
        assert run.scalar(f"select count(*) from staging.stg_{table}__quarantine "
                          "where quarantine_reason = 'superseded'") == 5
    late = run.scalar("select count(*) from main.fct_orders where order_id in ("
                      "select order_id from staging.base_orders where source_file = "
                      "'orders/002.parquet' except select order_id from staging.base_orders "
                      "where source_file = 'orders/001.parquet') and order_date < "
                      "(select max(order_date) - 2 from main.fct_orders)")
    assert late == builds["counts"]["late"]


def test_run_without_new_files_changes_nothing(builds: dict, tmp_path: Path) -> None:
    run: DbtRun = builds["incremental"]
    again = run_dbt(["run"], run.database, builds["folder"])
    assert again.returncode == 0, again.output[-4000:]
    assert run.scalar("select max(load_batch) from staging.base_orders") == 2
    assert differences(run.database, builds["full"].database) == []


def data_test_statuses(target: Path) -> dict[str, str]:
    """Each data test's status in the run_results of a dbt run, by test name."""
    return {result["unique_id"].split(".")[2]: result["status"] for result in
            json.loads((target / "run_results.json").read_text())["results"]
            if result["unique_id"].startswith("test.")}


def test_incremental_tests_read_what_the_run_wrote(builds: dict, tmp_path: Path) -> None:
    """Row and key checks of an incremental model read the newest batch (and, for keys,
    the stored rows sharing its keys): a new row breaking a check fails it, a new row
    duplicating a stored key fails `unique`, a stored row is not read again."""
    run: DbtRun = builds["incremental"]
    copy = tmp_path / "loyalty.duckdb"
    shutil.copyfile(run.database, copy)
    with duckdb.connect(str(copy)) as con:
        # fct_orders is a view of int_orders (config rows_of): its rows are written there,
        # and the view's row checks read them by int_orders' load_batch
        stored = "select * from intermediate.int_orders where load_batch = 1 order by order_id"
        con.execute(f"insert into intermediate.int_orders select * replace (2 as load_batch) "
                    f"from ({stored} limit 1)")
        con.execute("update intermediate.int_orders set is_purchase = not is_purchase where "
                    "order_id = (select max(order_id) from intermediate.int_orders "
                    "where load_batch = 2)")
        con.execute("update intermediate.int_orders set net_revenue = -1 where order_id = "
                    "(select max(order_id) from intermediate.int_orders where load_batch = 1)")
    tested = run_dbt(["test", "--select", "int_orders,test_name:unique "
                      "fct_orders,test_name:expression_is_true fct_orders,test_name:value_between"],
                     copy, builds["folder"])
    statuses = data_test_statuses(tmp_path / "target")
    assert statuses.pop("unique_int_orders_order_id") == "fail", tested.output[-3000:]
    purchase_rule = [name for name in statuses if "is_purchase" in name]
    assert [statuses.pop(name) for name in purchase_rule] == ["fail"]
    # the stored row with a negative net revenue is outside the run's scope
    assert statuses and set(statuses.values()) == {"pass"}, statuses
    compiled = (tmp_path / "target" / "run").rglob("unique_int_orders_order_id.sql")
    assert "load_batch = 2" in next(compiled).read_text()


def test_staging_view_tests_read_the_keys_of_the_newest_batch(builds: dict,
                                                              tmp_path: Path) -> None:
    """A staging view has no load_batch: its row and key checks read the rows whose key
    its base model's newest batch holds, so a new bad value or a new row repeating a stored
    key fails, and a stored row is not read again."""
    run: DbtRun = builds["incremental"]
    copy = tmp_path / "loyalty.duckdb"
    shutil.copyfile(run.database, copy)
    clean = "quarantine_reason is null"
    with duckdb.connect(str(copy)) as con:
        con.execute(f"insert into staging.base_orders select * replace (2 as load_batch) from "
                    f"(select * from staging.base_orders where load_batch = 1 and {clean} "
                    f"order by order_id limit 1)")
        con.execute(f"update staging.base_orders set status = 'bartered', "
                    f"gross_amount = null where order_id = "
                    f"(select max(order_id) from staging.base_orders where load_batch = 2 "
                    f"and {clean})")
        con.execute(f"update staging.base_orders set gross_amount = null where order_id = "
                    f"(select max(order_id) from staging.base_orders where load_batch = 1 "
                    f"and {clean})")
    tested = run_dbt(["test", "--select", "stg_orders,test_name:unique "
                      "stg_orders,test_name:in_accepted_values "
                      "stg_orders,test_name:not_null_columns"],
                     copy, builds["folder"])
    statuses = data_test_statuses(tmp_path / "target")
    assert statuses.pop("unique_stg_orders_order_id") == "fail", tested.output[-3000:]
    status_rule = [name for name in statuses if "status" in name and "accepted" in name]
    assert [statuses.pop(name) for name in status_rule] == ["fail"], tested.output[-3000:]
    required = [name for name in statuses if name.startswith("not_null_columns_stg_orders")]
    assert [statuses.pop(name) for name in required] == ["fail"], tested.output[-3000:]
    # one failing row, the new one: the stored row without a gross amount is outside the
    # run's scope
    result = next(result for result in
                  json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
                  if result["unique_id"].split(".")[2] == required[0])
    assert result["failures"] == 1
    with duckdb.connect(str(copy), read_only=True) as con:
        assert con.execute(result["compiled_code"]).fetchall() == [("gross_amount",)]
    assert statuses and set(statuses.values()) == {"pass"}, statuses
    compiled = (tmp_path / "target" / "run").rglob("unique_stg_orders_order_id.sql")
    assert "load_batch = 2" in next(compiled).read_text()
