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


def open_page(browser: object, url: str, context: object = None) -> tuple[object, float]:
    """A new page (in a new browser context unless one is given: no cache, like a first
    visit) and the seconds until every section is on screen."""
    context = context or browser.new_context(viewport={"width": 1400, "height": 4200})
    page = context.new_page()
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
    """Every table on the page by its first header cell: rows of cell texts."""
    found = page.eval_on_selector_all(
        "table.loyalty-table",
        "els => els.map(t => [...t.querySelectorAll('tr')].map("
        "r => [...r.querySelectorAll('th,td')].map(c => c.innerText.trim())))")
    return {rows[0][0]: rows[1:] for rows in found if rows}


LAST_COMPLETE = """(select coalesce(max(case when not is_partial_month then month end),
    max(month)) from main.loyalty_metrics_monthly)"""


def currency(database: Path) -> str:
    return query(database, "select min(currency) from main.fct_orders")[0][0]


def shown_tiles(nps: float | None, moe: float | None, retention: float | None,
                churn: float | None, repeat: float | None, aov: float | None,
                money: str) -> dict[str, str]:
    """The tiles as the page formats them; n/a where the mart has NULL."""
    def fmt(value: float | None, pattern: str) -> str:
        return "n/a" if value is None else pattern.format(value)
    return {"NPS": fmt(nps, "{:.1f}") + ("" if nps is None else f" ± {moe:.1f}"),
            "Retention": fmt(retention, "{:.2f}%"), "Churn": fmt(churn, "{:.2f}%"),
            "Repeat purchase rate": fmt(repeat, "{:.2f}%"),
            "Average check": fmt(aov, "{:,.2f} " + money)}


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
    return shown_tiles(*row, currency(database))


def test_every_section_shows_the_marts(browser: object, app_url: str, database: Path) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page, load_seconds = open_page(browser, app_url)
    page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)
    # the same browser again (its cache warm, as for a returning reader)
    again, again_seconds = open_page(browser, app_url, page.context)
    again.close()
    (ARTIFACTS / "page_load.json").write_text(json.dumps(
        {"database": str(database), "seconds_to_all_sections": round(load_seconds, 2),
         "seconds_to_all_sections_browser_cache_warm": round(again_seconds, 2)}))
    assert not page.query_selector_all("[data-testid='stException']")

    # headline: equal to loyalty_metrics_monthly (unsplit) for the last complete month
    (row,) = query(database, f"""
        select nps, nps_margin_of_error, retention_rate, churn_rate, repeat_purchase_rate,
            average_order_value
        from main.loyalty_metrics_monthly where month = {LAST_COMPLETE}""")
    money = currency(database)
    assert tiles(page) == shown_tiles(*row, money)

    shown = tables(page)
    support = {row[0]: row[1:] for row in shown["First response"]}
    for bucket, customers, churn_rate in query(database, """
            select first_response_bucket, customers, churn_rate
            from main.support_experience_churn"""):
        assert support[bucket][0] == f"{customers:,}"
        assert support[bucket][2] == f"{churn_rate:,.1f}%"

    last, start = query(database, f"select {LAST_COMPLETE}, {LAST_COMPLETE} - interval 11 month")[0]
    campaigns = {row[0]: row for row in shown["Campaign"]}
    expected_campaigns = query(database, """
        select campaign_id, win_back_rate from main.campaign_effectiveness
        where campaign_type = 'reactivation'
            and date_trunc('month', starts_at) between ? and ?""", [start, last])
    assert set(campaigns) == {campaign for campaign, _ in expected_campaigns}
    for campaign, rate in expected_campaigns:
        assert campaigns[campaign][4] == f"{rate:,.1f}%"

    reasons = {row[0]: row[1] for row in shown["Reason group"]}
    assert reasons == {group: f"{total:,}" for group, total in query(database, """
        select reason_group, sum(churned_customers) from main.churn_reasons_monthly
        where month between ? and ? and reason_group <> 'unknown' group by 1""",
        [start, last])}

    rfm = [(row[0], row[1]) for row in shown["RFM segment"]]
    assert rfm == [(segment, f"{customers:,}") for segment, customers in query(database, """
        select rfm_segment, count(*) from main.dim_customers
        where rfm_segment is not null group by 1 order by 2 desc, 1""")]

    bands = {row[0]: row[1:] for row in shown["Alive band"]}
    expected_bands = query(database, """
        select alive_band, count(*), sum(predicted_clv_365d) from main.customer_clv
        where alive_band is not null group by 1""")
    assert set(bands) == {band for band, _, _ in expected_bands}
    for band, customers, clv_sum in expected_bands:
        assert bands[band][0] == f"{customers:,}"
        assert bands[band][3] == f"{clv_sum:,.2f} {money}"

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
    # the lookup ignores case, as keys do (SPEC 3.7)
    page.get_by_label("Customer 360: customer id (any case)").fill(customer_id.lower())
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => [...document.querySelectorAll('table.loyalty-table th')]"
        ".some(c => c.innerText.trim() === 'Field')", timeout=30_000)
    card = {row[0]: row[1] for row in tables(page)["Field"]}
    assert card["Customer"] == customer_id
    assert card["Lifecycle status"] == status and card["Completed orders"] == f"{orders:,}"
    alive, clv_365 = query(database, """
        select probability_alive, predicted_clv_365d from main.dim_customers
        where customer_id = ?""", [customer_id])[0]
    assert card["P(alive)"] == f"{alive:,.2f}"
    assert card["Predicted CLV, 365 days"] == f"{clv_365:,.2f} {currency(database)}"
    # nothing printed as a Python value
    assert not {"None", "NaT", "nan", "False", "True"} & set(card.values())
    assert f"customer={customer_id.lower()}" in page.url
    page.screenshot(path=str(ARTIFACTS / "customer_360.png"), full_page=True)
    page.close()

    country, = query(database, """
        select country from main.loyalty_segments_monthly
        group by 1 order by sum(nps_responses) desc limit 1""")[0]
    page, _ = open_page(browser, f"{app_url}/?country={country}")
    assert tiles(page) == expected_tiles(database, f"country = '{country}'")
    page.close()


def warning_text(page: object) -> str:
    alerts = page.query_selector_all("[data-testid='stAlert']")
    return " ".join(alert.inner_text() for alert in alerts)


def url_params(page: object) -> dict[str, list[str]]:
    from urllib.parse import parse_qs, urlparse

    return parse_qs(urlparse(page.url).query)


def test_the_address_holds_the_view_and_names_what_it_ignored(
        browser: object, app_url: str, database: Path) -> None:
    page, _ = open_page(browser, f"{app_url}/?country=XX&member=foo&from=2030-01")
    said = warning_text(page)
    for ignored in ("country=XX", "member=foo", "from=2030-01"):
        assert ignored in said
    assert "country" not in url_params(page) and "member" not in url_params(page)
    page.close()

    page, _ = open_page(browser, f"{app_url}/?from=2026-03&to=2025-10")
    assert "swapped" in warning_text(page)
    assert url_params(page)["from"] == ["2025-10"] and url_params(page)["to"] == ["2026-03"]
    page.close()

    # a shared view opens as it was: period, country, membership, drill-down
    country, = query(database, """
        select country from main.loyalty_segments_monthly
        group by 1 order by sum(nps_responses) desc limit 1""")[0]
    view = f"from=2025-01&to=2025-06&country={country}&member=members&drill=segment:champions"
    page, _ = open_page(browser, f"{app_url}/?{view}")
    assert not warning_text(page)
    params = url_params(page)
    assert params == {"from": ["2025-01"], "to": ["2025-06"], "country": [country],
                      "member": ["members"], "drill": ["segment:champions"]}
    (row,) = query(database, f"""
        with m as (
            select sum(promoters) p, sum(detractors) d, sum(nps_responses) n
            from main.loyalty_segments_monthly
            where country = '{country}' and is_loyalty_member and month = '2025-06-01')
        select 100.0 * (p - d) / nullif(n, 0) from m""")
    assert tiles(page)["NPS"].startswith(f"{row[0]:.1f}")
    (champions,) = query(database, f"""
        select count(*) from main.dim_customers
        where rfm_segment = 'champions' and country = '{country}' and is_loyalty_member""")[0]
    assert f"{champions:,} customers" in page.inner_text("body")
    page.get_by_text("Non-members", exact=True).click()
    wait_until_idle(page)
    page.wait_for_function("() => location.search.includes('member=non_members')",
                           timeout=30_000)
    page.close()


def test_drill_down_lists_the_customers_behind_a_cohort_cell(
        browser: object, app_url: str, database: Path) -> None:
    cohort, active = query(database, """
        select cohort_month, active_customers from main.customer_cohorts
        where months_since_first_order = 1 and cohort_month >= (
            select max(cohort_month) - interval 9 month from main.customer_cohorts)
        order by cohort_month limit 1""")[0]
    page, _ = open_page(browser, f"{app_url}/?drill=cohort:{cohort:%Y-%m}:1")
    assert f"{active:,} customers" in page.inner_text("body")
    assert page.get_by_role("button", name=f"Download these {active:,} customers (CSV)")
    # every table has its CSV
    table_count = len(page.query_selector_all("table.loyalty-table"))
    downloads = page.get_by_role("button", name="(CSV)").count()
    assert downloads >= table_count
    page.close()


def test_formats_badges_and_reasons_read_as_people_expect(
        browser: object, app_url: str, database: Path) -> None:
    page, _ = open_page(browser, app_url)
    shown = tables(page)
    for name, rows in shown.items():
        for row in rows:
            assert not {"None", "NaT", "nan", "False", "True"} & set(row), (name, row)
    # numbers right-aligned, rates with %, money with the currency
    aligned = page.eval_on_selector_all(
        "table.loyalty-table td.num", "els => els.map(e => getComputedStyle(e).textAlign)")
    assert aligned and set(aligned) == {"right"}
    assert all(row[3].endswith("%") for row in shown["First response"])
    assert all(row[2].endswith(currency(database)) for row in shown["RFM segment"])
    # the sections the filters cannot reach say so
    badges = page.get_by_text("Not filtered by country, channel or membership").count()
    assert badges == 3
    # reasons: shares of the known reasons, and the months still collecting answers
    lag, as_of = query(database, """
        select quantile_cont(date_diff('day', c.churned_at, cast(r.responded_at as date)), 0.9),
            (select max(period_end_date) from main.loyalty_metrics_monthly)
        from main.fct_survey_responses r join main.dim_customers c using (customer_id)
        where r.survey_type = 'exit' and c.churned_at is not null
            and cast(r.responded_at as date) >= c.churned_at - interval 365 day""")[0]
    months = [m for (m,) in query(database, """
        select distinct month from main.churn_reasons_monthly
        where month + interval 1 month - interval 1 day + to_days(cast(ceil(?) as integer))
            > ? order by 1""", [lag, as_of])]
    body = page.inner_text("body")
    if months:
        assert "Still collecting exit answers" in body
        for month in months[-2:]:
            assert f"{month:%Y-%m}" in body.split("Still collecting exit answers")[1][:300]
    page.close()


CHART_NAMES = ["NPS by month with its 95% band", "Retention rate by month, percent",
               "Churn rate by month, percent", "Cohort retention heatmap",
               "Share of churns with a known exit reason, by churn month",
               "Churn rate by speed of the first support response", "Customers per RFM segment"]


def test_charts_are_named_readable_and_fit_a_phone(browser: object, app_url: str) -> None:
    page, _ = open_page(browser, app_url)
    names = page.eval_on_selector_all("[aria-label]", "els => els.map(e => e.getAttribute("
                                      "'aria-label'))")
    for name in CHART_NAMES:
        assert any(label.startswith(name) for label in names), name
    styles = page.eval_on_selector_all(
        "svg .role-axis-label text",
        "els => els.map(e => [getComputedStyle(e).fontSize, e.getAttribute('fill')])")
    assert styles and all(size == "13px" and fill == "#333333" for size, fill in styles), \
        styles[:5]
    page.close()

    phone = browser.new_page(viewport={"width": 390, "height": 7000})
    phone.goto(app_url)
    phone.wait_for_selector("text=Customer 360", timeout=120_000)
    phone.wait_for_selector("svg.marks", timeout=60_000)
    wait_until_idle(phone)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    # a wide table scrolls inside its box instead of being cut off
    boxes = phone.eval_on_selector_all(
        ".table-scroll", "els => els.map(e => [getComputedStyle(e).overflowX, e.clientWidth])")
    assert boxes and all(overflow == "auto" and width <= 390 for overflow, width in boxes)
    # legends sit under the charts, not beside them
    legends = phone.eval_on_selector_all("svg.marks", """els => els.map(svg => {
        const legend = svg.querySelector('.role-legend');
        if (!legend) return null;
        const a = legend.getBoundingClientRect(), b = svg.getBoundingClientRect();
        return [a.top - b.top, a.height, b.height]; }).filter(x => x)""")
    assert legends and all(top > 0.4 * height for top, _, height in legends), legends
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "phone.png"), full_page=True)
    phone.close()
