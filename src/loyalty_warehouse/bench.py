"""Benchmark per scale: the whole build command (`loyalty build`: dbt build with every
test, the audits, Great Expectations, publish) against two floors: the copy floor (read
every raw file and write it as a DuckDB table, nothing else: what any build must at
least do) and the SQL floor (the project's compiled model SQL run in one DuckDB
connection without dbt and without tests); an incremental dbt run for the last day of
data on top of a build of the days before; and the generator's time and memory.

Timings are whole-process wall times measured in one run, so compare them as ratios.
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from .compare import differences
from .generator import SCALES
from .raw_files import OWN_TIMESTAMP

# Runs a command and prints the peak resident memory (KiB) of its process tree.
PEAK_RSS = ("import resource, subprocess, sys; "
            "code = subprocess.run(sys.argv[1:]).returncode; "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
            "sys.exit(code)")


@dataclass
class ScaleResult:
    scale: str
    raw_rows: dict[str, int]
    generate_seconds: float | None
    generate_peak_mib: float | None
    build_seconds: float
    build_peak_mib: float
    dbt_seconds: float
    gx_seconds: float
    copy_floor_seconds: float
    floor_seconds: float
    batch_orders: int
    incremental_seconds: float
    incremental_peak_mib: float
    incremental_equals_full: bool


def dataset(scale: str, root: Path) -> tuple[Path, float | None, float | None]:
    """The scale's Parquet folder, generated on first use by `loyalty generate` (its wall
    seconds and peak RSS MiB; None when the folder was there already)."""
    folder = root / scale
    if (folder / "_manifest.json").exists():
        return folder, None, None
    print(f"[{scale}] generating {SCALES[scale]:,} customers", flush=True)
    root.mkdir(parents=True, exist_ok=True)
    seconds, peak = timed([str(Path(sys.executable).parent / "loyalty"), "generate", "--scale",
                           scale, "--out", str(folder), "--format", "parquet"],
                          dict(os.environ), root / f"generate-{scale}.log")
    return folder, seconds, peak


def timed(command: list[str], env: dict[str, str], log: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of a command; raises when it fails."""
    started = time.perf_counter()
    with log.open("w") as out:
        done = subprocess.run([sys.executable, "-c", PEAK_RSS, *command], env=env,
                              stdout=out, stderr=subprocess.PIPE, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:3])} failed; see {log}")
    return seconds, int(done.stderr.strip().splitlines()[-1]) / 1024


class _DbtShim:
    """What a dbt-duckdb Python model uses of its `dbt` argument: ref() and config()."""

    def __init__(self, con: duckdb.DuckDBPyConnection, relations: dict[str, str]) -> None:
        self.con, self.relations = con, relations

    def ref(self, name: str) -> duckdb.DuckDBPyRelation:
        return self.con.table(self.relations[name])

    def config(self, **_: object) -> None:
        return None


def run_python_model(con: duckdb.DuckDBPyConnection, path: Path, node: dict,
                     nodes: dict[str, dict]) -> None:
    """A dbt Python model run in the floor's connection, as dbt-duckdb runs it."""
    spec = importlib.util.spec_from_file_location(node["name"], path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    relations = {n["name"]: f"{n['schema']}.{n['alias']}" for n in nodes.values()}
    frame = module.model(_DbtShim(con, relations), con)
    con.execute(f"create schema if not exists {node['schema']}")
    con.register("python_model_result", frame)
    con.execute(f"create or replace table {node['schema']}.{node['alias']} as "
                "select * from python_model_result")
    con.unregister("python_model_result")


def copy_floor_seconds(folder: Path, database: Path) -> float:
    """Read every raw file of the folder and write it as a DuckDB table, nothing else."""
    database.unlink(missing_ok=True)
    started = time.perf_counter()
    with duckdb.connect(str(database)) as con:
        for table in sorted(p for p in folder.iterdir() if p.is_dir() and p.name in OWN_TIMESTAMP):
            con.execute(f"create table {table.name} as "
                        f"select * from read_parquet('{table}/*.parquet')")
    return time.perf_counter() - started


def step_seconds(log: Path, step: str) -> float:
    """Seconds of one step of `loyalty build`, from its own log ("== step" ... "done in")."""
    lines = log.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"== {step}"))
    done = next(line for line in lines[start:] if line.strip().startswith("done in"))
    return float(done.split()[2])


def floor_seconds(project: Path, target: Path, database: Path) -> float:
    """Execute the compiled SQL of every model in dependency order, in one connection,
    materialised as dbt does (views stay views)."""
    manifest = json.loads((target / "manifest.json").read_text())
    nodes = {uid: n for uid, n in manifest["nodes"].items() if n["resource_type"] == "model"}
    order: list[str] = []
    seen: set[str] = set()

    def visit(uid: str) -> None:
        if uid in seen or uid not in nodes:
            return
        seen.add(uid)
        for parent in nodes[uid]["depends_on"]["nodes"]:
            visit(parent)
        order.append(uid)

    for uid in sorted(nodes):
        visit(uid)
    database.unlink(missing_ok=True)
    started = time.perf_counter()
    with duckdb.connect(str(database)) as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute("create schema if not exists reference")
        for seed in sorted((project / "seeds" / "reference").glob("*.csv")):
            con.execute(f"create table reference.{seed.stem} as "
                        f"select * from read_csv('{seed}', header = true)")
        for uid in order:
            node = nodes[uid]
            if node.get("language") == "python":
                run_python_model(con, project / node["original_file_path"], node, nodes)
                continue
            compiled = (target / "compiled" / node["package_name"] /
                        node["original_file_path"]).read_text()
            kind = "view" if node["config"]["materialized"] == "view" else "table"
            con.execute(f"create schema if not exists {node['schema']}")
            con.execute(f"create or replace {kind} {node['schema']}.{node['alias']} as "
                        f"({compiled})")
    return time.perf_counter() - started


# the dated tables split into batches by their own timestamp (campaigns are few and stay
# whole in the first batch)
TIME_COLUMNS = {table: column for table, column in OWN_TIMESTAMP.items()
                if table != "campaigns"}


def last_day(source: Path) -> date:
    """The day whose rows form the incremental batch: the extract's last day (the
    generator's manifest says which), else the last order date. A generated extract ends
    with a whole day and may hold a few planted rows after it (at L one order at midnight
    of the next day): the last order date alone would make the batch those few rows."""
    manifest = source / "_manifest.json"
    if manifest.exists() and "extract_date" in (facts := json.loads(manifest.read_text())):
        return date.fromisoformat(facts["extract_date"])
    with duckdb.connect() as con:
        (day,) = con.execute(f"select max(ordered_at)::date from '{source}/orders.parquet'"
                             ).fetchall()[0]
    if day is None:
        raise ValueError(f"{source}/orders.parquet has no order date: no day to split off")
    return day


def split_last_day(source: Path, folder: Path) -> tuple[Path, int]:
    """Write the scale's tables as batch folders: <table>/001.parquet holds the days
    before the last day (last_day); that day's rows and any later ones go to a pending
    folder (batch 002). Returns the pending folder and the orders it holds."""
    pending = folder / "_pending"
    shutil.rmtree(folder, ignore_errors=True)
    pending.mkdir(parents=True)
    day = last_day(source)
    with duckdb.connect() as con:
        for file in sorted(source.glob("*.parquet")):
            (folder / file.stem).mkdir()
            column = TIME_COLUMNS.get(file.stem)
            if column is None:
                shutil.copy(file, folder / file.stem / "001.parquet")
                continue
            for target, condition in ((folder / file.stem / "001.parquet", "<"),
                                      (pending / f"{file.stem}.parquet", ">=")):
                con.execute(f"copy (select * from '{file}' where {column}::date {condition} "
                            f"'{day}') to '{target}'")
        (orders,) = con.execute(f"select count(*) from '{pending}/orders.parquet'"
                                ).fetchall()[0]
    return pending, orders


def bench_scale(project: Path, scale: str, root: Path) -> ScaleResult:
    source, generate_time, generate_peak = dataset(scale, root)
    work = root / "runs" / scale
    folder = work / "data"
    pending, batch_orders = split_last_day(source, folder)
    for sub in ("incremental", "full", "floor", "copy_floor"):
        (work / sub).mkdir(parents=True, exist_ok=True)
        (work / sub / "loyalty.duckdb").unlink(missing_ok=True)
    dbt = str(Path(sys.executable).parent / "dbt")

    def dbt_build(database: Path, name: str, *extra: str) -> tuple[float, float]:
        env = {**os.environ, "DBT_PROFILES_DIR": str(project), "LOYALTY_DATA_DIR": str(folder),
               "LOYALTY_DUCKDB_PATH": str(database), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
        return timed([dbt, "build", "--exclude", "path:seeds/raw", *extra, "--target-path",
                      str(database.parent / "target"), "--log-path", str(work / "logs")],
                     env, work / f"{name}.log")

    incremental_db = work / "incremental" / "loyalty.duckdb"
    print(f"[{scale}] build of every day but the last (the base of the incremental run)",
          flush=True)
    # models only: the history is the starting point, not what is measured
    dbt_build(incremental_db, "history", "--exclude-resource-type", "test", "unit_test")
    for file in pending.glob("*.parquet"):
        shutil.move(file, folder / file.stem / "002.parquet")
    print(f"[{scale}] incremental run: the last day's files", flush=True)
    # as `loyalty build --incremental` runs it on the code of the served build: the unit
    # tests passed on that code and read no data (code_version)
    incremental_time, incremental_peak = dbt_build(incremental_db, "incremental",
                                                   "--exclude-resource-type", "unit_test")
    full_db = work / "full" / "loyalty.duckdb"
    print(f"[{scale}] whole build command of the same files (loyalty build)", flush=True)
    build_log = work / "build.log"
    build_time, peak = timed(
        [str(Path(sys.executable).parent / "loyalty"), "build", "--docs-dir", str(work / "gx")],
        {**os.environ, "DBT_PROFILES_DIR": str(project), "LOYALTY_DATA_DIR": str(folder),
         "LOYALTY_WAREHOUSE_DIR": str(full_db.parent), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        build_log)
    differing = differences(incremental_db, full_db)
    equal = not differing
    print(f"[{scale}] incremental warehouse equals the full build: {equal}", flush=True)
    for line in differing:
        print(f"    {line}", flush=True)
    print(f"[{scale}] copy floor: every raw file written as a DuckDB table", flush=True)
    copy_floor = copy_floor_seconds(folder, work / "copy_floor" / "loyalty.duckdb")
    print(f"[{scale}] SQL floor: compiled model SQL in one DuckDB connection", flush=True)
    floor = floor_seconds(project, full_db.parent / "target", work / "floor" / "loyalty.duckdb")
    manifest = json.loads((source / "_manifest.json").read_text())
    return ScaleResult(scale, manifest["raw_rows"], generate_time, generate_peak, build_time,
                       peak, step_seconds(build_log, "write: dbt build"),
                       step_seconds(build_log, "audit: Great Expectations"), copy_floor, floor,
                       batch_orders, incremental_time, incremental_peak, equal)


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory_kib = next(int(line.split()[1]) for line in
                      Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal"))
    return (f"{os.cpu_count()} cores ({cpu}), {memory_kib / 1024 / 1024:.0f} GiB, "
            f"Python {platform.python_version()}, DuckDB {duckdb.__version__}")


def report(results: list[ScaleResult]) -> str:
    lines = ["| scale | customers | orders | surveys | tickets | loyalty events "
             "| generate s / peak MiB | build s | peak RSS MiB | dbt s | GX s | copy floor s "
             "| build / copy floor | SQL floor s | batch orders | incremental s "
             "| incremental / dbt | incremental peak MiB | incremental = full |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:"
             "|---:|---:|---:|"]
    for r in results:
        rows = r.raw_rows
        generate = (f"{r.generate_seconds:.1f} / {r.generate_peak_mib:,.0f}"
                    if r.generate_seconds is not None and r.generate_peak_mib is not None
                    else "cached")
        lines.append(
            f"| {r.scale} | {rows['customers']:,} | {rows['orders']:,} | "
            f"{rows['survey_responses']:,} | {rows['support_tickets']:,} | "
            f"{rows['loyalty_events']:,} | {generate} | {r.build_seconds:.1f} | "
            f"{r.build_peak_mib:,.0f} | {r.dbt_seconds:.1f} | {r.gx_seconds:.1f} | "
            f"{r.copy_floor_seconds:.1f} | {r.build_seconds / r.copy_floor_seconds:.1f} | "
            f"{r.floor_seconds:.1f} | {r.batch_orders:,} | {r.incremental_seconds:.1f} | "
            f"{r.incremental_seconds / r.dbt_seconds:.2f} | {r.incremental_peak_mib:,.0f} | "
            f"{'yes' if r.incremental_equals_full else '**no**'} |")
    by_scale = {r.scale: r for r in results}
    if "M" in by_scale and "L" in by_scale:
        lines += ["", f"time(L) / time(M) = "
                  f"{by_scale['L'].build_seconds / by_scale['M'].build_seconds:.1f} "
                  f"for {by_scale['L'].raw_rows['orders'] / by_scale['M'].raw_rows['orders']:.1f}"
                  "x the orders"]
    return "\n".join(lines)


def written_notes(out: Path) -> str:
    """The report's hand-written sections (from its first `## ` heading on), which a new
    run keeps below its table."""
    text = out.read_text() if out.exists() else ""
    start = text.find("\n## ")
    return "" if start < 0 else text[start:]


def run(project: Path, scales: list[str], root: Path, out: Path) -> int:
    results = [bench_scale(project, scale, root) for scale in scales]
    table = report(results)
    if not all(r.incremental_equals_full for r in results):
        print("error: an incremental warehouse differs from its full build")
    print(table)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(f"# Benchmark\n\nMeasured {time.strftime('%Y-%m-%d')} on {machine()}.\n"
                   "Build = the whole `loyalty build` command (what `bin/warehouse build` "
                   "runs: dbt build with every model, data test and unit test, the audits, "
                   "the Great Expectations suites, the personal-data scan, publish) on the "
                   "Parquet folder of the scale, with its peak RSS; dbt s and GX s are two "
                   "of its steps. Copy floor = read every raw Parquet file and write it as "
                   "a DuckDB table, nothing else. SQL floor = the project's compiled model "
                   "SQL run in one DuckDB connection without dbt and without tests. "
                   "Incremental = `dbt build` (models and data tests; unit tests left "
                   "out, as `loyalty build --incremental` leaves them out on the code of "
                   "the served build) after the last day's files "
                   "(batch 002 of every dated table: the rows of the extract's last day, "
                   "the manifest's extract_date, and after; batch orders = its orders) join "
                   "a warehouse built from the days before, against the build's dbt step; "
                   "incremental = full says whether every table then equals the full "
                   "build's. Generate = `loyalty generate "
                   "--format parquet` (cached when the folder existed). Whole-process wall "
                   "times of one run: read them as ratios."
                   "\n\n" + table + "\n" + written_notes(out))
    print(f"benchmark written to {out}")
    return 0 if all(r.incremental_equals_full for r in results) else 1
