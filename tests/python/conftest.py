"""Shared helpers: run dbt against a scratch DuckDB file, generate data folders."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from loyalty_warehouse import preloaded
from loyalty_warehouse.cli import main as loyalty_main

ROOT = Path(__file__).resolve().parents[2]
SMALL = "600"  # customers in generated test folders: enough for every kind of row
# as bin/warehouse does: numpy, imported in a dbt thread, would add and delete these
# while other threads read the environment
for _blas in ("OPENBLAS_MAIN_FREE", "GOTOBLAS_MAIN_FREE"):
    os.environ.setdefault(_blas, "1")


@dataclass
class DbtRun:
    returncode: int
    output: str
    database: Path

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.database), read_only=True) as con:
            return con.execute(sql).fetchall()

    def scalar(self, sql: str) -> object:
        return self.query(sql)[0][0]


def dbt_env(database: Path, data_dir: Path | None = None) -> dict[str, str]:
    """The environment of dbt (and mf) against one DuckDB file and one way in."""
    return {**os.environ, "DBT_PROFILES_DIR": str(ROOT), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "LOYALTY_DUCKDB_PATH": str(database), "LOYALTY_DATA_DIR": str(data_dir or "")}


# dbt's parsed project, per database file name and --vars, from this process's first run:
# a full parse costs every run a few seconds (removed when the process exits)
_PARSED_DIR = tempfile.TemporaryDirectory(prefix="dbt-parsed-")
_PARSED = Path(_PARSED_DIR.name)


def run_dbt(args: list[str], database: Path, data_dir: Path | None = None,
            dbt_vars: str | None = None) -> DbtRun:
    """dbt in the database's folder, on the database's bare file name: dbt parses again
    whenever the profile (the path) or dbt_project.yml's environment changes, so every run
    here shares one profile and starts from the saved parse of an earlier one (dbt's
    partial parsing then re-reads only the files whose inputs changed, a new data folder
    included)."""
    folder = database.parent
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "target"
    env = {**dbt_env(database, data_dir), "LOYALTY_DUCKDB_PATH": database.name}
    command = [*args, "--project-dir", str(ROOT), "--target-path", str(target),
               "--log-path", str(folder / "logs")]
    if dbt_vars:
        command += ["--vars", dbt_vars]
    saved = _PARSED / hashlib.sha256(f"{database.name}|{dbt_vars}".encode()).hexdigest()
    parse = target / "partial_parse.msgpack"
    if saved.exists() and not parse.exists():
        target.mkdir(exist_ok=True)
        shutil.copyfile(saved, parse)
    returncode, output = preloaded.run("dbt", command, folder, env)
    if parse.exists() and not saved.exists():
        shutil.copyfile(parse, saved)
    return DbtRun(returncode, output, database)


def drop_constraints(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Replace a built table by a copy without its constraints: a table changed outside
    dbt, whose rows can break them."""
    con.execute(f"create or replace table {table} as select * from {table}")


def generate(folder: Path, *extra: str) -> Path:
    assert loyalty_main(["generate", "--out", str(folder), "--customers", SMALL, *extra]) == 0
    return folder


def without_values(path: Path, *columns: str) -> None:
    """Rewrite a Parquet file with columns of nulls only, as pandas writes them: without
    a type (Arrow's null type; DuckDB reads "NULL", Spark an int)."""
    table = pq.read_table(path)
    for column in columns:
        table = table.set_column(table.schema.get_field_index(column), column,
                                 pa.nulls(table.num_rows))
    pq.write_table(table, path)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that builds a warehouse of its own is slow (left out of --quick)."""
    for item in items:
        if "staging_build" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def default_build(tmp_path_factory: pytest.TempPathFactory) -> DbtRun:
    """The whole project built on the committed seeds (what the README's build does).

    LOYALTY_TEST_PREBUILT_DB names a file that `dbt build` already wrote from this
    project on the seeds: the mutation checks build each mutant once and hand it over,
    instead of building it a second time here.
    """
    prebuilt = os.environ.get("LOYALTY_TEST_PREBUILT_DB")
    if prebuilt:
        return DbtRun(0, f"prebuilt by the caller: {prebuilt}", Path(prebuilt))
    database = tmp_path_factory.mktemp("default") / "loyalty.duckdb"
    run = run_dbt(["build"], database)
    assert run.returncode == 0, run.output[-4000:]
    return run


@pytest.fixture
def staging_build(tmp_path: Path) -> Callable[..., DbtRun]:
    """Build only the staging layer on a data folder."""
    def build(data_dir: Path, dbt_vars: str | None = None) -> DbtRun:
        return run_dbt(["build", "--select", "staging"], tmp_path / "w.duckdb", data_dir,
                       dbt_vars)
    return build


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The figures each recomputation compared (recorded with record_property)."""
    lines = [value for report in terminalreporter.stats.get("passed", [])
             for name, value in report.user_properties if name == "figures_compared"]
    if lines:
        terminalreporter.section("figures recomputed from raw data and compared")
        for line in sorted(lines):
            terminalreporter.line(line)
        total = sum(int(line.rsplit(": ", 1)[1]) for line in lines)
        terminalreporter.line(f"total: {total} figures in {len(lines)} marts")
