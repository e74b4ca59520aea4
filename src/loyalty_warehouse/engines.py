"""The warehouse on Apache Spark, and the table-by-table comparison with DuckDB.

`spark_build` runs `dbt build` (models, data tests, unit tests, contracts) on a Spark
target through `loyalty_warehouse.spark_dbt`. `compare_engines` builds the same data sets
on both engines (on Spark in one session) and compares every public mart and every staging
table: same columns, same types, rows equal as multisets (decimals and text exactly,
doubles to 1e-9 relative).
Spark's tables are exported to Parquet by the same Spark session that built them and read
by DuckDB, so one engine's reader never judges the other's arithmetic.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

from . import children

SPARK_SCHEMAS = {"loyalty": "main", "staging": "staging"}
RELATIVE_TOLERANCE = 1e-9
# Spark's names for the contract's types, as DuckDB names them
SPARK_TYPES = {"string": "VARCHAR", "int": "INTEGER", "bigint": "BIGINT", "double": "DOUBLE",
               "boolean": "BOOLEAN", "date": "DATE", "timestamp": "TIMESTAMP",
               "float": "FLOAT", "smallint": "SMALLINT", "tinyint": "TINYINT"}


class EngineError(RuntimeError):
    """A build failed, or the engines disagree."""


def spark_env(spark_dir: Path, data_dir: Path | None = None) -> dict[str, str]:
    # no folder: the committed seeds, whatever the caller's environment names
    return {**os.environ, "LOYALTY_SPARK_DIR": str(spark_dir.resolve()),
            "LOYALTY_DATA_DIR": str(data_dir.resolve()) if data_dir else ""}


def spark_command(args: list[str], spark_dir: Path) -> list[str]:
    """A dbt command on Spark with this run's own target and log folders."""
    return [sys.executable, "-m", "loyalty_warehouse.spark_dbt", *args,
            "--target-path", str(spark_dir / "target"), "--log-path", str(spark_dir / "logs")]


def build_args(target: str, data_dir: Path | None, extra: list[str]) -> list[str]:
    args = ["build", "--target", target, *extra]
    if data_dir is not None:
        # the committed seeds are not the data of this build
        args += ["--exclude", "path:seeds/raw"]
    return args


def spark_build(spark_dir: Path, data_dir: Path | None = None, target: str = "spark",
                dbt_args: list[str] | None = None) -> None:
    """dbt build on Spark (`loyalty build --target spark`)."""
    spark_dir.mkdir(parents=True, exist_ok=True)
    args = build_args(target, data_dir, dbt_args or [])
    returncode, _ = children.run(spark_command(args, spark_dir),
                                 env=spark_env(spark_dir, data_dir))
    if returncode != 0:
        raise EngineError(f"dbt build on Spark ({target}) failed (exit {returncode}); "
                          "see the output above")


@dataclass(frozen=True)
class DataSet:
    """One data set of a comparison: the committed seeds (folder None) or a raw folder;
    its builds and Spark's exported tables live under work / label."""
    label: str
    folder: Path | None

    def database(self, work: Path) -> Path:
        return work / self.label / "duckdb" / "loyalty.duckdb"

    def export_dir(self, work: Path) -> Path:
        return work / self.label / "spark-tables"

    def manifest(self, work: Path) -> Path:
        """The manifest of the DuckDB build (see `duckdb_build`)."""
        return self.database(work).parent / "target-duckdb" / "manifest.json"


def spark_builds(spark_dir: Path, work: Path, data_sets: list[DataSet],
                 dbt_args: list[str]) -> None:
    """Build and export every data set on Spark in one session, one after the other: the
    later builds reuse the warm JVM (the second build of the seeds took 68 s instead of
    100 s). Each build replaces the tables of the one before, after they were exported."""
    spark_dir.mkdir(parents=True, exist_ok=True)
    per_data_set = per_data_set_args(data_sets, dbt_args, "test")
    if data_sets:
        same_kind = redundant_spark_tests(data_sets[0].manifest(work))
        if same_kind:
            per_data_set[0] = [*per_data_set[0], "--exclude", *same_kind]
    plan = [{"data_dir": str(data.folder.resolve()) if data.folder else "",
             "export_to": str(data.export_dir(work)),
             "args": [*build_args("spark", data.folder, args),
                      "--target-path", str(spark_dir / f"target-{data.label}"),
                      "--log-path", str(spark_dir / "logs")]}
            for data, args in zip(data_sets, per_data_set, strict=True)]
    plan_file = spark_dir / "plan.json"
    plan_file.write_text(json.dumps(plan, indent=1))
    returncode, _ = children.run(
        [sys.executable, "-m", "loyalty_warehouse.spark_dbt", "--plan", str(plan_file)],
        env=spark_env(spark_dir))
    if returncode != 0:
        raise EngineError(f"dbt build on Spark failed (exit {returncode}); see the output above")


def redundant_spark_tests(manifest: Path) -> list[str]:
    """The data tests Spark can leave out, from DuckDB's manifest of the same build.

    Every Spark table is compared with DuckDB's, which passed every data test, and an equal
    table passes the same tests: what only Spark can show is whether a test's SQL runs
    there. One test of each kind proves that: the same generic test with the same argument
    names, on a model of the same materialization, scoped (`rows_of`, `where`) or not, or
    a singular test. The first of each kind (by unique id) runs; the others are returned."""
    nodes = json.loads(manifest.read_text())["nodes"]
    kinds: dict[tuple[object, ...], list[str]] = {}
    for unique_id, node in sorted(nodes.items()):
        if node["resource_type"] != "test":
            continue
        generic = node.get("test_metadata") or {}
        tested = nodes.get(node.get("attached_node") or "", {}).get("config", {})
        kind = (generic.get("name") or unique_id,
                tuple(sorted(generic.get("kwargs", {}))),
                tested.get("materialized"), bool(tested.get("rows_of")),
                bool(node["config"].get("where")))
        kinds.setdefault(kind, []).append(node["name"])
    return [name for names in kinds.values() for name in names[1:]]


def per_data_set_args(data_sets: list[DataSet], dbt_args: list[str],
                      *also_first_only: str) -> list[list[str]]:
    """dbt args of each data set's builds: unit tests read no data, so they run with the
    first data set only. So do Spark's data tests: every later Spark table is compared with
    DuckDB's tested one, and an equal table passes the same tests."""
    later = ["--exclude-resource-type", "unit_test", *also_first_only]
    return [dbt_args if number == 0 else [*dbt_args, *later] for number in range(len(data_sets))]


def duckdb_build(database: Path, data_dir: Path | None = None,
                 dbt_args: list[str] | None = None) -> None:
    env = {**os.environ, "LOYALTY_DUCKDB_PATH": str(database),
           "LOYALTY_DATA_DIR": str(data_dir.resolve()) if data_dir else ""}
    work = database.parent
    command = [str(Path(sys.executable).parent / "dbt"),
               *build_args("duckdb", data_dir, dbt_args or []),
               "--target-path", str(work / "target-duckdb"), "--log-path", str(work / "logs")]
    returncode, _ = children.run(command, env=env)
    if returncode != 0:
        raise EngineError(f"dbt build on DuckDB failed (exit {returncode})")


@dataclass(frozen=True)
class Column:
    name: str
    type: str

    @property
    def is_double(self) -> bool:
        return self.type in ("DOUBLE", "FLOAT")


def duckdb_type(spark_type: str) -> str:
    lowered = spark_type.lower()
    if lowered.startswith("decimal"):
        return lowered.upper().replace(" ", "")
    return SPARK_TYPES.get(lowered, spark_type.upper())


def _duckdb_tables(con: duckdb.DuckDBPyConnection) -> dict[str, list[Column]]:
    rows = con.execute(
        "select table_schema, table_name, column_name, data_type from information_schema.columns "
        "where table_catalog = 'loyalty' and table_schema in ('main', 'staging') "
        "order by table_schema, table_name, ordinal_position").fetchall()
    tables: dict[str, list[Column]] = {}
    for schema, table, column, data_type in rows:
        tables.setdefault(f"{schema}.{table}", []).append(
            Column(column, data_type.replace(" ", "")))
    return tables


def _spark_tables(export_dir: Path) -> dict[str, list[Column]]:
    tables: dict[str, list[Column]] = {}
    for line in (export_dir / "schema.tsv").read_text().splitlines():
        schema, table, column, spark_type = line.split("\t")
        tables.setdefault(f"{SPARK_SCHEMAS[schema]}.{table}", []).append(
            Column(column, duckdb_type(spark_type)))
    return tables


def _ordered(relation: str, columns: list[Column]) -> str:
    """Rows numbered in an order both engines' rows share (doubles rounded for it)."""
    keys = [f'round("{c.name}", 6)' if c.is_double else f'"{c.name}"' for c in columns]
    names = ", ".join(f'"{c.name}"' for c in columns)
    return (f"select {names}, row_number() over (order by {', '.join(keys)}) as row__ "
            f"from {relation}")


def _differs(name: str, column: Column) -> str:
    left, right = f'd."{name}"', f's."{name}"'
    if column.is_double:
        return (f"not (({left} is null and {right} is null) or abs({left} - {right}) <= "
                f"{RELATIVE_TOLERANCE} * greatest(abs({left}), abs({right}), 1e-12) "
                f"or ({left} = {right}))")
    return f"{left} is distinct from {right}"


def compare_table(con: duckdb.DuckDBPyConnection, name: str, columns: list[Column],
                  parquet: Path) -> str | None:
    """None when equal, else the first difference: table, column and an example row."""
    count_d = con.execute(f"select count(*) from loyalty.{name}").fetchone()[0]
    count_s = con.execute(f"select count(*) from read_parquet('{parquet}/*.parquet')").fetchone()[0]
    if count_d != count_s:
        return f"{name}: {count_d} rows on DuckDB, {count_s} on Spark"
    if count_d == 0:
        return None
    casts = ", ".join(
        f"cast(\"{c.name}\" as timestamp) as \"{c.name}\"" if c.type == "TIMESTAMP"
        else f'"{c.name}"' for c in columns)
    spark_rows = f"(select {casts} from read_parquet('{parquet}/*.parquet'))"
    joined = (f"({_ordered(f'loyalty.{name}', columns)}) as d "
              f"join ({_ordered(spark_rows, columns)}) as s using (row__)")
    for column in columns:
        row = con.execute(f'select d."{column.name}", s."{column.name}", d.* exclude (row__) '
                          f"from {joined} where {_differs(column.name, column)} "
                          "order by row__ limit 1").fetchone()
        if row is not None:
            return (f"{name}.{column.name}: DuckDB {row[0]!r}, Spark {row[1]!r} "
                    f"(DuckDB row {dict(zip([c.name for c in columns], row[2:], strict=True))})")
    return None


def compare_exports(database: Path, export_dir: Path) -> tuple[int, list[str]]:
    """(tables compared, every difference) between the DuckDB warehouse and Spark's
    exported tables."""
    problems: list[str] = []
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        # the staging views name their catalog: the file's stem, as dbt built it
        con.execute(f"attach '{database}' as loyalty (read_only)")
        left, right = _duckdb_tables(con), _spark_tables(export_dir)
        # every staging table and view and every public mart (main holds only marts)
        for name in sorted(set(left) | set(right)):
            if name not in right or name not in left:
                problems.append(f"{name}: only on {'DuckDB' if name in left else 'Spark'}")
                continue
            if [c.name for c in left[name]] != [c.name for c in right[name]]:
                problems.append(f"{name}: columns differ: DuckDB {[c.name for c in left[name]]}, "
                                f"Spark {[c.name for c in right[name]]}")
                continue
            types = [(d.name, d.type, s.type) for d, s in zip(left[name], right[name], strict=True)
                     if d.type != s.type]
            if types:
                problems.append(f"{name}: types differ (column, DuckDB, Spark): {types}")
                continue
            folder = export_dir / name.split(".")[0] / name.split(".")[1]
            problem = compare_table(con, name, left[name], folder)
            if problem:
                problems.append(problem)
    return len(set(left) | set(right)), problems


def compare_engines(work: Path, data_sets: list[DataSet],
                    dbt_args: list[str] | None = None) -> dict[str, tuple[int, list[str]]]:
    """Build every data set on both engines (dbt_args passed to every build) and compare;
    per data set label: (tables compared, differences)."""
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    for data, args in zip(data_sets, per_data_set_args(data_sets, dbt_args or []),
                          strict=True):
        data.database(work).parent.mkdir(parents=True)
        duckdb_build(data.database(work), data.folder, args)
    spark_builds(work / "spark", work, data_sets, dbt_args or [])
    return {data.label: compare_exports(data.database(work), data.export_dir(work))
            for data in data_sets}


def export_tables(spark: object, export_dir: Path) -> None:
    """Write every table and view of the compared Spark schemas as Parquet, and their
    column types to schema.tsv (run inside the Spark session that built them)."""
    export_dir.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    for schema, local in SPARK_SCHEMAS.items():
        for row in spark.sql(f"show tables in {schema}").collect():  # type: ignore[attr-defined]
            if row.isTemporary:
                continue
            frame = spark.table(f"{schema}.{row.tableName}")  # type: ignore[attr-defined]
            for field in frame.schema.fields:
                lines.append(f"{schema}\t{row.tableName}\t{field.name}\t"
                             f"{field.dataType.simpleString()}")
            frame.write.mode("overwrite").option("outputTimestampType", "TIMESTAMP_MICROS") \
                .parquet(str(export_dir / local / row.tableName))
    (export_dir / "schema.tsv").write_text("\n".join(lines) + "\n")
