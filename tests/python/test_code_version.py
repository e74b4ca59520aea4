"""The code fingerprint a published warehouse carries, which lets a build leave out unit
tests that already passed on the same code and dbt arguments."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from loyalty_warehouse import code_version

ROOT = Path(__file__).resolve().parents[2]


def small_project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    for entry in ("dbt_project.yml", "models", "macros"):
        source = ROOT / entry
        if source.is_dir():
            shutil.copytree(source, project / entry)
        else:
            project.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, project / entry)
    return project


def test_any_code_file_or_argument_changes_the_fingerprint(tmp_path: Path) -> None:
    project = small_project(tmp_path)
    base = code_version.fingerprint([], False, project)
    assert code_version.fingerprint([], False, project) == base
    assert code_version.fingerprint(["--vars", "{churn_window_days: 90}"], False, project) != base
    assert code_version.fingerprint([], True, project) != base
    model = project / "models" / "marts" / "core" / "dim_customers.sql"
    model.write_text(model.read_text().replace("/ 2.0", "/ 3.0"))
    changed = code_version.fingerprint([], False, project)
    assert changed != base
    (project / "macros" / "new_helper.sql").write_text("{% macro x() %}1{% endmacro %}\n")
    assert code_version.fingerprint([], False, project) not in (base, changed)


def test_a_stamp_reads_back_and_an_unstamped_file_has_none(tmp_path: Path) -> None:
    database = tmp_path / "loyalty.duckdb"
    assert code_version.stamped(database) is None
    duckdb.connect(str(database)).close()
    assert code_version.stamped(database) is None
    code_version.stamp(database, "abc")
    code_version.stamp(database, "def")
    assert code_version.stamped(database) == "def"
