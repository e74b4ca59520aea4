"""The benchmark runs at scale S and writes its table (timings are never asserted)."""

from __future__ import annotations

from pathlib import Path

import pytest

from loyalty_warehouse.cli import main as loyalty_main

# builds warehouses of its own: left out of `bin/warehouse test --quick`
pytestmark = pytest.mark.slow


def test_benchmark_runs_at_scale_s(tmp_path: Path) -> None:
    out = tmp_path / "benchmark.md"
    assert loyalty_main(["bench", "--scales", "S", "--data-root", str(tmp_path / "data"),
                         "--out", str(out)]) == 0
    text = out.read_text()
    assert "| S | 5,000 |" in text
    assert "build / floor" in text and "cores" in text
    assert "incremental / full" in text
    assert text.rstrip().endswith("| yes |")  # the incremental warehouse equals the full one
