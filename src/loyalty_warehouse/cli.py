"""`loyalty` command line: tooling around the dbt project."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from .generator import (
    PURCHASE_RATE_BY_SCALE,
    SCALES,
    GeneratorConfig,
    generate_tables,
    generate_typed_tables,
)
from .generator.dirty import inject
from .generator.writer import write_manifest, write_tables, write_typed_tables

SEEDS_DIR = Path("seeds/raw")


def _generate(args: argparse.Namespace) -> int:
    customers = args.customers or SCALES[args.scale]
    cfg = GeneratorConfig(customers=customers, seed=args.seed,
                          end=date.fromisoformat(args.end) if args.end else GeneratorConfig.end,
                          purchase_rate_multiplier=PURCHASE_RATE_BY_SCALE[args.scale])
    started = time.perf_counter()
    print(f"generating {customers:,} customers, {cfg.start} .. {cfg.end}, seed {cfg.seed}")
    manifest: dict[str, object] = {"seed": cfg.seed, "customers": customers,
                                   "start": str(cfg.start), "extract_date": str(cfg.end)}
    if args.format == "parquet" and not (args.dirty or args.seeds):
        # typed Parquet straight from the generator, without the detour through text
        typed = generate_typed_tables(cfg, progress=lambda line: print(line, flush=True))
        rows: dict[str, int] = {}
        for path, count in write_typed_tables(typed, Path(args.out)):
            rows[path.stem] = count
            print(f"  wrote {path} ({count:,} rows)", flush=True)
        manifest["raw_rows"] = rows
        write_manifest(Path(args.out) / "_manifest.json", manifest)
        print(f"done in {time.perf_counter() - started:.1f} s")
        return 0
    tables = generate_tables(cfg, progress=lambda line: print(line, flush=True))
    if args.dirty:
        tables, injected = inject(tables, args.dirty, cfg.seed)
        manifest["injected"] = injected
    manifest["raw_rows"] = {name: len(frame) for name, frame in tables.items()}
    if args.seeds:
        folder, fmt, prefix = SEEDS_DIR, "csv", "raw_"
    else:
        folder, fmt, prefix = Path(args.out), args.format, ""
    for path in write_tables(tables, folder, fmt, prefix=prefix):
        print(f"  wrote {path} ({len(tables[path.stem.removeprefix(prefix)]):,} rows)",
              flush=True)
    if args.dirty or not args.seeds:
        write_manifest(folder / "_manifest.json", manifest)
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from .validate import validate

    return validate(Path(args.database), Path(args.docs_dir))


def _mutate(args: argparse.Namespace) -> int:
    from .mutations import run

    return run(Path.cwd(), args.only, Path(args.report))


def _build(args: argparse.Namespace) -> int:
    from .publish import build

    dbt_args = args.dbt_args[1:] if args.dbt_args[:1] == ["--"] else args.dbt_args
    if args.target != "duckdb":
        return _spark_build(args.target, dbt_args)
    return build(dbt_args, args.max_quarantine_share, Path(args.docs_dir), args.incremental,
                 args.max_row_drop)


def _spark_build(target: str, dbt_args: list[str]) -> int:
    """dbt build on Spark: models, data tests, unit tests and contracts. The audit and
    the atomic publish of the served DuckDB file are DuckDB's (see the README)."""
    from .engines import EngineError, spark_build

    spark_dir = Path(os.environ.get("LOYALTY_SPARK_DIR",
                                    Path(os.environ.get("LOYALTY_WAREHOUSE_DIR", "warehouse"))
                                    / "spark"))
    data_dir = os.environ.get("LOYALTY_DATA_DIR")
    try:
        spark_build(spark_dir, Path(data_dir) if data_dir else None, target, dbt_args)
    except EngineError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"built and tested on Spark ({target}); tables in {spark_dir / 'tables'}")
    return 0


def _compare_engines(args: argparse.Namespace) -> int:
    from .engines import DataSet, EngineError, compare_engines

    started = time.perf_counter()
    folders = args.data_dir or ([os.environ["LOYALTY_DATA_DIR"]]
                                if os.environ.get("LOYALTY_DATA_DIR") else [])
    data_sets = [DataSet("default", None)] if args.default_data or not folders else []
    data_sets += [DataSet(f"data-{number}", Path(folder))
                  for number, folder in enumerate(folders, start=1)]
    try:
        dbt_args = args.dbt_args[1:] if args.dbt_args[:1] == ["--"] else args.dbt_args
        results = compare_engines(Path(args.work), data_sets, dbt_args)
    except EngineError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for data in data_sets:
        total, problems = results[data.label]
        for problem in problems:
            print(f"DIFFERENT {data.label}: {problem}")
        print(f"{data.label} ({data.folder or 'the committed seeds'}): "
              f"{total - len(problems)} of {total} tables equal")
    total = sum(compared for compared, _ in results.values())
    different = sum(len(problems) for _, problems in results.values())
    print(f"{total - different} of {total} tables equal "
          f"({time.perf_counter() - started:.0f} s)")
    return 1 if different else 0


def _restore(args: argparse.Namespace) -> int:
    from .publish import restore

    return restore()


def _bench(args: argparse.Namespace) -> int:
    from .bench import run

    scales = ["S", "M", "L"] if args.large else args.scales
    return run(Path.cwd(), scales, Path(args.data_root), Path(args.out))


def _bench_xl(args: argparse.Namespace) -> int:
    from .bench_xl import run

    return run(Path.cwd(), Path(args.data_root), Path(args.out))


def _clv_validate(args: argparse.Namespace) -> int:
    import tempfile

    from .cdnow import PAPER_BGNBD, run

    started = time.perf_counter()
    print("building the warehouse on the CDNOW sample (as_of_date 1997-09-30)...", flush=True)
    with tempfile.TemporaryDirectory(prefix="cdnow-") as workdir:
        result = run(Path.cwd(), Path(workdir), Path(args.out))
    for name, paper in PAPER_BGNBD.items():
        print(f"  {name:6s} fitted {result.parameters[name]:.4f}  paper {paper:.3f}")
    print(f"report: {args.out} ({time.perf_counter() - started:.0f} s)")
    return 0


def _dashboard(args: argparse.Namespace) -> int:
    from .children import replace_process

    env = {**os.environ, "LOYALTY_DASHBOARD_DB": str(Path(args.database).resolve())}
    app = Path(__file__).parent / "dashboard" / "app.py"
    command = [sys.executable, "-m", "streamlit", "run", str(app),
               "--server.port", str(args.port), "--server.headless", "true",
               "--browser.gatherUsageStats", "false", "--client.toolbarMode", "viewer",
               # a served dashboard does not reload its code: no file watcher polling
               "--server.fileWatcherType", "none"]
    print(f"dashboard on http://localhost:{args.port} over {env['LOYALTY_DASHBOARD_DB']}")
    # exec, not a child: a SIGTERM to this command reaches the server itself
    replace_process(command, env)
    return 0  # not reached


def _docs(args: argparse.Namespace) -> int:
    from .docs import DocsError, generate_docs, serve_docs

    out = Path(args.out).resolve()
    try:
        page = generate_docs(Path(args.database).resolve(), out)
    except DocsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"docs of {args.database}: {page} (one file, open it in a browser)")
    if args.serve:
        print(f"serving {out} on http://localhost:{args.port}")
        serve_docs(out, args.port)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="loyalty", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="write the raw tables of SPEC section 3")
    target = gen.add_mutually_exclusive_group(required=True)
    target.add_argument("--seeds", action="store_true",
                        help=f"write the committed default data set as dbt seeds ({SEEDS_DIR})")
    target.add_argument("--out", help="folder for one file per raw table")
    gen.add_argument("--format", choices=["csv", "parquet"], default="parquet")
    gen.add_argument("--scale", choices=sorted(SCALES), default="S",
                     help="S, M or L: " + ", ".join(f"{k}={v:,}" for k, v in SCALES.items()))
    gen.add_argument("--customers", type=int, help="exact number of customers (overrides scale)")
    gen.add_argument("--seed", type=int, default=GeneratorConfig.seed)
    gen.add_argument("--end", help="extract date, YYYY-MM-DD (default %(default)s)")
    gen.add_argument("--dirty", type=int, default=0, metavar="N",
                     help="inject N rows of each bad-input kind; text columns throughout")
    gen.set_defaults(func=_generate)

    val = sub.add_parser("validate", help="run the Great Expectations suites on the marts")
    val.add_argument("--database", default=os.environ.get("LOYALTY_DUCKDB_PATH",
                                                          "warehouse/loyalty.duckdb"))
    val.add_argument("--docs-dir", default="artifacts/great_expectations",
                     help="where the GX project and its HTML Data Docs are written")
    val.set_defaults(func=_validate)

    mut = sub.add_parser("mutate", help="prove the tests catch realistic formula mistakes")
    mut.add_argument("--only", nargs="*", help="mutation names (default: all)")
    mut.add_argument("--report", default="artifacts/mutation_report.md")
    mut.set_defaults(func=_mutate)

    bld = sub.add_parser("build", help="write-audit-publish: build a candidate, test it, "
                                       "publish it atomically ($LOYALTY_WAREHOUSE_DIR)")
    bld.add_argument("--max-quarantine-share", type=float,
                     default=float(os.environ.get("LOYALTY_MAX_QUARANTINE_SHARE", "0.01")),
                     help="fail when more than this share of a raw table is quarantined")
    bld.add_argument("--max-row-drop", type=float,
                     default=float(os.environ.get("LOYALTY_MAX_ROW_DROP", "0.5")),
                     help="fail when a raw table has lost more than this share of the rows "
                          "the served warehouse has")
    bld.add_argument("--docs-dir", default="artifacts/great_expectations")
    bld.add_argument("--incremental", action="store_true",
                     help="start the candidate from a copy of the served warehouse, so the "
                          "incremental models load only new raw files (default: full build)")
    bld.add_argument("--target", choices=["duckdb", "spark", "spark_cluster"],
                     default="duckdb", help="spark: local Spark in this process; "
                     "spark_cluster: a Thrift server (LOYALTY_SPARK_HOST, ...); both build "
                     "and test without the DuckDB audit and publish")
    bld.add_argument("dbt_args", nargs=argparse.REMAINDER, help="passed to dbt build")
    bld.set_defaults(func=_build)

    cmp = sub.add_parser("compare-engines", help="build on DuckDB and on Spark and compare "
                                                 "every mart and staging table")
    cmp.add_argument("--data-dir", action="append",
                     help="a raw data folder (default: LOYALTY_DATA_DIR, else the committed "
                          "seeds); repeat for several, all built in one Spark session")
    cmp.add_argument("--default-data", action="store_true",
                     help="the committed seeds too, before the data folders")
    cmp.add_argument("--work", default="warehouse/compare-engines",
                     help="scratch folder for both builds (emptied first)")
    cmp.add_argument("dbt_args", nargs=argparse.REMAINDER,
                     help="after --: passed to both dbt builds")
    cmp.set_defaults(func=_compare_engines)

    rst = sub.add_parser("restore", help="serve the previous published version again")
    rst.set_defaults(func=_restore)

    bench = sub.add_parser("bench", help="time full builds per scale against a no-dbt floor")
    bench.add_argument("--scales", nargs="+", choices=sorted(SCALES), default=["S", "M"])
    bench.add_argument("--large", action="store_true", help="also scale L (10M orders)")
    bench.add_argument("--data-root", default="data/bench",
                       help="generated Parquet folders, one per scale (reused)")
    bench.add_argument("--out", default="docs/benchmark.md")
    bench.set_defaults(func=_bench)
    bench_xl = sub.add_parser("bench-xl", help="time one whole build at scale XL (10M "
                              "customers: ten L shards) against its copy floor")
    bench_xl.add_argument("--data-root", default="data/bench")
    bench_xl.add_argument("--out", default="docs/benchmark_xl.md")
    bench_xl.set_defaults(func=_bench_xl)

    cdnow = sub.add_parser("clv-validate", help="fit the CLV models on the CDNOW sample through "
                                                "the data-folder path and compare with the paper")
    cdnow.add_argument("--out", default="docs/clv_validation.md")
    cdnow.set_defaults(func=_clv_validate)

    dash = sub.add_parser("dashboard", help="the Streamlit dashboard over the served warehouse")
    dash.add_argument("--database", default=str(
        Path(os.environ.get("LOYALTY_WAREHOUSE_DIR", "warehouse")) / "loyalty.duckdb"))
    dash.add_argument("--port", type=int, default=8501)
    dash.set_defaults(func=_dashboard)

    docs = sub.add_parser("docs", help="dbt docs of the served warehouse (catalog included)")
    docs.add_argument("--database", default=str(
        Path(os.environ.get("LOYALTY_WAREHOUSE_DIR", "warehouse")) / "loyalty.duckdb"))
    docs.add_argument("--out", default="artifacts/dbt_docs")
    docs.add_argument("--serve", action="store_true", help="then serve them (dbt docs serve)")
    docs.add_argument("--port", type=int, default=8080)
    docs.set_defaults(func=_docs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
