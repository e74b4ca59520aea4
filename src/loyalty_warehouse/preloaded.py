"""dbt and pytest run in processes forked from one that has already imported them.

A mutant's checks, and most of the tests' dbt runs, take a few seconds each, and a new
Python process spends 1.5 to 2.7 s of that importing dbt and its DuckDB adapter alone
(warm and cold file cache), then pandas or pytest. A server
process (`python -m loyalty_warehouse.preloaded TOOL`, one per tool and calling thread)
imports those libraries once and forks a child for every run: each child starts from the
same state, as a new process would, without the imports.

multiprocessing's fork server does not fit: every child it starts imports the caller's
main script again, and under pytest that can be the dashboard that Streamlit's AppTest
ran as `__main__`.

The project's own package is not shared: each run imports it as a new process would,
from the folders of the run's PYTHONPATH first (a mutant's copy) and, for pytest, from
its working folder (as `python -m pytest` does).
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import traceback
from collections.abc import Mapping
from pathlib import Path

PACKAGE = "loyalty_warehouse"
# per tool, what its runs import anyway (a server's first run then costs about what a new
# process would): dbt with the DuckDB adapter and the CLV model's libraries; pytest with
# its plugins and the checks' data libraries
PRELOAD = {"dbt": ["dbt.cli.main", "dbt.adapters.duckdb", "dbt.task.build",
                   "dbt.parser.manifest", "agate", "duckdb", "pandas", "scipy.optimize",
                   "autograd", "lifetimes"],
           "pytest": ["pytest", "hypothesis", "duckdb", "pandas", "pyarrow.parquet", "yaml"]}
_servers = threading.local()


def run(tool: str, args: list[str], cwd: Path, env: Mapping[str, str]) -> tuple[int, str]:
    """`dbt ARGS` or `pytest ARGS` in cwd with env: (exit code, output)."""
    servers: dict[str, subprocess.Popen[str]] = _servers.__dict__.setdefault("by_tool", {})
    server = servers.get(tool)
    if server is None or server.poll() is not None:
        server = servers[tool] = subprocess.Popen(
            [sys.executable, "-m", f"{PACKAGE}.preloaded", tool], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True)
    assert server.stdin is not None and server.stdout is not None
    handle, log = tempfile.mkstemp(prefix=f"{tool}-", suffix=".out")
    os.close(handle)
    try:
        request = {"tool": tool, "args": args, "cwd": str(cwd), "env": dict(env), "log": log}
        server.stdin.write(json.dumps(request) + "\n")
        server.stdin.flush()
        answer = server.stdout.readline()
        if not answer:
            raise RuntimeError(f"the preloaded {tool} server ended (exit {server.wait()})")
        return int(answer), Path(log).read_text(errors="replace")
    finally:
        os.unlink(log)


def _run(tool: str, args: list[str], cwd: str, env: dict[str, str], log: str) -> int:
    """In the forked child: the tool's command line, its output written to log."""
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)  # the server's requests are not the child's input
    output = os.open(log, os.O_WRONLY | os.O_TRUNC)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
        del sys.modules[name]
    sys.path[:0] = [*filter(None, env.get("PYTHONPATH", "").split(os.pathsep)),
                    *([cwd] if tool == "pytest" else [])]
    try:
        if tool == "dbt":
            from dbt.cli.main import cli

            try:
                cli.main(args=args, prog_name="dbt")
            except SystemExit as stop:  # dbt always ends this way, with its exit code
                return int(stop.code or 0)
            return 0
        import pytest

        # the plugins imported before pytest started cannot have their asserts rewritten
        return int(pytest.main(["-W", "ignore::pytest.PytestAssertRewriteWarning", *args]))
    finally:
        # a forked child ends without the interpreter's exit: run its exit handlers, which
        # close dbt's DuckDB database (a checkpoint, no write-ahead log left to replay)
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()


def serve(tool: str) -> None:
    """The server of one tool: import its PRELOAD, then fork a child per request line and
    answer its exit code, one request at a time, until the caller closes its end."""
    answers = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # whatever an import prints must not read as an answer
    for name in PRELOAD[tool]:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    for line in sys.stdin:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child, which never returns
            code = 1
            try:
                code = _run(**json.loads(line))
            except BaseException:  # noqa: BLE001 - the child's log is where it is read
                traceback.print_exc()
                sys.stderr.flush()
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        answers.write(f"{os.waitstatus_to_exitcode(status)}\n")
        answers.flush()


if __name__ == "__main__":
    serve(sys.argv[1])
