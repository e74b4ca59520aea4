"""Which code a warehouse was built with, so a build can tell whether its unit tests
still need to run.

dbt's unit tests check models on fixed rows: their outcome depends on the code (models,
macros, tests, reference seeds, the Python package the Python models import, the pinned
libraries) and on the dbt arguments, never on the data. `loyalty build` stamps the file it
publishes with a fingerprint of both; a later build whose fingerprint equals the served
file's runs every model and data test but not the unit tests again, as dbt advises for
production runs (a chain of such builds always starts at one that ran them). Any change
to the code or the arguments runs them.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

# the checkout this package is run from (an editable install, or PYTHONPATH=src)
PROJECT = Path(__file__).resolve().parents[2]
CODE = ("dbt_project.yml", "profiles.yml", "requirements.lock", "models", "macros", "tests",
        "seeds/reference", "src/loyalty_warehouse")
STAMP = "build.code_version"


def fingerprint(dbt_args: list[str], data_dir_set: bool, project: Path = PROJECT) -> str:
    """SHA-256 of every code file (path and bytes), the dbt arguments and whether raw data
    comes from a folder (which turns the raw-seed unit tests off)."""
    digest = hashlib.sha256()
    for entry in CODE:
        path = project / entry
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if "__pycache__" in file.parts or not file.exists():
                continue
            digest.update(str(file.relative_to(project)).encode() + b"\0")
            digest.update(file.read_bytes() + b"\0")
    digest.update("\0".join(dbt_args).encode() + b"\0" + str(data_dir_set).encode())
    return digest.hexdigest()


def stamped(database: Path) -> str | None:
    """The fingerprint a warehouse file was published with (None: unstamped or absent)."""
    if not database.exists():
        return None
    with duckdb.connect(str(database), read_only=True) as con:
        try:
            row = con.execute(f"select fingerprint from {STAMP}").fetchone()
        except duckdb.CatalogException:
            return None
    return row[0] if row else None


def stamp(database: Path, code: str) -> None:
    with duckdb.connect(str(database)) as con:
        con.execute(f"create schema if not exists {STAMP.split('.')[0]}")
        con.execute(f"create or replace table {STAMP} as select ? as fingerprint", [code])
