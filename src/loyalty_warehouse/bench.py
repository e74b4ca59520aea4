"""Benchmark: full dbt build (models + tests) per scale against a floor, the same
compiled model SQL run directly in one DuckDB connection without dbt, and an
incremental run for the last day of data on top of a build of the days before.

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
from pathlib import Path

import duckdb

from .compare import differences
from .generator import PURCHASE_RATE_BY_SCALE, SCALES, GeneratorConfig, generate_tables
from .generator.writer import write_manifest, write_tables
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
    build_seconds: float
    build_peak_mib: float
    floor_seconds: float
    incremental_seconds: float
    incremental_peak_mib: float
    incremental_equals_full: bool


def dataset(scale: str, root: Path) -> tuple[Path, float | None]:
    """The scale's Parquet folder, generated on first use."""
    folder = root / scale
    if (folder / "_manifest.json").exists():
        return folder, None
    started = time.perf_counter()
    cfg = GeneratorConfig(customers=SCALES[scale],
                          purchase_rate_multiplier=PURCHASE_RATE_BY_SCALE[scale])
    print(f"[{scale}] generating {SCALES[scale]:,} customers", flush=True)
    tables = generate_tables(cfg, progress=lambda line: print(line, flush=True))
    write_tables(tables, folder, "parquet")
    write_manifest(folder / "_manifest.json", {
        "seed": cfg.seed, "customers": cfg.customers,
        "raw_rows": {name: len(frame) for name, frame in tables.items()}})
    return folder, time.perf_counter() - started


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


def split_last_day(source: Path, folder: Path) -> Path:
    """Write the scale's tables as batch folders: <table>/001.parquet holds the days
    before the last order date; the last day's rows go to a pending folder (batch 002)."""
    pending = folder / "_pending"
    shutil.rmtree(folder, ignore_errors=True)
    pending.mkdir(parents=True)
    with duckdb.connect() as con:
        last_day = con.execute(f"select max(ordered_at)::date from '{source}/orders.parquet'"
                               ).fetchone()[0]
        for file in sorted(source.glob("*.parquet")):
            (folder / file.stem).mkdir()
            column = TIME_COLUMNS.get(file.stem)
            if column is None:
                shutil.copy(file, folder / file.stem / "001.parquet")
                continue
            for target, condition in ((folder / file.stem / "001.parquet", "<"),
                                      (pending / f"{file.stem}.parquet", ">=")):
                con.execute(f"copy (select * from '{file}' where {column}::date {condition} "
                            f"'{last_day}') to '{target}'")
    return pending


def bench_scale(project: Path, scale: str, root: Path) -> ScaleResult:
    source, generate_time = dataset(scale, root)
    work = root / "runs" / scale
    folder = work / "data"
    pending = split_last_day(source, folder)
    for sub in ("incremental", "full", "floor"):
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
    dbt_build(incremental_db, "history")
    for file in pending.glob("*.parquet"):
        shutil.move(file, folder / file.stem / "002.parquet")
    print(f"[{scale}] incremental run: the last day's files", flush=True)
    incremental_time, incremental_peak = dbt_build(incremental_db, "incremental")
    full_db = work / "full" / "loyalty.duckdb"
    print(f"[{scale}] full build (models + tests) of the same files", flush=True)
    build_time, peak = dbt_build(full_db, "build", "--full-refresh")
    differing = differences(incremental_db, full_db)
    equal = not differing
    print(f"[{scale}] incremental warehouse equals the full build: {equal}", flush=True)
    for line in differing:
        print(f"    {line}", flush=True)
    print(f"[{scale}] floor: compiled model SQL in one DuckDB connection", flush=True)
    floor = floor_seconds(project, full_db.parent / "target", work / "floor" / "loyalty.duckdb")
    manifest = json.loads((source / "_manifest.json").read_text())
    return ScaleResult(scale, manifest["raw_rows"], generate_time, build_time, peak, floor,
                       incremental_time, incremental_peak, equal)


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
    lines = ["| scale | customers | orders | surveys | tickets | loyalty events | generate s "
             "| full build s | floor s | build / floor | incremental s | incremental / full "
             "| peak RSS MiB (full / incremental) | incremental = full |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        rows = r.raw_rows
        generate = f"{r.generate_seconds:.1f}" if r.generate_seconds is not None else "cached"
        lines.append(
            f"| {r.scale} | {rows['customers']:,} | {rows['orders']:,} | "
            f"{rows['survey_responses']:,} | {rows['support_tickets']:,} | "
            f"{rows['loyalty_events']:,} | {generate} | {r.build_seconds:.1f} | "
            f"{r.floor_seconds:.1f} | {r.build_seconds / r.floor_seconds:.2f} | "
            f"{r.incremental_seconds:.1f} | {r.incremental_seconds / r.build_seconds:.2f} | "
            f"{r.build_peak_mib:,.0f} / {r.incremental_peak_mib:,.0f} | "
            f"{'yes' if r.incremental_equals_full else '**no**'} |")
    by_scale = {r.scale: r for r in results}
    if "M" in by_scale and "L" in by_scale:
        lines += ["", f"time(L) / time(M) = "
                  f"{by_scale['L'].build_seconds / by_scale['M'].build_seconds:.1f} "
                  f"for {by_scale['L'].raw_rows['orders'] / by_scale['M'].raw_rows['orders']:.1f}"
                  "x the orders"]
    return "\n".join(lines)


def run(project: Path, scales: list[str], root: Path, out: Path) -> int:
    results = [bench_scale(project, scale, root) for scale in scales]
    table = report(results)
    if not all(r.incremental_equals_full for r in results):
        print("error: an incremental warehouse differs from its full build")
    print(table)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(f"# Benchmark\n\nMeasured {time.strftime('%Y-%m-%d')} on {machine()}.\n"
                   "Full build = `dbt build` (models, data tests, unit tests) on the Parquet "
                   "folder of the scale; floor = the same compiled model SQL run in one "
                   "DuckDB connection without dbt and without tests (views stay views); "
                   "incremental = `dbt build` (models + tests) after the last day's files "
                   "(batch 002 of every dated table) join a warehouse built from the days "
                   "before, and "
                   "incremental = full says whether every table then equals the full "
                   "build's. Whole-process wall times of one run: read them as ratios."
                   "\n\n" + table + "\n")
    print(f"benchmark written to {out}")
    return 0 if all(r.incremental_equals_full for r in results) else 1
