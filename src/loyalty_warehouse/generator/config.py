"""Generator settings: size, period, seed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

SCALES: dict[str, int] = {"S": 5_000, "M": 100_000, "L": 1_000_000}


@dataclass(frozen=True)
class GeneratorConfig:
    customers: int = SCALES["S"]
    start: date = date(2023, 7, 1)
    end: date = date(2026, 6, 30)  # the extract date: no event is later than this day
    seed: int = 20260630

    @property
    def horizon_days(self) -> float:
        """Length of the period in days; events fall in [0, horizon_days)."""
        return float((self.end - self.start).days + 1)
