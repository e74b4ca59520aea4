"""The dashboard as a person uses it: headless Chromium against a running Streamlit app.

Numbers on the page must equal the marts; a filter change must move them as the marts
say; screenshots and the page-load time go to artifacts/dashboard/. By default it runs
on the default build; LOYALTY_DASHBOARD_TEST_DB=path runs it on another warehouse file
(e.g. scale M)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from .conftest import ROOT, DbtRun
from .processes import free_port, wait_until_gone

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts" / "dashboard"
SECTIONS = ["Trends", "Cohort retention", "Why customers leave", "Support experience and churn",
            "Win-back campaigns", "Customer lifetime value", "RFM segments"]

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dashboard"), pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Chromium is not installed (apt-get install -y chromium; .ci/run installs it): "
           "dashboard browser test skipped")]


@pytest.fixture(scope="module")
def database(request: pytest.FixtureRequest) -> Path:
    other = os.environ.get("LOYALTY_DASHBOARD_TEST_DB")
    if other:
        return Path(other).resolve()
    build: DbtRun = request.getfixturevalue("default_build")
    return build.database


@pytest.fixture(scope="module")
def app_url(database: Path) -> Iterator[str]:
    port = free_port()
    log = (database.parent / "dashboard.log").open("w")
    # the CLI and the app of this checkout (a mutation check runs a scratch copy)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    process = subprocess.Popen(
        [sys.executable, "-m", "loyalty_warehouse.cli", "dashboard", "--database", str(database),
         "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)
    url = f"http://localhost:{port}"
    try:
        for _ in range(120):
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("the dashboard did not start: " + (database.parent / "dashboard.log")
                        .read_text()[-2000:])
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()
        left = wait_until_gone(process.pid)
        if left:  # never leave a server behind, even when asserting about it
            os.killpg(process.pid, signal.SIGKILL)
        assert not left, f"the dashboard left processes running: {left}"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-background-networking"])
        yield chromium
        chromium.close()


def query(database: Path, sql: str, params: list[object] | None = None) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def open_page(browser: object, url: str) -> tuple[object, float]:
    page = browser.new_page(viewport={"width": 1400, "height": 4200})
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_selector("text=Customer 360", timeout=120_000)
    for heading in SECTIONS:
        page.get_by_role("heading", name=heading).wait_for(timeout=60_000)
    page.wait_for_selector("[data-testid='stMetricValue']")
    page.wait_for_selector("canvas, svg.marks", timeout=60_000)  # charts drawn
    elapsed = time.perf_counter() - started
    wait_until_idle(page)
    return page, elapsed


def wait_until_idle(page: object) -> None:
    """Streamlit shows a running indicator while a script run is in progress."""
    time.sleep(0.5)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    time.sleep(0.5)


def tiles(page: object) -> dict[str, str]:
    values = {}
    for metric in page.query_selector_all("[data-testid='stMetric']"):
        label = metric.query_selector("[data-testid='stMetricLabel']").inner_text().strip()
        values[label] = metric.query_selector("[data-testid='stMetricValue']").inner_text().strip()
    return values


def tables(page: object) -> dict[str, list[list[str]]]:
    """Every st.table on the page by its first header cell: rows of cell texts."""
    found = page.eval_on_selector_all(
        "[data-testid='stTable'] table",
        "els => els.map(t => [...t.querySelectorAll('tr')].map("
        "r => [...r.querySelectorAll('th,td')].map(c => c.innerText.trim())))")
    return {rows[0][0]: rows[1:] for rows in found if rows}


LAST_COMPLETE = """(select coalesce(max(case when not is_partial_month then month end),
    max(month)) from main.loyalty_metrics_monthly)"""


def shown_tiles(nps: float | None, moe: float | None, retention: float | None,
                churn: float | None, repeat: float | None, aov: float | None) -> dict[str, str]:
    """The tiles as the page formats them; n/a where the mart has NULL."""
    def fmt(value: float | None, pattern: str) -> str:
        return "n/a" if value is None else pattern.format(value)
    return {"NPS": fmt(nps, "{:.1f}") + ("" if nps is None else f" ± {moe:.1f}"),
            "Retention": fmt(retention, "{:.2f}%"), "Churn": fmt(churn, "{:.2f}%"),
            "Repeat purchase rate": fmt(repeat, "{:.2f}%"), "Average check": fmt(aov, "{:,.2f}")}


def expected_tiles(database: Path, where: str = "true") -> dict[str, str]:
    """The headline tiles for the last complete month, from loyalty_segments_monthly."""
    (row,) = query(database, f"""
        with m as (
            select sum(promoters) p, sum(detractors) d, sum(nps_responses) n,
                sum(customers_start) s, sum(churned_customers) l,
                sum(customers_with_repeat_purchase) r, sum(customers_with_purchase) b,
                sum(net_revenue) rev, sum(orders) o
            from main.loyalty_segments_monthly
            where {where} and month = {LAST_COMPLETE}
        )
        select 100.0 * (p - d) / nullif(n, 0),
            1.96 * 100 * sqrt((p / n + d / n - power((p - d) / n, 2)) / nullif(n, 0)),
            100.0 * (s - l) / nullif(s, 0), 100.0 * l / nullif(s, 0), 100.0 * r / nullif(b, 0),
            rev / nullif(o, 0)
        from m""")
    return shown_tiles(*row)


def test_every_section_shows_the_marts(browser: object, app_url: str, database: Path) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page, load_seconds = open_page(browser, app_url)
    page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)
    (ARTIFACTS / "page_load.json").write_text(json.dumps(
        {"database": str(database), "seconds_to_all_sections": round(load_seconds, 2)}))
    assert not page.query_selector_all("[data-testid='stException']")

    # headline: equal to loyalty_metrics_monthly (unsplit) for the last complete month
    (row,) = query(database, f"""
        select nps, nps_margin_of_error, retention_rate, churn_rate, repeat_purchase_rate,
            average_order_value
        from main.loyalty_metrics_monthly where month = {LAST_COMPLETE}""")
    assert tiles(page) == shown_tiles(*row)

    shown = tables(page)
    support = {row[0]: row[1:] for row in shown["first_response_bucket"]}
    for bucket, customers, churn_rate in query(database, """
            select first_response_bucket, customers, churn_rate
            from main.support_experience_churn"""):
        assert support[bucket][0] == f"{customers:,}"
        assert support[bucket][2] == f"{churn_rate:,.1f}"

    last, start = query(database, f"select {LAST_COMPLETE}, {LAST_COMPLETE} - interval 11 month")[0]
    campaigns = {row[0]: row for row in shown["campaign_id"]}
    expected_campaigns = query(database, """
        select campaign_id, win_back_rate from main.campaign_effectiveness
        where campaign_type = 'reactivation'
            and date_trunc('month', starts_at) between ? and ?""", [start, last])
    assert set(campaigns) == {campaign for campaign, _ in expected_campaigns}
    for campaign, rate in expected_campaigns:
        assert campaigns[campaign][4] == f"{rate:,.1f}"

    reasons = {row[0]: row[1] for row in shown["reason_group"]}
    assert reasons == {group: f"{total:,}" for group, total in query(database, """
        select reason_group, sum(churned_customers) from main.churn_reasons_monthly
        where month between ? and ? and reason_group <> 'unknown' group by 1""",
        [start, last])}

    rfm = {row[0]: row[1] for row in shown["rfm_segment"]}
    assert rfm == {segment: f"{customers:,}" for segment, customers in query(database, """
        select rfm_segment, count(*) from main.dim_customers
        where rfm_segment is not null group by 1""")}

    bands = {row[0]: row[1:] for row in shown["alive_band"]}
    expected_bands = query(database, """
        select alive_band, count(*), sum(predicted_clv_365d) from main.customer_clv
        where alive_band is not null group by 1""")
    assert set(bands) == {band for band, _, _ in expected_bands}
    for band, customers, clv_sum in expected_bands:
        assert bands[band][0] == f"{customers:,}"
        assert bands[band][3] == f"{clv_sum:,.2f}"

    size, rate = query(database, """
        select cohort_size, retention_rate from main.customer_cohorts
        where cohort_month = ? and months_since_first_order = 1""", [start])[0]
    assert f"{size:,} customers, month 1 retention {rate:.1f}%" in page.inner_text("body")

    # every chart states its definition, taken from the model docs in the warehouse
    nps_doc, = query(database, """
        select comment from duckdb_columns()
        where table_name = 'loyalty_metrics_monthly' and column_name = 'nps'""")[0]
    assert nps_doc and nps_doc in page.inner_text("body")
    page.close()


def test_filters_and_customer_lookup_change_the_numbers(browser: object, app_url: str,
                                                        database: Path) -> None:
    page, _ = open_page(browser, app_url)
    everyone = tiles(page)
    page.get_by_text("Members", exact=True).click()
    wait_until_idle(page)
    page.wait_for_function(
        "nps => document.querySelector(\"[data-testid='stMetricValue']\").innerText.trim() "
        "!== nps", arg=everyone["NPS"], timeout=30_000)
    members = tiles(page)
    assert members == expected_tiles(database, "is_loyalty_member")
    assert members != everyone
    page.screenshot(path=str(ARTIFACTS / "members.png"), full_page=True)

    customer_id, status, orders = query(database, """
        select customer_id, lifecycle_status, orders_count from main.dim_customers
        where orders_count >= 3 order by customer_id limit 1""")[0]
    page.get_by_label("Customer 360: customer id").fill(customer_id)
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => [...document.querySelectorAll(\"[data-testid='stTable'] th\")]"
        ".some(c => c.innerText.trim() === 'field')", timeout=30_000)
    card = {row[0]: row[1] for row in tables(page)["field"]}
    assert card["customer_id"] == customer_id
    assert card["lifecycle_status"] == status and card["orders_count"] == f"{orders:,}"
    alive, clv_365 = query(database, """
        select probability_alive, predicted_clv_365d from main.dim_customers
        where customer_id = ?""", [customer_id])[0]
    assert card["probability_alive"] == f"{alive:,.2f}"
    assert card["predicted_clv_365d"] == f"{clv_365:,.2f}"
    page.screenshot(path=str(ARTIFACTS / "customer_360.png"), full_page=True)
    page.close()

    country, = query(database, """
        select country from main.loyalty_segments_monthly
        group by 1 order by sum(nps_responses) desc limit 1""")[0]
    page, _ = open_page(browser, f"{app_url}/?country={country}")
    assert tiles(page) == expected_tiles(database, f"country = '{country}'")
    page.close()
