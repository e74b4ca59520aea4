"""Write-audit-publish: build into a candidate DuckDB file, audit it, and only then
replace the served file atomically, keeping the previous one as a backup.

The served file is never opened for writing, so dashboards holding read-only
connections see the old data or the new, never a lock error or a half-built mart.
"""

from __future__ import annotations

import fcntl
import importlib
import os
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import duckdb

from . import children, code_version
from .personal_data import columns_with_personal_data
from .raw_files import OWN_TIMESTAMP, RAW_TABLES, check_folder


class BuildError(Exception):
    """A step failed; the served database was not touched."""


@dataclass(frozen=True)
class Warehouse:
    folder: Path

    @classmethod
    def from_env(cls) -> Warehouse:
        return cls(Path(os.environ.get("LOYALTY_WAREHOUSE_DIR", "warehouse")).resolve())

    @property
    def served(self) -> Path:
        return self.folder / "loyalty.duckdb"

    @property
    def backup(self) -> Path:
        return self.folder / "loyalty.previous.duckdb"

    @property
    def candidate(self) -> Path:
        return self.folder / "candidate" / "loyalty.duckdb"

    @property
    def lock(self) -> Path:
        return self.folder / ".build.lock"


@contextmanager
def build_lock(path: Path) -> Iterator[int]:
    """One build at a time per warehouse folder; the kernel drops the lock if we die.

    Yields the lock's file descriptor: a child given it keeps the lock held while it runs.
    """
    try:
        handle = path.open("a+")
    except OSError as error:
        raise BuildError(f"cannot open the build lock {path}: {error.strerror or error}") \
            from error
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise BuildError(f"another build is running on {path.parent} ({holder}); "
                         "refusing to start a second one") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
    handle.flush()
    try:
        yield handle.fileno()
    finally:
        handle.truncate(0)
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def _step(name: str) -> float:
    print(f"== {name}", flush=True)
    return time.perf_counter()


def _done(started: float) -> None:
    print(f"   done in {time.perf_counter() - started:.1f} s", flush=True)


def _import_beside(module: str) -> threading.Thread:
    """Import a module in a thread while the main one waits on another process: Great
    Expectations' import (about 3 s of CPU) then runs beside dbt, whose parse leaves a
    core idle, instead of at the gate. Started only once the raw files passed, so a build
    they stop does not pay it; an import that fails here fails again, with its error, where
    the module is used."""
    def load() -> None:
        with suppress(Exception):
            importlib.import_module(module)
    thread = threading.Thread(target=load, name=f"import {module}")
    thread.start()
    return thread


def prepare(warehouse: Warehouse) -> None:
    try:
        warehouse.candidate.parent.mkdir(parents=True, exist_ok=True)
        # a build killed mid-publish or mid-restore may have left its staged link behind
        for stale in (warehouse.candidate, warehouse.candidate.with_suffix(".duckdb.wal"),
                      warehouse.folder / ".previous.tmp", warehouse.folder / ".restore.tmp"):
            stale.unlink(missing_ok=True)
        probe = warehouse.candidate.parent / ".write-probe"
        probe.write_bytes(b"0" * 4096)
        probe.unlink()
    except OSError as error:
        raise BuildError(f"cannot write to the warehouse folder {warehouse.folder}: "
                         f"{error.strerror or error}") from error


# what DuckDB and the OS say when a write cannot grow a file
DISK_FULL = ("No space left on device", "File too large", "Disk quota exceeded")


def run_dbt(warehouse: Warehouse, dbt_args: list[str], lock_fd: int) -> None:
    """dbt build of the project in the current folder, run in the warehouse folder on the
    candidate's path relative to it: every warehouse folder then has the same profile, and
    dbt, which parses the whole project again when the profile changes, reuses the saved
    parse in target/ of a copied folder too."""
    project = Path.cwd()
    env = {**os.environ,
           "LOYALTY_DUCKDB_PATH": str(warehouse.candidate.relative_to(warehouse.folder))}
    command = [str(Path(sys.executable).parent / "dbt"), "build", "--project-dir", str(project),
               "--target-path", str(warehouse.folder / "target"),
               "--log-path", str(warehouse.folder / "logs")]
    if not env.get("DBT_PROFILES_DIR") and (project / "profiles.yml").exists():
        command += ["--profiles-dir", str(project)]  # as dbt run in the project would find it
    if env.get("LOYALTY_DATA_DIR"):
        command += ["--exclude", "path:seeds/raw"]
    returncode, full = children.run([*command, *dbt_args], env=env, pass_fds=[lock_fd],
                                    watch=DISK_FULL, cwd=warehouse.folder)
    if returncode != 0 and full:
        # a candidate that filled the disk is of no use for inspection: free the space
        for leftover in (warehouse.candidate, warehouse.candidate.with_suffix(".duckdb.wal")):
            leftover.unlink(missing_ok=True)
        raise BuildError(f"the disk holding {warehouse.folder} is full (or a file size limit "
                         f"was reached) while writing the candidate: {full[0][:200]}; the "
                         "candidate was removed to free the space")
    if returncode != 0:
        raise BuildError(f"dbt build failed (exit {returncode}): a model, test or "
                         "contract failed; see the output above")


def as_of_report(con: duckdb.DuckDBPyConnection) -> str:
    """Which as_of_date the build used, by which rule, and where the data ends."""
    as_of, data_end, bulk, future_after, rule = con.execute(
        "select as_of_date, data_end_date, orders_99_percent_date, future_after_date, "
        "as_of_date_rule from staging.base_as_of_bounds").fetchone()
    return (f"   as_of_date {as_of} ({rule}); data end {data_end} = the latest order date "
            f"within 31 days of {bulk}, the date by which 99% of the orders were placed; "
            f"rows dated after {future_after} are future_timestamp")


def quarantine_audit(database: Path, max_share: float) -> None:
    """Summarise quarantine per table; fail above max_share of a table's raw rows.
    Rows dated after as_of_date are sound (kept in staging, left out of the marts): they
    are reported, not counted as quarantined."""
    over = []
    with duckdb.connect(str(database), read_only=True) as con:
        print(as_of_report(con))
        as_of = "(select as_of_date from staging.base_as_of_bounds)"
        for table in RAW_TABLES:
            clean = con.execute(f"select count(*) from staging.stg_{table}").fetchone()[0]
            after = con.execute(
                f"select count(*) from staging.stg_{table} "
                f"where cast({OWN_TIMESTAMP[table]} as date) > {as_of}").fetchone()[0]
            reasons = con.execute(
                f"select quarantine_reason, count(*) from staging.stg_{table}__quarantine "
                "group by all order by 2 desc").fetchall()
            # superseded rows are earlier versions of corrected rows, not bad data
            quarantined = sum(count for reason, count in reasons if reason != "superseded")
            total = clean + sum(count for _, count in reasons)
            share = quarantined / total if total else 0.0
            detail = ", ".join(f"{reason} {count}" for reason, count in reasons) or "none"
            flag = "FAIL" if share > max_share else ("warn" if reasons else "ok")
            print(f"   {table:18s} {total:>10,} raw  {quarantined:>7,} quarantined "
                  f"({100 * share:.2f}%)  {after:,} rows after as_of_date  {flag}  "
                  f"{detail if reasons else ''}")
            if share > max_share:
                over.append(f"{table} {100 * share:.2f}%")
    if over:
        raise BuildError(f"quarantine above {100 * max_share:.2f}% of raw rows: "
                         + ", ".join(over) + " (set LOYALTY_MAX_QUARANTINE_SHARE to change)")


def row_count_audit(candidate: Path, served: Path, max_drop: float) -> None:
    """Raw rows per table against the served warehouse: a table that had rows and is empty
    now is announced loudly, and a drop of more than max_drop of a table's rows fails."""
    if not served.exists():
        return
    failed = []
    with duckdb.connect(str(candidate), read_only=True) as con:
        con.execute(f"attach '{served}' as served (read_only)")
        for table in RAW_TABLES:
            try:
                before = con.execute(
                    f"select count(*) from served.staging.base_{table}").fetchone()[0]
            except duckdb.CatalogException:
                continue  # served by a version without this table
            now = con.execute(f"select count(*) from staging.base_{table}").fetchone()[0]
            if before and not now:
                print(f"   WARNING: {table} is empty; the served warehouse has {before:,} "
                      "raw rows of it")
            if before and (before - now) / before > max_drop:
                failed.append(f"{table} {before:,} -> {now:,}")
    if failed:
        raise BuildError(f"raw rows dropped by more than {100 * max_drop:.0f}% against the "
                         "served warehouse: " + ", ".join(failed)
                         + " (set LOYALTY_MAX_ROW_DROP to accept, e.g. 1 for any drop)")


def remove_raw_copies_and_scan(database: Path) -> None:
    """The seeds' copy of the raw tables (schema raw) holds personal data as it arrived: it
    served the build and its tests and is not published. Then every text column left is
    scanned for e-mail addresses and phone numbers."""
    with duckdb.connect(str(database)) as con:
        con.execute("drop schema if exists raw cascade")
        leaks = columns_with_personal_data(con)
    if leaks:
        raise BuildError("personal data (an e-mail address or a phone number) in "
                         + ", ".join(leaks) + "; nothing published")


def publish(warehouse: Warehouse) -> None:
    """Atomic replace on the same filesystem; the previous served file becomes the backup."""
    with duckdb.connect(str(warehouse.candidate)) as con:
        con.execute("checkpoint")
    descriptor = os.open(warehouse.candidate, os.O_RDONLY)
    os.fsync(descriptor)
    os.close(descriptor)
    if warehouse.served.exists():
        staged_backup = warehouse.folder / ".previous.tmp"
        staged_backup.unlink(missing_ok=True)
        os.link(warehouse.served, staged_backup)
        os.replace(staged_backup, warehouse.backup)
    os.replace(warehouse.candidate, warehouse.served)
    directory = os.open(warehouse.folder, os.O_RDONLY)
    os.fsync(directory)
    os.close(directory)


def start_from_served(warehouse: Warehouse) -> None:
    """An incremental build writes on a copy of the served file, never on the file itself."""
    if not warehouse.served.exists():
        print("   no served warehouse yet: a full build")
        return
    try:
        shutil.copyfile(warehouse.served, warehouse.candidate)
    except OSError as error:
        raise BuildError(f"cannot copy {warehouse.served} to {warehouse.candidate}: "
                         f"{error.strerror or error}") from error


def build(dbt_args: list[str], max_share: float, docs_dir: Path,
          incremental: bool = False, max_drop: float = 0.5) -> int:
    warehouse = Warehouse.from_env()
    started = time.perf_counter()
    try:
        warehouse.folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        print(f"error: cannot create the warehouse folder {warehouse.folder}: {error.strerror}")
        return 1
    try:
        with build_lock(warehouse.lock) as lock_fd:
            prepare(warehouse)
            data_dir = os.environ.get("LOYALTY_DATA_DIR")
            if data_dir:
                tick = _step(f"check raw files in {data_dir}")
                problems = check_folder(Path(data_dir))
                if problems:
                    raise BuildError("bad raw files:\n  " + "\n  ".join(problems))
                _done(tick)
            if incremental:
                tick = _step(f"copy the served warehouse to the candidate {warehouse.candidate}")
                start_from_served(warehouse)
                _done(tick)
            code = code_version.fingerprint(dbt_args, bool(data_dir))
            gate_import = _import_beside(f"{__package__}.validate")
            tick = _step(f"write: dbt build into the candidate {warehouse.candidate}")
            unit_tests = []
            if code_version.stamped(warehouse.served) == code:
                print("   unit tests not run again: the code and dbt arguments are those of "
                      "the served build")
                unit_tests = ["--exclude-resource-type", "unit_test"]
            run_dbt(warehouse, [*dbt_args, *unit_tests], lock_fd)
            _done(tick)
            tick = _step("audit: quarantine per raw table")
            quarantine_audit(warehouse.candidate, max_share)
            _done(tick)
            tick = _step("audit: raw rows against the served warehouse")
            row_count_audit(warehouse.candidate, warehouse.served, max_drop)
            _done(tick)
            tick = _step("audit: Great Expectations suites")
            gate_import.join()
            from .validate import validate

            if validate(warehouse.candidate, docs_dir) != 0:
                raise BuildError("an expectation failed; see above")
            _done(tick)
            tick = _step("audit: no personal data in any schema")
            remove_raw_copies_and_scan(warehouse.candidate)
            _done(tick)
            tick = _step(f"publish: {warehouse.served}")
            code_version.stamp(warehouse.candidate, code)
            publish(warehouse)
            _done(tick)
    except (BuildError, children.Stopped) as error:
        print(f"error: {error}")
        if warehouse.candidate.exists():
            print(f"the served database is unchanged; the candidate is left for inspection "
                  f"at {warehouse.candidate}")
        else:
            print("the served database is unchanged")
        return 1
    previous = (f"previous version: {warehouse.backup}" if warehouse.backup.exists()
                else "first version, nothing to restore")
    print(f"published {warehouse.served} in {time.perf_counter() - started:.0f} s ({previous})")
    return 0


def restore() -> int:
    """Serve the backup again (the current served file becomes the backup)."""
    warehouse = Warehouse.from_env()
    if not warehouse.backup.exists():
        print(f"error: no backup at {warehouse.backup}")
        return 1
    try:
        with build_lock(warehouse.lock):
            swap = warehouse.folder / ".restore.tmp"
            swap.unlink(missing_ok=True)
            os.link(warehouse.backup, swap)
            if warehouse.served.exists():
                os.replace(warehouse.served, warehouse.backup)
            os.replace(swap, warehouse.served)
    except BuildError as error:
        print(f"error: {error}; nothing was restored")
        return 1
    except OSError as error:
        print(f"error: cannot restore in {warehouse.folder}: {error.strerror or error}")
        return 1
    print(f"restored: {warehouse.served} now serves the previous version; the replaced one "
          f"is kept at {warehouse.backup}")
    return 0
