"""Generator settings: size, period, seed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

SCALES: dict[str, int] = {"S": 5_000, "M": 100_000, "L": 1_000_000}
# Larger shops see their customers buy more often: M and L aim at about 10 orders per
# customer (1M and 10M orders), S at about 6 (the committed default).
PURCHASE_RATE_BY_SCALE: dict[str, float] = {"S": 1.0, "M": 1.8, "L": 1.8}


@dataclass(frozen=True)
class GeneratorConfig:
    customers: int = SCALES["S"]
    start: date = date(2023, 7, 1)
    end: date = date(2026, 6, 30)  # the extract date: no event is later than this day
    seed: int = 20260630
    purchase_rate_multiplier: float = 1.0

    @property
    def horizon_days(self) -> float:
        """Length of the period in days; events fall in [0, horizon_days)."""
        return float((self.end - self.start).days + 1)
