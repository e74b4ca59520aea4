"""dbt docs: every public model and column described; the dashboard's exposure is true."""

from __future__ import annotations

import json
import re

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
