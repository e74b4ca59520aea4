"""Scale XL (issue 17's stretch): 10M customers, about 94M orders, built whole once.

The generator simulates a scale in memory (2.6 GiB at L), so XL is made of ten L shards,
each generated with its own seed (seed + shard) and made disjoint by putting the shard's
digit after each id's letters (C0000001 of shard 3 is C30000001, WB001 is WB3001): ten
shops of a million customers each, every planted effect in each. One run measures the
whole `loyalty build` command on it (time, peak RSS, its dbt and GX steps) and the copy
floor; the incremental run and the SQL floor are left to the smaller scales.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb

from .bench import copy_floor_seconds, machine, step_seconds, timed, written_notes
from .generator import SCALES, GeneratorConfig

SHARDS = 10
# every id column of the raw tables (SPEC section 3), keys and references alike
ID_COLUMNS = {"customer_id", "order_id", "ticket_id", "response_id", "event_id", "touch_id",
              "campaign_id"}


def _shard(number: int, customers: int, root: Path) -> tuple[Path, float, float]:
    folder = root / "shards" / f"{number:02d}"
    if (folder / "_manifest.json").exists():
        return folder, 0.0, 0.0
    # L's purchase rate at any size (with the default --scale S, S's would apply)
    seconds, peak = timed([str(Path(sys.executable).parent / "loyalty"), "generate", "--scale",
                           "L", "--customers", str(customers), "--seed",
                           str(GeneratorConfig.seed + number), "--out", str(folder),
                           "--format", "parquet"],
                          dict(os.environ), root / f"generate-shard-{number:02d}.log")
    return folder, seconds, peak


def _merged_column(column: str, shard: int) -> str:
    if column in ID_COLUMNS:
        return f"regexp_replace(\"{column}\", '^([A-Z]+)', '\\1{shard}') as \"{column}\""
    if column == "name":  # campaign names: one wave per shard
        return f"\"name\" || ' (shop {shard})' as \"name\""
    return f'"{column}"'


def xl_dataset(root: Path, shards: int = SHARDS, customers: int = SCALES["L"]
               ) -> tuple[Path, float, float]:
    """The XL folder (one batch file per table) of `shards` shops of `customers` each, made
    on first use: the seconds of generating (two at a time) and merging its shards and the
    largest shard's peak MiB."""
    folder = root / "XL"
    if (folder / "_manifest.json").exists():
        return folder, 0.0, 0.0
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        made = list(pool.map(lambda number: _shard(number, customers, root), range(shards)))
    manifests = [json.loads((shard / "_manifest.json").read_text()) for shard, _, _ in made]
    folder.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        con.execute("set preserve_insertion_order = false")
        for table in manifests[0]["raw_rows"]:
            columns = [row[0] for row in con.execute(
                f"describe select * from '{made[0][0]}/{table}.parquet'").fetchall()]
            union = " union all ".join(
                f"select {', '.join(_merged_column(c, number) for c in columns)} "
                f"from '{shard}/{table}.parquet'" for number, (shard, _, _) in enumerate(made))
            (folder / table).mkdir(exist_ok=True)
            con.execute(f"copy ({union}) to '{folder / table / '001.parquet'}' (format parquet)")
    manifest = {**manifests[0], "customers": customers * shards, "shards": shards,
                "raw_rows": {table: sum(m["raw_rows"][table] for m in manifests)
                             for table in manifests[0]["raw_rows"]}}
    (folder / "_manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    shutil.rmtree(root / "shards")
    return folder, time.perf_counter() - started, max(peak for _, _, peak in made)


def run(project: Path, root: Path, out: Path) -> int:
    folder, generate_seconds, generate_peak = xl_dataset(root)
    work = root / "runs" / "XL"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    print("[XL] whole build command (loyalty build)", flush=True)
    log = work / "build.log"
    build_seconds, peak = timed(
        [str(Path(sys.executable).parent / "loyalty"), "build", "--docs-dir", str(work / "gx")],
        {**os.environ, "DBT_PROFILES_DIR": str(project), "LOYALTY_DATA_DIR": str(folder),
         "LOYALTY_WAREHOUSE_DIR": str(work / "full"), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        log)
    print("[XL] copy floor", flush=True)
    copy_floor = copy_floor_seconds(folder, work / "copy_floor.duckdb")
    rows = json.loads((folder / "_manifest.json").read_text())["raw_rows"]
    generate = (f"{generate_seconds:.0f} / {generate_peak:,.0f}" if generate_seconds
                else "cached")
    table = "\n".join([
        "| scale | customers | orders | generate s (10 shards, 2 at a time) / shard peak MiB "
        "| build s | peak RSS MiB | dbt s | GX s | copy floor s | build / copy floor |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| XL | {rows['customers']:,} | {rows['orders']:,} | {generate} | "
        f"{build_seconds:.1f} | {peak:,.0f} | {step_seconds(log, 'write: dbt build'):.1f} | "
        f"{step_seconds(log, 'audit: Great Expectations'):.1f} | {copy_floor:.1f} | "
        f"{build_seconds / copy_floor:.1f} |"])
    print(table)
    out.write_text(f"# Benchmark at scale XL\n\nMeasured {time.strftime('%Y-%m-%d')} on "
                   f"{machine()}: one run of `loyalty bench-xl`, ten scale-L shops with "
                   "disjoint ids (see src/loyalty_warehouse/bench_xl.py); columns as in "
                   f"docs/benchmark.md.\n\n{table}\n" + written_notes(out))
    print(f"written to {out}")
    return 0
