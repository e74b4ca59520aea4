"""The same project on Apache Spark (local session), table by table equal to DuckDB.

Every silent engine difference met so far (decimal quotients cut to 6 places, regex
flags that make Spark return NULL, CSV columns matched by position) passed every dbt test:
only the table-by-table comparison with DuckDB catches them, so that comparison is what
these tests assert, on the committed seeds and on a dirty data folder of mixed formats.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
import yaml

from loyalty_warehouse.cli import main as loyalty_main
from loyalty_warehouse.engines import (
    Column,
    DataSet,
    compare_table,
    duckdb_type,
    redundant_spark_tests,
    spark_env,
)

from .conftest import ROOT, DbtRun, generate, without_values

pytestmark = pytest.mark.xdist_group("spark")


def _mixed_dirty_folder(folder: Path, typed: Path) -> Path:
    """Dirty CSV files, customers as text Parquet, loyalty events (a Spark job's output
    folder) and campaign touches as Parquet whose keys are numbers (integers; doubles),
    orders as a batch folder of a dirty CSV file (the history) and typed Parquet (the
    generator's, same seed: the newer orders, read as text beside the CSV) and survey
    answers as a batch folder of CSV files (one gzip-compressed, beside a _SUCCESS marker)
    whose columns come in different orders.
    The orders' discounts are single-precision floats. Some Parquet columns hold no value
    and have no type: a key, a text, an amount and a number."""
    generate(folder, "--format", "csv", "--dirty", "3")
    generate(typed)
    with duckdb.connect() as con:
        con.execute(f"copy (select * from read_csv('{folder}/customers.csv', all_varchar = true)) "
                    f"to '{folder}/customers.parquet' (format parquet)")
        (folder / "customers.csv").unlink()
        events = folder / "loyalty_events.parquet"  # a Spark job's output folder
        events.mkdir()
        (events / "_SUCCESS").touch()
        for table, key, number, out in (
                ("loyalty_events", "event_id", "bigint", events / "part-00000.parquet"),
                ("campaign_touches", "touch_id", "double", folder / "campaign_touches.parquet")):
            con.execute(f"copy (select * replace (try_cast(regexp_replace({key}, '^[A-Z]+', '') "
                        f"as {number}) as {key}) from read_csv('{folder}/{table}.csv', "
                        f"all_varchar = true)) to '{out}' (format parquet)")
            (folder / f"{table}.csv").unlink()
        without_values(events / "part-00000.parquet", "order_id")
        without_values(folder / "campaign_touches.parquet", "channel")
        (folder / "orders").mkdir()
        con.execute(f"copy (select * from read_csv('{folder}/orders.csv', all_varchar = true) "
                    f"where ordered_at < '2025-07-01') to '{folder}/orders/2025-06.csv' (header)")
        (folder / "orders.csv").unlink()
        con.execute(f"copy (select * replace (cast(discount_amount as float) as "
                    f"discount_amount) from '{typed}/orders.parquet' where ordered_at "
                    f">= '2025-07-01') to '{folder}/orders/2026-06.parquet' (format parquet)")
        without_values(folder / "orders" / "2026-06.parquet", "refunded_amount")
        without_values(folder / "customers.parquet", "birth_year")
        surveys = folder / "survey_responses"
        surveys.mkdir()
        con.execute(f"create table s as select * from read_csv('{folder}/survey_responses.csv', "
                    "all_varchar = true)")
        columns = [row[0] for row in con.execute("describe s").fetchall()]
        for name, order, condition in (("2025-06.csv", columns, "responded_at < '2025-07'"),
                                       ("2026-06.csv.gz", columns[::-1],
                                        "not responded_at < '2025-07' or responded_at is null")):
            con.execute(f"copy (select {', '.join(order)} from s where {condition}) "
                        f"to '{surveys}/{name}' (header)")
        (surveys / "_SUCCESS").touch()
        (folder / "survey_responses.csv").unlink()
    return folder


@dataclass(frozen=True)
class Comparison:
    work: Path
    exit_code: int
    output: str

    def equal_line(self, label: str) -> re.Match[str] | None:
        return re.search(rf"^{label} \(.*\): (\d+) of (\d+) tables equal$", self.output, re.M)


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> Comparison:
    """`loyalty compare-engines` on the committed seeds and on a dirty folder of mixed
    formats: both built and tested on both engines (on Spark in one session), every
    table compared."""
    root = tmp_path_factory.mktemp("compare-engines")
    folder = _mixed_dirty_folder(root / "data", root / "typed")
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        code = loyalty_main(["compare-engines", "--default-data", "--data-dir", str(folder),
                             "--work", str(root / "work")])
    return Comparison(root / "work", code, output.getvalue())


@pytest.mark.slow
def test_default_data_every_table_equal_on_both_engines(compared: Comparison) -> None:
    assert compared.exit_code == 0, compared.output[-3000:]
    equal = compared.equal_line("default")
    assert equal is not None, compared.output[-3000:]
    # every public mart and every staging table and view
    assert equal[1] == equal[2] and int(equal[2]) >= 40
    # the exports really are Spark's tables of the seeds
    exported = compared.work / "default" / "spark-tables"
    assert "loyalty\tdim_customers\tcustomer_id\tstring" in (exported / "schema.tsv").read_text()


@pytest.mark.slow
def test_spark_checks_each_contracted_marts_constraints_after_writing_it(
        compared: Comparison) -> None:
    """dbt-spark leaves constraints of Parquet tables unapplied; spark__persist_constraints
    counts the rows breaking them, once per contracted table per build."""
    # dbt rotates its log file at 10 MB
    log = "".join(path.read_text() for path in (compared.work / "spark" / "logs").glob("dbt.log*"))
    assert "sum(case when not (retention_rate between 0 and 100) then 1 else 0 end)" in log
    assert "sum(case when customer_id is null then 1 else 0 end)" in log
    checked = re.findall(r"else 0 end\)\s+from\s+(\S+)", log)
    # the 12 contracted tables, in each of the two Spark builds
    assert len(set(checked)) == 12 and len(checked) >= 24, checked


@pytest.mark.slow
def test_spark_runs_one_data_test_of_each_kind_and_it_passes(compared: Comparison) -> None:
    """Spark's first build leaves out only the tests whose kind another test of the build
    runs: every generic test and every singular test ran and passed on Spark."""
    ran = json.loads((compared.work / "spark" / "target-default" / "run_results.json")
                     .read_text())["results"]
    spark_tests = {r["unique_id"]: r["status"] for r in ran if r["unique_id"].startswith("test.")}
    manifest = DataSet("default", None).manifest(compared.work)
    duckdb_tests = {unique_id: node for unique_id, node
                    in json.loads(manifest.read_text())["nodes"].items()
                    if node["resource_type"] == "test"}
    assert set(spark_tests) < set(duckdb_tests) and set(spark_tests.values()) == {"pass"}

    def test_name(unique_id: str) -> str:  # the generic test's, or the singular test itself
        return (duckdb_tests[unique_id].get("test_metadata") or {}).get("name") or unique_id

    assert {test_name(u) for u in spark_tests} == {test_name(u) for u in duckdb_tests}
    assert len(spark_tests) + len(redundant_spark_tests(manifest)) == len(duckdb_tests)


def _test_node(name: str, generic: str | None, model: str, **kwargs: object) -> dict:
    return {"resource_type": "test", "name": name, "attached_node": f"model.p.{model}",
            "config": {"where": kwargs.pop("where", None)},
            "test_metadata": {"name": generic, "kwargs": kwargs} if generic else None}


def test_spark_leaves_out_only_tests_of_a_kind_it_runs(tmp_path: Path) -> None:
    models = {f"model.p.{name}": {"resource_type": "model", "config": config}
              for name, config in (("a", {"materialized": "table"}),
                                   ("b", {"materialized": "table"}),
                                   ("v", {"materialized": "view", "rows_of": "a"}),
                                   ("w", {"materialized": "view"}))}
    tests = [_test_node("unique_a_id", "unique", "a", column_name="id"),
             _test_node("unique_b_id", "unique", "b", column_name="id"),  # same kind
             _test_node("unique_v_id", "unique", "v", column_name="id"),  # scoped view
             _test_node("unique_w_id", "unique", "w", column_name="id"),  # plain view
             _test_node("unique_b_id_where", "unique", "b", column_name="id", where="x > 0"),
             _test_node("between_a", "value_between", "a", column_name="x", min_value=0),
             _test_node("between_b", "value_between", "b", column_name="x", min_value=0,
                        max_value=1),  # other arguments
             _test_node("rates_sum_to_100", None, "a"),  # singular tests: each its own kind
             _test_node("shares_sum_to_100", None, "a")]
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"nodes": {**models, **{f"test.p.{t['name']}": t
                                                            for t in tests}}}))
    assert redundant_spark_tests(manifest) == ["unique_b_id"]


@pytest.mark.slow
def test_compare_engines_on_a_data_folder_of_mixed_formats(compared: Comparison) -> None:
    """Both builds of the folder pass and every table is equal; the summary adds up."""
    equal = compared.equal_line("data-1")
    assert equal is not None, compared.output[-3000:]
    assert equal[1] == equal[2] and int(equal[2]) >= 40
    summary = re.search(r"^(\d+) of (\d+) tables equal \(", compared.output, re.M)
    assert summary is not None and summary[1] == summary[2]
    assert int(summary[2]) == 2 * int(equal[2])
    # the comparison covered quarantined rows of several kinds and typed Parquet orders
    duckdb_run = DbtRun(0, "", compared.work / "data-1" / "duckdb" / "loyalty.duckdb")
    assert duckdb_run.scalar("select count(distinct quarantine_reason) "
                             "from staging.stg_survey_responses__quarantine") >= 3
    assert duckdb_run.scalar("select count(*) from staging.stg_orders") > 1000
    # keys stored as numbers read as the text of their digits, on both engines alike
    assert duckdb_run.scalar("select count(*) from staging.stg_campaign_touches "
                             "where regexp_full_match(touch_id, '[1-9][0-9]*')") \
        == duckdb_run.scalar("select count(*) from staging.stg_campaign_touches") > 100
    # columns without a type read as missing values, the amount's as no refund
    assert duckdb_run.query("select count(order_id), count(*) > 100 "
                            "from staging.stg_loyalty_events") == [(0, True)]
    assert duckdb_run.query("select count(channel) from staging.stg_campaign_touches") == [(0,)]
    assert duckdb_run.query("select count(birth_year) from staging.stg_customers") == [(0,)]
    # the typed orders beside the CSV history: single-precision discounts read as the
    # numbers written and every value as it reads typed, so none is unparseable
    typed_orders = ("select quarantine_reason, count(*) > 1000, count(*) filter "
                    "(where discount_amount > 0) > 100, count(*) filter (where refunded_amount "
                    "> 0) from staging.base_orders where source_file = 'orders/2026-06.parquet' "
                    "group by all")
    assert duckdb_run.query(typed_orders) == [(None, True, True, 0)]
    assert duckdb_run.scalar("select count(*) from staging.base_orders "
                             "where source_file = 'orders/2025-06.csv'") > 1000


@pytest.mark.slow
def test_the_comparison_names_table_column_and_row_of_a_difference(
        compared: Comparison, tmp_path: Path) -> None:
    """A decimal quotient cut to 6 places (Spark's silent difference) is reported."""
    exported = compared.work / "default" / "spark-tables"
    database = compared.work / "default" / "duckdb" / "loyalty.duckdb"
    tampered = tmp_path / "main" / "dim_customers"
    tampered.mkdir(parents=True)
    with duckdb.connect() as con:
        con.execute(f"attach '{database}' as loyalty (read_only)")
        con.execute(
            "copy (select * replace (round(average_order_value, 6) as average_order_value) "
            f"from read_parquet('{exported}/main/dim_customers/*.parquet')) "
            f"to '{tampered}/part.parquet' (format parquet)")
        columns = con.execute(
            "select column_name, data_type from information_schema.columns where "
            "table_catalog = 'loyalty' and table_schema = 'main' and table_name = 'dim_customers' "
            "order by ordinal_position").fetchall()
        problem = compare_table(con, "main.dim_customers",
                                [Column(name, kind.replace(" ", "")) for name, kind in columns],
                                tampered)
    assert problem is not None
    assert problem.startswith("main.dim_customers.average_order_value: DuckDB ")
    assert "'customer_id': 'C" in problem
    # within 1e-9 relative is equal: doubles summed in another order are not a difference
    assert duckdb_type("decimal(18,2)") == "DECIMAL(18,2)" and duckdb_type("string") == "VARCHAR"


@pytest.mark.slow
def test_a_missing_column_and_a_file_in_a_sub_folder_stop_spark_with_duckdbs_messages(
        tmp_path: Path) -> None:
    """Two builds that must stop, in one Spark session (one JVM): orders without
    gross_amount, then orders as a batch folder holding a file two sub-folders deep beside
    a Spark job's _temporary/ (skipped, as Spark skips it)."""
    missing = generate(tmp_path / "missing", "--format", "csv")
    with duckdb.connect() as con:
        con.execute(f"copy (select * exclude (gross_amount) from read_csv('{missing}/orders.csv', "
                    f"all_varchar = true)) to '{missing}/orders2.csv' (header)")
    shutil.move(missing / "orders2.csv", missing / "orders.csv")
    nested = generate(tmp_path / "nested", "--format", "csv")
    batches = nested / "orders"
    for sub in ("2025/01", "_temporary/0"):
        (batches / sub).mkdir(parents=True)
        shutil.copy(nested / "orders.csv", batches / sub / "b.csv")
    shutil.move(nested / "orders.csv", batches / "a.csv")
    spark_dir = tmp_path / "spark"
    spark_dir.mkdir()
    args = ["build", "--target", "spark", "--select", "base_orders",
            "--target-path", str(spark_dir / "target"), "--log-path", str(spark_dir / "logs")]
    plan = spark_dir / "plan.json"
    plan.write_text(json.dumps([{"data_dir": str(missing), "args": args, "continue": True},
                                {"data_dir": str(nested), "args": args}]))
    done = subprocess.run([sys.executable, "-m", "loyalty_warehouse.spark_dbt", "--plan",
                           str(plan)], cwd=ROOT, env=spark_env(spark_dir), capture_output=True,
                          text=True, check=False)
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert re.search(r"raw file \S*orders\.csv: missing required column\(s\) gross_amount",
                     output), output[-3000:]
    assert f"raw data folder '{nested}': orders/2025/01/b.csv not read" in output, output[-3000:]


# DuckDB-only SQL, allowed only inside duckdb__ macros (Spark rejects it, or worse,
# returns NULL: regexp_replace with DuckDB's 'g' flag)
DUCKDB_ONLY = {
    r"(?<!')\bvarchar\b(?!')": "varchar without a length (use string)",
    r"\bglob\s*\(": "glob()",
    r"\bread_csv\b|\bread_parquet\b": "DuckDB's file readers",
    r"\bregexp_full_match\b": "regexp_full_match (use full_match)",
    r",\s*'g'\s*\)": "a regexp flag",
    r"\bexclude\s*\(": "* exclude (use all_columns_except)",
    r"\bnot materialized\b": "not materialized (use inline_cte)",
    r"\bisfinite\b|\btimestamptz\b|\btimezone\s*\(": "DuckDB timestamp functions",
    r"::": "the :: cast",
    r"union all by name": "union all by name",
    r"\bquantile_cont\b|(?<!\.)\bgenerate_series\s*\(": "DuckDB aggregates and table functions",
    r"typeof\([^)]*\)\s*<?>?=?\s*'VARCHAR'": "DuckDB's type names (use is_text)",
    r"target\.type": "a branch on target.type (use a dispatch macro)",
}
DUCKDB_MACRO = re.compile(r"{%-?\s*macro\s+duckdb__.*?{%-?\s*endmacro\s*-?%}", re.S)
COMMENT = re.compile(r"{#.*?#}|--[^\n]*", re.S)


def sql_of_yaml(text: str) -> str:
    """The SQL a YAML file can hold (test arguments, metric expressions), not its docs."""
    def walk(node: object) -> list[str]:
        if isinstance(node, dict):
            return [text for key, value in node.items() if key != "description"
                    for text in walk(value)]
        if isinstance(node, list):
            return [text for item in node for text in walk(item)]
        return [str(node)]
    return "\n".join(walk(yaml.safe_load(text)))


def duckdb_only_constructs(text: str) -> list[str]:
    portable = COMMENT.sub("", DUCKDB_MACRO.sub("", text))
    return [what for pattern, what in DUCKDB_ONLY.items()
            if re.search(pattern, portable, re.I)]


@pytest.mark.parametrize("snippet, found", [
    ("select cast(x as varchar) from t", ["varchar without a length (use string)"]),
    ("{% macro duckdb__f() %}select cast(x as varchar){% endmacro %}", []),
    ("regexp_replace(x, 'a', 'b', 'g')", ["a regexp flag"]),
    ("select cast(x as string) -- not varchar", []),
])
def test_the_portability_check_sees_duckdb_only_sql(snippet: str, found: list[str]) -> None:
    assert duckdb_only_constructs(snippet) == found


def test_engine_specific_sql_lives_only_in_duckdb_macros() -> None:
    files = [path for folder in ("models", "macros", "tests", "analyses")
             for path in sorted((ROOT / folder).rglob("*")) if path.suffix in (".sql", ".yml")]
    assert len(files) > 50
    offending = {str(path.relative_to(ROOT)): found for path in files
                 if (found := duckdb_only_constructs(
                     sql_of_yaml(path.read_text()) if path.suffix == ".yml" else path.read_text()))}
    assert offending == {}


def test_python_models_run_in_the_spark_session() -> None:
    """dbt-spark has no submission method for open-source Spark; ours is registered."""
    code = ("from loyalty_warehouse.spark_dbt import _register_session_helper as r; r(); "
            "from dbt.adapters.spark.impl import SparkAdapter as A; "
            "print(sorted(A.python_submission_helpers.fget(None)), "
            "A.default_python_submission_method.fget(None))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == ["['all_purpose_cluster',", "'job_cluster',", "'session']",
                                   "session"]
