"""MetricFlow metrics equal the marts: the semantic layer adds no second definition."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from .conftest import ROOT, DbtRun, dbt_env

MF = str(Path(sys.executable).parent / "mf")
MONTHLY = ["orders", "net_revenue", "average_order_value", "purchase_frequency", "nps",
           "csat_rate", "churn_rate", "retention_rate", "repeat_purchase_rate"]

# one worker: mf reads target/ at the project root, which these tests write
pytestmark = pytest.mark.xdist_group("semantic")


@pytest.fixture(scope="module")
def semantic_build(default_build: DbtRun) -> DbtRun:
    """mf reads target/semantic_manifest.json at the project root, whose table names carry
    the database's name: parse against the test build first (bin/warehouse mf does too)."""
    done = subprocess.run([str(Path(sys.executable).parent / "dbt"), "parse", "--quiet"],
                          cwd=ROOT, env=dbt_env(default_build.database), capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stdout[-3000:]
    return default_build


def mf_query(build: DbtRun, tmp_path: Path, metrics: list[str], group_by: str,
             *extra: str) -> pd.DataFrame:
    out = tmp_path / f"{'-'.join(metrics)[:60]}.csv"
    env = dbt_env(build.database)
    done = subprocess.run([MF, "query", "--metrics", ",".join(metrics), "--group-by", group_by,
                           "--csv", str(out), *extra],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0 and out.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    return pd.read_csv(out)


def same(a: object, b: object) -> bool:
    if a is None or b is None or (isinstance(a, float) and math.isnan(a)):
        return (a is None or math.isnan(float(a))) and (b is None or math.isnan(float(b)))
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6)


def test_monthly_metrics_equal_loyalty_metrics_monthly(semantic_build: DbtRun,
                                                       tmp_path: Path) -> None:
    metrics = mf_query(semantic_build, tmp_path, MONTHLY, "metric_time__month")
    metrics["month"] = pd.to_datetime(metrics["metric_time__month"]).dt.date
    mart = {row[0]: row[1:] for row in semantic_build.query(
        f"select month, {', '.join(MONTHLY)} from main.loyalty_metrics_monthly")}
    assert set(metrics["month"]) == set(mart)
    mismatches = [
        (month, name, value, mart[month][i])
        for month, values in zip(metrics["month"], metrics[MONTHLY].itertuples(index=False),
                                 strict=True)
        for i, (name, value) in enumerate(zip(MONTHLY, values, strict=True))
        if not same(value, mart[month][i])
    ]
    assert not mismatches, mismatches[:10]


def test_nps_by_country_is_computed_from_counts(semantic_build: DbtRun, tmp_path: Path) -> None:
    """Grouped NPS is 100 x (P - D) / n of the group, as the segment mart gives it."""
    metrics = mf_query(semantic_build, tmp_path, ["nps", "nps_responses"], "customer__country",
                       "--start-time", "2026-04-01", "--end-time", "2026-06-30")
    expected = dict(semantic_build.query(
        "select country, 100.0 * (sum(promoters) - sum(detractors)) / sum(nps_responses) "
        "from main.loyalty_segments_monthly where month between '2026-04-01' and '2026-06-01' "
        "group by country"))
    got = dict(zip(metrics["customer__country"], metrics["nps"], strict=True))
    assert len(got) >= 3
    assert {country: round(value, 9) for country, value in got.items()} == pytest.approx(
        {country: round(value, 9) for country, value in expected.items()})


def test_every_monthly_metric_groups_by_the_same_customer_attributes(
        semantic_build: DbtRun, tmp_path: Path) -> None:
    """NPS (survey answers), retention and churn (the active base) and revenue (orders) in
    one query by customer_segment__country and __acquisition_channel, each equal to the
    segment mart's counts."""
    metrics = mf_query(semantic_build, tmp_path,
                       ["nps", "retention_rate", "churn_rate", "net_revenue"],
                       "metric_time__month,customer_segment__country,"
                       "customer_segment__acquisition_channel",
                       "--start-time", "2026-01-01", "--end-time", "2026-06-30")
    expected = {(str(row[0]), row[1], row[2]): row[3:] for row in semantic_build.query("""
        select month, country, acquisition_channel,
            100.0 * (sum(promoters) - sum(detractors)) / nullif(sum(nps_responses), 0),
            100.0 * (sum(customers_start) - sum(churned_customers))
                / nullif(sum(customers_start), 0),
            100.0 * sum(churned_customers) / nullif(sum(customers_start), 0),
            sum(net_revenue)
        from main.loyalty_segments_monthly where month between '2026-01-01' and '2026-06-01'
        group by all""")}
    got = {(row[0][:10], row[1], row[2]): row[3:] for row in metrics[[
        "metric_time__month", "customer_segment__country",
        "customer_segment__acquisition_channel", "nps", "retention_rate", "churn_rate",
        "net_revenue"]].itertuples(index=False)}
    assert len(got) >= 20
    compared = [(key, i, value, expected[key][i]) for key, values in got.items()
                for i, value in enumerate(values)]
    assert all(same(value, mart) for _, _, value, mart in compared), \
        [c for c in compared if not same(c[2], c[3])][:10]


def test_win_back_rate_equals_campaign_effectiveness(semantic_build: DbtRun,
                                                      tmp_path: Path) -> None:
    metrics = mf_query(semantic_build, tmp_path, ["win_back_rate", "holdout_win_back_rate"],
                       "campaign")
    mart = {row[0]: row[1:] for row in semantic_build.query(
        "select campaign_id, win_back_rate, holdout_win_back_rate "
        "from main.campaign_effectiveness")}
    assert len(metrics) == len(mart) > 0
    for campaign, rate, holdout_rate in metrics.itertuples(index=False):
        assert same(rate, mart[campaign][0]) and same(holdout_rate, mart[campaign][1]), campaign


def test_bin_warehouse_mf_parses_once_per_served_version(semantic_build: DbtRun,
                                                        tmp_path: Path) -> None:
    served = tmp_path / "loyalty.duckdb"
    served.write_bytes(semantic_build.database.read_bytes())
    env = {**dbt_env(served), "LOYALTY_WAREHOUSE_DIR": str(tmp_path)}

    def mf_list() -> str:
        done = subprocess.run([str(ROOT / "bin" / "warehouse"), "mf", "list", "metrics"],
                              cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        assert "nps" in done.stdout
        return done.stderr

    (ROOT / "target" / ".mf-parsed").unlink(missing_ok=True)
    assert "parsing the project" in mf_list()
    assert "parsing the project" not in mf_list()
    # a newly published version (another file under the same name) is parsed again: the
    # version stamp follows the served file's inode, size and modification time
    stamp = (ROOT / "target" / ".mf-parsed").read_text()
    replacement = tmp_path / "next.duckdb"
    replacement.write_bytes(served.read_bytes())
    replacement.replace(served)
    assert "parsing the project" in mf_list()
    assert (ROOT / "target" / ".mf-parsed").read_text() != stamp
