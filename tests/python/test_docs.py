"""dbt docs: every public model and column described; the dashboard's exposure is true."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from loyalty_warehouse.cli import main as loyalty_main

from .conftest import ROOT, DbtRun, run_dbt


def test_docs_generate_and_every_public_column_is_described(default_build: DbtRun) -> None:
    docs = run_dbt(["docs", "generate"], default_build.database)
    assert docs.returncode == 0, docs.output[-3000:]
    target = default_build.database.parent / "target"
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    marts = {node_id: node for node_id, node in manifest["nodes"].items()
             if node["resource_type"] == "model" and node["path"].startswith("marts/")}
    assert len(marts) >= 13
    missing = [node["name"] for node in marts.values() if not node["description"].strip()]
    for node_id, node in marts.items():
        built = {name.lower() for name in catalog["nodes"][node_id]["columns"]}
        described = {name for name, column in node["columns"].items()
                     if column["description"].strip()}
        missing += [f"{node['name']}.{name}" for name in sorted(built - described)]
    assert not missing, missing


def test_dashboard_exposure_lists_the_marts_it_queries(default_build: DbtRun) -> None:
    manifest = json.loads((default_build.database.parent / "target" / "manifest.json")
                          .read_text())
    exposure = manifest["exposures"]["exposure.loyalty_warehouse.loyalty_dashboard"]
    declared = {node.split(".")[-1] for node in exposure["depends_on"]["nodes"]}
    queries = (ROOT / "src" / "loyalty_warehouse" / "dashboard" / "queries.py").read_text()
    assert declared == set(re.findall(r"\bmain\.(\w+)", queries))


def test_docs_command_describes_the_served_file_not_the_dev_database(
        default_build: DbtRun, tmp_path: Path, capsys: object) -> None:
    """`bin/warehouse docs`: the catalog holds every public mart of the served file, with
    the columns BI users see, and one self-contained page to share."""
    served = tmp_path / "served" / "loyalty.duckdb"
    served.parent.mkdir()
    shutil.copyfile(default_build.database, served)
    out = tmp_path / "docs"
    assert loyalty_main(["docs", "--database", str(served), "--out", str(out)]) == 0
    catalog = json.loads((out / "catalog.json").read_text())
    manifest = json.loads((out / "manifest.json").read_text())
    public = [node_id for node_id, node in manifest["nodes"].items()
              if node["resource_type"] == "model" and node["path"].startswith("marts/")]
    assert len(public) >= 13
    for node_id in public:
        assert catalog["nodes"][node_id]["metadata"]["schema"] == "main", node_id
        assert catalog["nodes"][node_id]["columns"], node_id
    assert "dim_customers" in (out / "static_index.html").read_text()


def test_docs_command_without_a_served_warehouse_says_what_to_do(
        tmp_path: Path, capsys: object) -> None:
    assert loyalty_main(["docs", "--database", str(tmp_path / "loyalty.duckdb"),
                         "--out", str(tmp_path / "docs")]) == 1
    assert "run `bin/warehouse build` first" in capsys.readouterr().err  # type: ignore[attr-defined]
