"""dbt and pytest forked from a process that imported them behave as new processes."""

from __future__ import annotations

import os
from pathlib import Path

from loyalty_warehouse import preloaded

from .conftest import DbtRun


def test_the_tools_exit_code_and_output_are_returned(tmp_path: Path) -> None:
    code, output = preloaded.run("dbt", ["--version"], tmp_path, os.environ)
    assert code == 0 and "duckdb" in output
    code, output = preloaded.run("dbt", ["no-such-command"], tmp_path, os.environ)
    assert code == 2 and "No such command" in output


def test_the_project_package_comes_from_the_runs_pythonpath(tmp_path: Path) -> None:
    """A mutant's copy of the package is the one its checks import, even though the fork
    server imported the installed one."""
    mutant = tmp_path / "src" / "loyalty_warehouse"
    mutant.mkdir(parents=True)
    (mutant / "__init__.py").write_text('__version__ = "mutant"\n')
    (tmp_path / "test_version.py").write_text(
        "import loyalty_warehouse\n\n"
        "def test_version():\n    assert loyalty_warehouse.__version__ == 'mutant'\n")
    args = ["-q", "-p", "no:cacheprovider", "test_version.py"]
    mutant_env = {**os.environ, "PYTHONPATH": str(tmp_path / "src")}
    code, output = preloaded.run("pytest", args, tmp_path, mutant_env)
    assert code == 0, output
    code, output = preloaded.run("pytest", args, tmp_path, {**os.environ, "PYTHONPATH": ""})
    assert code == 1 and "1 failed" in output


def test_a_dbt_build_leaves_its_database_closed(default_build: DbtRun) -> None:
    # the forked dbt ran the exit handlers that close DuckDB: no write-ahead log is left
    assert default_build.database.exists()
    assert not Path(f"{default_build.database}.wal").exists()
