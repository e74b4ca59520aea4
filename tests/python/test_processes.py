"""Stopping a command stops everything it started (no orphan server, no orphan dbt)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import ROOT
from .processes import free_port, port_is_free, wait_until_gone

# builds warehouses of its own: left out of `bin/warehouse test --quick`
pytestmark = pytest.mark.slow


def wait_for_health(port: int, log: Path) -> None:
    for _ in range(120):
        try:
            if urllib.request.urlopen(f"http://localhost:{port}/_stcore/health",
                                      timeout=1).read() == b"ok":
                return
        except OSError:
            time.sleep(0.5)
    pytest.fail("the dashboard did not start: " + log.read_text()[-2000:])


def hangups_not_ignored() -> None:
    """Start the dashboard as a terminal would: a suite run under `nohup` ignores SIGHUP,
    and an exec'd server keeps that (as `nohup` intends), so SIGHUP would not stop it."""
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def dashboard_command(entry: str, database: Path, port: int) -> list[str]:
    arguments = ["dashboard", "--database", str(database), "--port", str(port)]
    if entry == "bin/warehouse":
        return [str(ROOT / "bin" / "warehouse"), *arguments]
    return [sys.executable, "-m", "loyalty_warehouse.cli", *arguments]


@pytest.mark.parametrize("entry", ["loyalty", "bin/warehouse"])
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_stopping_the_dashboard_stops_its_server(entry: str, stop: signal.Signals,
                                                 tmp_path: Path) -> None:
    if entry == "bin/warehouse" and not (ROOT / ".venv" / "bin" / "loyalty").exists():
        pytest.skip("bin/warehouse has no .venv in this copy of the project")
    port = free_port()
    log = tmp_path / "dashboard.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    with log.open("w") as out:
        process = subprocess.Popen(dashboard_command(entry, tmp_path / "any.duckdb", port),
                                   cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True, preexec_fn=hangups_not_ignored)
    try:
        wait_for_health(port, log)
        # only the command we started is signalled, as a service manager or a closed
        # terminal would do; whatever it started must stop with it
        process.send_signal(stop)
        process.wait(timeout=30)
        left = wait_until_gone(process.pid)
        assert not left, f"processes left after {stop.name}: {left}"
        assert port_is_free(port), f"port {port} still taken after {stop.name}"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
