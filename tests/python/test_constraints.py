"""The contracted marts' row checks are enforced constraints: DuckDB holds every one the
yml declares, and the checker Spark builds run (check_constraints) names each broken one."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import yaml

from .conftest import ROOT, DbtRun, drop_constraints, run_dbt


def declared_constraints() -> dict[str, tuple[int, int]]:
    """(not_null, check) constraints per model, as the marts' yml files declare them."""
    counts: dict[str, tuple[int, int]] = {}
    for path in (ROOT / "models" / "marts").glob("*/_*__models.yml"):
        for model in yaml.safe_load(path.read_text())["models"]:
            listed = [constraint["type"] for column in model.get("columns", [])
                      for constraint in column.get("constraints", [])]
            listed += [constraint["type"] for constraint in model.get("constraints", [])]
            if listed:
                counts[model["name"]] = (listed.count("not_null"), listed.count("check"))
    return counts


def test_every_declared_constraint_is_on_the_built_table(default_build: DbtRun) -> None:
    declared = declared_constraints()
    assert len(declared) >= 12 and sum(nn + ck for nn, ck in declared.values()) >= 140
    built = {table: (not_null, check) for table, not_null, check in default_build.query(
        "select table_name, count(*) filter (constraint_type = 'NOT NULL'), "
        "count(*) filter (constraint_type = 'CHECK') from duckdb_constraints() "
        "where schema_name = 'main' group by all")}
    assert {table: built.get(table) for table in declared} == declared


def test_check_constraints_names_each_broken_constraint_and_its_rows(
        default_build: DbtRun, tmp_path: Path) -> None:
    database = tmp_path / "w.duckdb"
    shutil.copy(default_build.database, database)
    held = run_dbt(["run-operation", "check_constraints", "--args",
                    "{model_name: loyalty_metrics_monthly}"], database)
    assert held.returncode == 0 and "constraints hold on" in held.output, held.output[-2000:]

    with duckdb.connect(str(database)) as con:
        drop_constraints(con, "main.loyalty_metrics_monthly")
        months = [row[0] for row in con.execute(
            "select month from main.loyalty_metrics_monthly where orders > 0 order by month "
            "limit 3").fetchall()]
        con.execute("update main.loyalty_metrics_monthly set retention_rate = 100.5 "
                    "where month = ?", [months[0]])
        con.execute("update main.loyalty_metrics_monthly set customers_start = null "
                    "where month in (?, ?)", months[1:])
        con.execute("update main.loyalty_metrics_monthly set average_order_value = "
                    "average_order_value + 0.02 where month = ?", [months[2]])
    broken = run_dbt(["run-operation", "check_constraints", "--args",
                      "{model_name: loyalty_metrics_monthly}"], database)
    assert broken.returncode != 0
    message = broken.output[broken.output.index("constraint broken on"):].splitlines()[0]
    assert '"loyalty_metrics_monthly"' in message
    assert "customers_start not null: 2 rows" in message
    assert "check (retention_rate between 0 and 100): 1 rows" in message
    assert "average_order_value * orders - net_revenue) < 0.01" in message
    assert message.count(" rows") == 3
