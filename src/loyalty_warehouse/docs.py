"""dbt docs of the served warehouse: the catalog (column types, row counts) read from a
snapshot of the published file, not from the development database, so the docs describe
what BI users query. The snapshot keeps the served file free for readers and builds."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class DocsError(RuntimeError):
    pass


def _dbt(args: list[str], database: Path) -> None:
    env = {**os.environ, "DBT_PROFILES_DIR": str(ROOT), "LOYALTY_DUCKDB_PATH": str(database),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    done = subprocess.run([str(Path(sys.executable).parent / "dbt"), *args, "--quiet"],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise DocsError(f"dbt {args[0]} failed:\n{(done.stdout + done.stderr)[-3000:]}")


def generate_docs(served: Path, out: Path) -> Path:
    """Writes manifest, catalog, index.html and static_index.html (one self-contained file
    to open or share) to `out`; returns the static page."""
    if not served.exists():
        raise DocsError(f"no served warehouse at {served}: run `bin/warehouse build` first")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="docs-") as scratch:
        # the relations in the manifest carry the database's name: keep the file's name
        snapshot = Path(scratch) / served.name
        shutil.copyfile(served, snapshot)
        _dbt(["parse", "--target-path", str(out)], snapshot)
        # nothing to compile: the models are built; the catalog is read from the snapshot
        _dbt(["docs", "generate", "--no-compile", "--static", "--target-path", str(out)],
             snapshot)
    page = out / "static_index.html"
    if not page.exists():
        raise DocsError(f"dbt docs generate wrote no {page.name} to {out}")
    return page


def serve_docs(out: Path, port: int) -> None:
    """Serves the generated docs (dbt docs serve) until stopped."""
    from .children import replace_process

    env = {**os.environ, "DBT_PROFILES_DIR": str(ROOT), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    os.chdir(ROOT)
    replace_process([str(Path(sys.executable).parent / "dbt"), "docs", "serve", "--target-path",
                     str(out), "--port", str(port), "--no-browser"], env)
