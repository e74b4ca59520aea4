"""Write-audit-publish under faults: nothing half-built or failed ever reaches readers."""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from loyalty_warehouse import publish
from loyalty_warehouse.cli import main as loyalty_main
from loyalty_warehouse.mutations import scratch_copy
from loyalty_warehouse.personal_data import columns_with_personal_data
from loyalty_warehouse.validate import run_suites

from .conftest import ROOT, generate
from .processes import session_members, wait_until_gone

LOYALTY = str(Path(sys.executable).parent / "loyalty")

# builds warehouses of its own: left out of `bin/warehouse test --quick`; on one
# pytest-xdist worker, so that the published warehouse and its data are made once
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("publish")]


def build_command(warehouse: Path, data_dir: Path | None = None, project: Path = ROOT,
                  *extra: str, data_tests: bool = True,
                  dbt_args: tuple[str, ...] = ()) -> tuple[list[str], dict[str, str]]:
    """`loyalty build`; unit tests read no data (they ran in the default build), and the
    tests of the publish mechanics (locks, signals, readers, backups, a full disk) and of
    the audits run by `loyalty build` itself (quarantine share, emptied tables, personal
    data) need no data tests either: `data_tests=False` leaves them out there."""
    env = {**os.environ, "DBT_PROFILES_DIR": str(project), "LOYALTY_WAREHOUSE_DIR": str(warehouse),
           "LOYALTY_DATA_DIR": str(data_dir or ""), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    return [LOYALTY, "build", "--docs-dir", str(warehouse / "gx"), *extra,
            "--", *dbt_args, "--exclude-resource-type", "unit_test",
            *([] if data_tests else ["test"])], env


def build(warehouse: Path, data_dir: Path | None = None, project: Path = ROOT,
          *extra: str, data_tests: bool = True, dbt_args: tuple[str, ...] = (),
          **kwargs: object) -> subprocess.CompletedProcess[str]:
    command, env = build_command(warehouse, data_dir, project, *extra, data_tests=data_tests,
                                 dbt_args=dbt_args)
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True,
                          check=False, **kwargs)


def orders_served(warehouse: Path) -> int:
    with duckdb.connect(str(warehouse / "loyalty.duckdb"), read_only=True) as con:
        return con.execute("select count(*) from main.fct_orders").fetchone()[0]


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("data")
    return {"a": generate(base / "a"), "b": generate(base / "b", "--seed", "11")}


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, folders: dict[str, Path]) -> Path:
    """A warehouse folder serving data set a."""
    warehouse = tmp_path_factory.mktemp("warehouse")
    done = build(warehouse, folders["a"])
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    return warehouse


def copy_warehouse(published: Path, tmp_path: Path) -> Path:
    """The served file and dbt's saved parse (a build parses again only what changed)."""
    target = tmp_path / "warehouse"
    (target / "target").mkdir(parents=True)
    shutil.copy(published / "loyalty.duckdb", target / "loyalty.duckdb")
    shutil.copy(published / "target" / "partial_parse.msgpack", target / "target")
    return target


@dataclass
class Republished:
    """A build of data set b over a copy of the served warehouse (a), killed outright;
    then the next build of b, while a restore, a second build and a reader are tried; then
    the backup restored. One full build for the tests of a build, its rivals and its
    readers."""
    before: int
    after_kill: int
    done: subprocess.CompletedProcess[str]
    after: int
    restore_during: subprocess.CompletedProcess[str]
    second: subprocess.CompletedProcess[str]
    read: Reads
    restore_after: subprocess.CompletedProcess[str]
    restored: int


@dataclass
class Reads:
    """What a reader polling the served file saw while a build published over it."""
    seen: set[int]
    errors: list[str]
    held: int  # read at the end on a connection opened before the build


def restore(warehouse: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LOYALTY_WAREHOUSE_DIR": str(warehouse)}
    return subprocess.run([LOYALTY, "restore"], env=env, capture_output=True, text=True,
                          check=False)


@contextmanager
def reading(served: Path) -> Iterator[Reads]:
    """Poll the served file in a thread for the duration: the orders it serves, and every
    error or inconsistent read (the facts and the customer mart of different versions)."""
    reads = Reads(set(), [], -1)
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            try:
                with duckdb.connect(str(served), read_only=True) as con:
                    orders = con.execute("select count(*) from main.fct_orders").fetchone()[0]
                    customers = con.execute(
                        "select sum(orders_count) from main.dim_customers").fetchone()[0]
                    purchases = con.execute(
                        "select count(*) from main.fct_orders where is_purchase").fetchone()[0]
                reads.seen.add(orders)
                if customers != purchases:
                    reads.errors.append(f"inconsistent read: {customers} != {purchases}")
            except duckdb.Error as error:
                reads.errors.append(str(error))
            time.sleep(0.05)

    # attached to an in-memory database: a connection to the file itself would stay in
    # DuckDB's per-process instance cache, and the reader's connections would reuse it
    held = duckdb.connect()
    held.execute(f"attach '{served}' as served (read_only)")
    reader = threading.Thread(target=read)
    reader.start()
    try:
        yield reads
    finally:
        time.sleep(0.5)
        stop.set()
        reader.join()
        reads.held = held.execute("select count(*) from served.main.fct_orders").fetchone()[0]
        held.close()


@pytest.fixture(scope="module")
def republished(published: Path, folders: dict[str, Path],
                tmp_path_factory: pytest.TempPathFactory) -> Republished:
    warehouse = copy_warehouse(published, tmp_path_factory.mktemp("republish"))
    shutil.copy(warehouse / "loyalty.duckdb", warehouse / "loyalty.previous.duckdb")
    before = orders_served(warehouse)
    killed = start_build_and_wait_for_dbt(warehouse, folders["b"])
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait()
    after_kill = orders_served(warehouse)
    command, env = build_command(warehouse, folders["b"], data_tests=False)
    lock = warehouse / ".build.lock"
    with reading(warehouse / "loyalty.duckdb") as read:
        first = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 60
        # the killed build's lock file is left behind: wait for this build's own pid
        while not lock.read_text().startswith(f"pid {first.pid} "):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        restore_during = restore(warehouse)
        second = build(warehouse, folders["b"], data_tests=False)
        out, _ = first.communicate(timeout=600)
    done = subprocess.CompletedProcess(command, first.returncode, out, "")
    after = orders_served(warehouse)
    restore_after = restore(warehouse)
    return Republished(before, after_kill, done, after, restore_during, second, read,
                       restore_after, orders_served(warehouse))


def test_publish_replaces_and_keeps_a_backup_that_restore_serves(
        republished: Republished) -> None:
    assert republished.done.returncode == 0, republished.done.stdout[-3000:]
    assert "published" in republished.done.stdout
    assert republished.after != republished.before
    assert republished.restore_after.returncode == 0, republished.restore_after.stdout
    assert republished.restored == republished.before


def test_restore_during_a_build_refuses_clearly(republished: Republished) -> None:
    done = republished.restore_during
    assert done.returncode == 1
    assert "another build is running" in done.stdout and "nothing was restored" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_second_concurrent_build_refuses(republished: Republished) -> None:
    assert republished.second.returncode != 0
    assert "another build is running" in republished.second.stdout
    assert republished.done.returncode == 0, republished.done.stdout[-3000:]


def test_killed_build_leaves_served_data_and_next_build_succeeds(
        republished: Republished) -> None:
    assert republished.after_kill == republished.before
    assert republished.done.returncode == 0, republished.done.stdout[-3000:]
    assert republished.after != republished.before


def test_reader_during_build_sees_old_or_new_never_an_error(republished: Republished) -> None:
    read, old, new = republished.read, republished.before, republished.after
    assert republished.done.returncode == 0, republished.done.stdout[-3000:]
    assert read.errors == []
    assert read.seen <= {old, new} and old in read.seen and new in read.seen
    # a connection held open across the publish keeps reading the version it opened
    assert read.held == old


def test_a_failing_test_publishes_nothing(published: Path, folders: dict[str, Path],
                                          tmp_path: Path) -> None:
    project = scratch_copy(ROOT, tmp_path / "project")
    (project / "tests" / "singular" / "always_fails.sql").write_text(
        "-- a deliberately failing audit\nselect 1 as failing_row\n")
    warehouse = copy_warehouse(published, tmp_path)
    before = orders_served(warehouse)
    # the failing test alone: what fails is beside the point, that something does
    done = build(warehouse, folders["b"], project, dbt_args=("--select", "always_fails"))
    assert done.returncode != 0
    assert "always_fails" in done.stdout
    assert "dbt build failed" in done.stdout and "served database is unchanged" in done.stdout
    assert "candidate is left for inspection" in done.stdout
    assert orders_served(warehouse) == before


def start_build_and_wait_for_dbt(warehouse: Path, data_dir: Path) -> subprocess.Popen[str]:
    """Start a build whose output goes to warehouse/build.log (a pipe nobody reads would
    fill up and stall it), and return once dbt is writing the candidate."""
    command, env = build_command(warehouse, data_dir)
    with (warehouse / "build.log").open("w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, text=True, start_new_session=True)
    # DuckDB writes to the candidate's WAL until a checkpoint, so the file's size says
    # nothing; dbt's first START line says a model is being written
    candidate = publish.Warehouse(warehouse).candidate
    output = warehouse / "build.log"
    deadline = time.monotonic() + 900  # a liveness bound on a loaded machine, not a timing
    while not (candidate.exists() and " START sql " in output.read_text()):
        assert process.poll() is None, f"the build ended first:\n{output.read_text()[-2000:]}"
        assert time.monotonic() < deadline, "the build never started writing"
        time.sleep(0.2)
    assert len(session_members(process.pid)) >= 2, "dbt should be running as a child"
    return process


def lock_is_free(warehouse: Path) -> bool:
    with (warehouse / ".build.lock").open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


def test_killing_only_the_build_command_stops_its_dbt_child(
        published: Path, folders: dict[str, Path], tmp_path: Path) -> None:
    warehouse = copy_warehouse(published, tmp_path)
    before = orders_served(warehouse)
    process = start_build_and_wait_for_dbt(warehouse, folders["b"])
    os.kill(process.pid, signal.SIGKILL)  # the parent alone, not its process group
    process.wait()
    left = wait_until_gone(process.pid)
    if left:
        os.killpg(process.pid, signal.SIGKILL)
    assert not left, f"dbt outlived the build command: {left}"
    assert lock_is_free(warehouse)
    assert orders_served(warehouse) == before


def test_a_stopped_build_stops_dbt_says_so_and_publishes_nothing(
        published: Path, folders: dict[str, Path], tmp_path: Path) -> None:
    warehouse = copy_warehouse(published, tmp_path)
    before = orders_served(warehouse)
    process = start_build_and_wait_for_dbt(warehouse, folders["b"])
    # while dbt runs, the build still holds the lock
    assert not lock_is_free(warehouse)
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=120)
    out = (warehouse / "build.log").read_text()
    assert process.returncode != 0
    assert "stopped by SIGTERM" in out and "served database is unchanged" in out, out[-2000:]
    assert not wait_until_gone(process.pid)
    assert lock_is_free(warehouse)
    assert orders_served(warehouse) == before


def test_unwritable_warehouse_folder_is_a_clear_error(folders: dict[str, Path]) -> None:
    done = build(Path("/proc/loyalty-warehouse"), folders["a"])
    assert done.returncode != 0
    assert "cannot create the warehouse folder /proc/loyalty-warehouse" in done.stdout


def test_disk_full_while_writing_keeps_served_data(published: Path, folders: dict[str, Path],
                                                   tmp_path: Path) -> None:
    warehouse = copy_warehouse(published, tmp_path)
    before = orders_served(warehouse)

    def small_disk() -> None:  # files may not grow past 2 MB: writes fail as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (2_000_000, 2_000_000))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    done = build(warehouse, folders["b"], data_tests=False, preexec_fn=small_disk)
    assert done.returncode != 0
    assert "served database is unchanged" in done.stdout
    assert "is full (or a file size limit was reached)" in done.stdout, done.stdout[-3000:]
    assert not publish.Warehouse(warehouse).candidate.exists()
    assert orders_served(warehouse) == before


def test_quarantine_above_threshold_fails_the_audit(published: Path, tmp_path: Path) -> None:
    dirty = generate(tmp_path / "dirty", "--format", "csv", "--dirty", "20")
    warehouse = copy_warehouse(published, tmp_path)
    before = orders_served(warehouse)
    done = build(warehouse, dirty, data_tests=False)
    assert done.returncode != 0
    assert "quarantine above 1.00% of raw rows" in done.stdout
    assert orders_served(warehouse) == before
    # the candidate left for inspection passes a raised limit, with a warning, and the
    # gate: the dirty rows sit in quarantine, the marts hold the rest (the option's way
    # to the audit: test_the_audit_limits_reach_the_build)
    candidate = publish.Warehouse(warehouse).candidate
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        publish.quarantine_audit(candidate, 0.2)
    assert "warn" in printed.getvalue()
    assert_gate_passes(candidate, tmp_path / "gx")


def assert_gate_passes(candidate: Path, docs: Path) -> None:
    """The Great Expectations suites of `loyalty build`, on a candidate a build left."""
    results = run_suites(candidate, docs)
    assert len(results) == 13 and not [r for r in results if r.failed], results


def test_the_audit_limits_reach_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    """--max-quarantine-share and --max-row-drop (defaults 1% and 50%) are what the
    build's audits get."""
    received: list[tuple[float, float]] = []

    def build_stub(dbt_args: list[str], max_share: float, docs_dir: Path,
                   incremental: bool = False, max_drop: float = 0.5) -> int:
        received.append((max_share, max_drop))
        return 0

    monkeypatch.setattr(publish, "build", build_stub)
    monkeypatch.delenv("LOYALTY_MAX_QUARANTINE_SHARE", raising=False)
    monkeypatch.delenv("LOYALTY_MAX_ROW_DROP", raising=False)
    assert loyalty_main(["build"]) == 0
    assert loyalty_main(["build", "--max-quarantine-share", "0.2", "--max-row-drop", "1"]) == 0
    assert received == [(0.01, 0.5), (0.2, 1.0)]


@pytest.mark.parametrize(("content", "message"), [
    (b"", "the file is empty"),
    (b"order_id;customer_id;ordered_at;status;gross_amount\nO1;C1;2025-01-01;completed;1\n",
     "the delimiter must be a comma"),
    (b"order_id,customer_id,ordered_at,status,gross_amount\nO1,C1,2025-01-01,completed,1,9\n",
     "line 2: 6 fields, the header has 5"),
    (b"order_id,customer_id,ordered_at,status,gross_amount\nO1,C\xe9,2025-01-01,completed,1\n",
     "line 2: not UTF-8"),
])
def test_malformed_csv_is_named_with_file_and_line(
        tmp_path: Path, published: Path, content: bytes, message: str) -> None:
    folder = generate(tmp_path / "csv", "--format", "csv")
    (folder / "orders.csv").write_bytes(content)
    warehouse = copy_warehouse(published, tmp_path)
    done = build(warehouse, folder)
    assert done.returncode != 0
    assert f"raw file {folder / 'orders.csv'}" in done.stdout and message in done.stdout


def leaks(database: Path) -> list[str]:
    with duckdb.connect(str(database), read_only=True) as con:
        return columns_with_personal_data(con)


def test_no_schema_of_the_served_file_holds_an_email_or_phone_number(published: Path) -> None:
    assert leaks(published / "loyalty.duckdb") == []


def test_the_served_file_is_in_a_storage_format_duckdb_1_5_reads(published: Path) -> None:
    # DuckDB 2.0 writes files 1.x readers cannot open unless told otherwise (profiles.yml)
    with duckdb.connect(str(published / "loyalty.duckdb"), read_only=True) as con:
        tags = con.execute("select tags from duckdb_databases() "
                           "where database_name = current_database()").fetchone()[0]
    assert tags["storage_version"] == "v1.5.0+"


def test_the_personal_data_scan_finds_a_planted_address(published: Path, tmp_path: Path) -> None:
    leaky = tmp_path / "leaky.duckdb"
    shutil.copy(published / "loyalty.duckdb", leaky)
    with duckdb.connect(str(leaky)) as con:
        con.execute("update main.dim_customers set city = 'ivan.petrov1@example.com' "
                    "where customer_id = (select min(customer_id) from main.dim_customers)")
        con.execute("update staging.base_orders set promo_code = 'call me: +359 88 123 4567' "
                    "where order_id = (select min(order_id) from staging.base_orders)")
    assert leaks(leaky) == ["main.dim_customers.city", "staging.base_orders.promo_code"]


PERSONAL_COMMENT = "reach me at ivan.petrov@example.com or +359 88 123 4567"


def with_customers_changed(source: Path, target: Path, change: dict[str, str]) -> Path:
    shutil.copytree(source, target)
    with duckdb.connect() as con:
        customers = con.execute(f"select * from '{source}/customers.parquet'").df()
        surveys = con.execute(f"select * from '{source}/survey_responses.parquet'").df()
    for column, value in change.items():
        customers.loc[customers.index[:3], column] = value
    surveys.loc[surveys.index[:2], "comment"] = PERSONAL_COMMENT
    customers.to_parquet(target / "customers.parquet", index=False)
    surveys.to_parquet(target / "survey_responses.parquet", index=False)
    return target


def test_free_text_is_scrubbed_and_personal_data_elsewhere_stops_the_publish(
        published: Path, folders: dict[str, Path], tmp_path: Path) -> None:
    """Comments with an address and a number are scrubbed; an address where no one expects
    one (a city) stops the publish, and is the only personal data the scan finds."""
    leaky = with_customers_changed(folders["a"], tmp_path / "city", {"city": "ivan@example.com"})
    warehouse = copy_warehouse(published, tmp_path)
    before = orders_served(warehouse)
    done = build(warehouse, leaky, data_tests=False)
    assert done.returncode != 0
    assert "personal data" in done.stdout and "main.dim_customers.city" in done.stdout
    assert "served database is unchanged" in done.stdout
    assert orders_served(warehouse) == before
    candidate = publish.Warehouse(warehouse).candidate
    found = leaks(candidate)
    assert "main.dim_customers.city" in found and all(c.endswith(".city") for c in found), found
    with duckdb.connect(str(candidate), read_only=True) as con:
        assert con.execute("select count(*) from main.fct_survey_responses "
                           "where comment = 'reach me at [email] or [phone]'").fetchone()[0] == 2


def test_incremental_build_adds_a_new_batch_to_the_served_warehouse(
        published: Path, folders: dict[str, Path], tmp_path: Path) -> None:
    warehouse = copy_warehouse(published, tmp_path)
    before = orders_served(warehouse)
    data = tmp_path / "data"
    shutil.copytree(folders["a"], data)
    (data / "orders").mkdir()
    with duckdb.connect() as con:  # ten more orders on the last day, by known customers
        con.execute(f"copy (select * replace ('N' || order_id as order_id, "
                    f"(select max(ordered_at) from '{data}/orders.parquet') as ordered_at) "
                    f"from '{data}/orders.parquet' order by order_id limit 10) "
                    f"to '{data}/orders/002.parquet'")
    done = build(warehouse, data, ROOT, "--incremental")
    assert done.returncode == 0, done.stdout[-3000:]
    assert "copy the served warehouse" in done.stdout
    # the same code and arguments as the served build: its unit tests are not run again
    assert "unit tests not run again" in done.stdout
    assert orders_served(warehouse) == before + 10
    with duckdb.connect(str(warehouse / "loyalty.duckdb"), read_only=True) as con:
        assert con.execute("select max(load_batch) from main.fct_orders").fetchone()[0] == 2


def test_an_emptied_table_is_announced_and_a_large_drop_fails(
        published: Path, folders: dict[str, Path], tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(folders["a"], data)
    with duckdb.connect() as con:  # the survey file keeps its columns and loses its rows
        con.execute(f"copy (select * from '{folders['a']}/survey_responses.parquet' limit 0) "
                    f"to '{data}/survey_responses.parquet'")
    warehouse = copy_warehouse(published, tmp_path)
    before = orders_served(warehouse)
    done = build(warehouse, data, data_tests=False)
    assert done.returncode != 0
    assert "WARNING: survey_responses is empty" in done.stdout
    assert "raw rows dropped by more than 50%" in done.stdout
    assert "survey_responses" in done.stdout.split("raw rows dropped")[1]
    # the candidate left for inspection passes a raised limit, still announcing the empty
    # table, and the gate
    candidate = publish.Warehouse(warehouse).candidate
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        publish.row_count_audit(candidate, warehouse / "loyalty.duckdb", 1.0)
    assert "WARNING: survey_responses is empty" in printed.getvalue()
    assert_gate_passes(candidate, tmp_path / "gx")
    assert orders_served(warehouse) == before
