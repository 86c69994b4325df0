"""The console in a real headless Chromium against a server with demo data."""

from __future__ import annotations

import json
import re
import time
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from limelight.demo.resources import demo_resources
from limelight.sessions import COOKIE
from tests.api.test_ingest_errors import trace_request
from tests.conftest import RunningServer
from tests.ui.conftest import api, log_in, screenshot

P99_BY_SERVICE = {"datasets": ["otel"], "calculations": ["COUNT", "P99($duration_ms)"],
                  "groupBys": ["$service"], "from": "1h"}


def url_params(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def test_pages_need_login_and_come_back_after(browser: Browser,
                                              console_server: RunningServer) -> None:
    context = browser.new_context(base_url=console_server.url,
                                  viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto("/events?dataset=logs")
    assert urlsplit(page.url).path == "/login"
    page.fill("#key", "ll_a_not-a-key")
    page.click("form.login button[type=submit]")
    expect(page.locator(".login .error")).to_contain_text("unknown or revoked")
    screenshot(page, "login.png")
    log_in(page, start=None)
    assert urlsplit(page.url).path == "/events"
    assert url_params(page)["dataset"] == ["logs"]
    context.close()


def test_home_lists_services_with_sparklines(page: Page, console_server: RunningServer) -> None:
    rows = page.locator("#service-table tbody tr")
    expect(rows.first).to_be_visible()
    expected = console_server.query({
        "datasets": ["otel"], "calculations": ["COUNT"], "groupBys": ["$service", "$namespace"],
        "filters": ["$kind = span", "span.kind IN (server, consumer)"], "from": "1h"})
    assert rows.count() == len(expected["aggregates"])  # type: ignore[arg-type]
    assert page.locator("#service-table canvas").count() == rows.count()
    screenshot(page, "home.png")
    rows.first.locator("a").click()
    page.wait_for_url("**/query?**")
    spec = json.loads(url_params(page)["q"][0])
    assert any(f.startswith("$service = ") for f in spec["filters"])


def test_grouped_p99_query_draws_chart_and_table(page: Page,
                                                console_server: RunningServer) -> None:
    page.click("nav.side >> text=Query")
    expect(page.locator(".chip.calc")).to_have_count(1)  # a new query counts events
    page.click("#add-calc")
    page.locator(".chip.calc .calc-op").nth(1).select_option("P99")
    page.locator(".chip.calc .calc-key").nth(1).fill("$duration_ms")
    page.click("#add-group")
    page.locator(".group-key").fill("$service")
    page.click("#run")
    expect(page.locator("#aggregates tbody tr").first).to_be_visible()

    expected: list[dict[str, Any]] = console_server.query(P99_BY_SERVICE)["aggregates"]  # type: ignore[assignment]
    spec = json.loads(url_params(page)["q"][0])
    assert spec["calculations"] == ["COUNT", "P99($duration_ms)"]
    assert spec["groupBys"] == ["$service"]
    assert page.locator("#chart canvas").count() >= 1
    legend = page.locator("#chart .u-legend .u-series")  # the first entry is the time axis
    assert legend.count() - 1 == len(expected)
    rows = page.locator("#aggregates tbody tr")
    assert rows.count() == len(expected)
    for i, aggregate in enumerate(expected):
        cells = rows.nth(i).locator("td")
        assert cells.nth(0).inner_text() == aggregate["groups"]["$service"]
        shown = [json.loads(cells.nth(j).get_attribute("data-value") or "null") for j in (1, 2)]
        assert shown == [aggregate["values"]["COUNT"], aggregate["values"]["P99($duration_ms)"]]
        # The table's swatch has the colour of the group's line in the legend.
        swatch = cells.nth(0).locator(".swatch").evaluate("e => e.style.background")
        marker = legend.nth(i + 1).locator(".u-marker").evaluate("e => e.style.borderColor")
        assert swatch == marker
    screenshot(page, "query.png")

    page.click("#copy-yaml")
    expect(page.locator("#status")).to_contain_text("Copied")
    yaml_text = page.locator("#clipboard").input_value()
    assert "type: query" in yaml_text and "parameters:" in yaml_text
    assert '"P99($duration_ms)"' in yaml_text

    # Dragging across the chart narrows the time range to the selection.
    box = page.locator("#chart .u-over").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + 40)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.9, box["y"] + 40, steps=5)
    page.mouse.up()
    page.wait_for_function("() => new URLSearchParams(location.search).get('from') !== null")
    start, end = (int(url_params(page)[k][0]) for k in ("from", "to"))
    assert 0 < end - start < 3_600_000

    # Clicking a group's row narrows the query to it.
    first = rows.first.locator("td").first.inner_text()
    rows.first.click()
    page.wait_for_function("() => location.search.includes('filters')")
    assert json.loads(url_params(page)["q"][0])["filters"] == [f"$service = {first}"]
    expect(page.locator("#aggregates tbody tr")).to_have_count(1)


def test_back_shows_the_query_and_range_before(page: Page) -> None:
    plain = {"datasets": ["otel"], "calculations": ["COUNT"], "groupBys": ["$service"]}
    page.goto("/query?q=" + quote(json.dumps(plain)))
    expect(page.locator("#aggregates tbody tr").first).to_be_visible()
    page.locator("#order").select_option("COUNT")
    page.locator("#direction").select_option("ASC")
    page.click("#run")
    page.wait_for_function("() => location.search.includes('orderBy')")
    entries = page.evaluate("history.length")
    page.locator("#range").select_option("15m")
    page.wait_for_function("() => location.search.includes('from=15m')")
    assert page.evaluate("history.length") == entries + 1  # one entry per change
    page.go_back()
    page.wait_for_function("() => !location.search.includes('from=15m')")
    expect(page.locator("#range")).to_have_value("1h")
    page.go_back()
    page.wait_for_function("() => !location.search.includes('orderBy')")
    expect(page.locator("#order")).to_have_value("")  # the ORDER BY of query A: none
    assert json.loads(url_params(page)["q"][0]) == {**plain, "granularity": "auto"}  # as it was


def test_clicking_a_value_filters_the_events(page: Page) -> None:
    page.goto("/events?dataset=otel")
    first = page.locator(".ev .line").first
    first.click()
    value = page.locator('.json .v[data-key="$service"]').first
    service = json.loads(value.inner_text())
    value.click()
    page.wait_for_function("() => new URLSearchParams(location.search).has('filter')")
    assert url_params(page)["filter"] == [f"$service = {service}"]
    expect(page.locator(".chip.filter")).to_contain_text(f"$service = {service}")
    expect(page.locator("#status")).to_contain_text("newest events")
    services = page.locator(".ev .svc").all_inner_texts()
    assert services and set(services) == {service}
    page.locator(".ev .line").first.click()
    screenshot(page, "events.png")


def test_a_trace_opens_from_an_event(page: Page, console_server: RunningServer) -> None:
    page.goto("/events?dataset=logs&filter=" + "$level = error")
    page.locator(".ev .line").first.click()
    page.locator(".json .open-trace").first.click()
    page.wait_for_url("**/traces/**")
    trace_id = urlsplit(page.url).path.rsplit("/", 1)[1]
    trace = api(console_server, "GET", f"/api/traces/{trace_id}").json()
    expect(page.locator(".wf-row")).to_have_count(trace["span_count"])
    assert page.locator(".wf-log").count() == len(trace["logs"]) >= 1
    # A log's whole line (cut short on screen) is on hover.
    titles = " | ".join(t or "" for t in page.locator(".wf-log").evaluate_all(
        "(rows) => rows.map((r) => r.title)"))
    assert all(log["$message"] in titles for log in trace["logs"])
    assert page.locator(".wf-row.error").count() == trace["errors"] >= 1
    page.locator(".wf-row.error").first.click()
    expect(page.locator("#span-detail")).to_be_visible()
    expect(page.locator("#span-detail")).to_contain_text("$span_id")
    assert "null" not in page.locator("#span-detail").inner_text()
    screenshot(page, "trace.png")
    page.click("#ask-ai")
    expect(page.locator("#ai-summary")).not_to_be_empty(timeout=30_000)
    page.keyboard.press("Escape")
    expect(page.locator("#ai-panel")).to_be_hidden()


def test_list_rows_open_from_the_keyboard_and_times_are_utc(page: Page) -> None:
    page.goto("/errors")
    link = page.locator("#list tbody tr td.main a").first
    expect(link).to_be_visible()
    assert (link.get_attribute("href") or "").startswith("/errors/")
    assert " UTC" in page.locator("#list tbody tr").first.inner_text()
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/errors/**")
    page.goto("/query")
    page.locator("#range").select_option("custom")
    page.locator("#range-from").fill("2026-01-02T03:04")
    page.locator("#range-to").fill("2026-01-02T04:04")
    page.click("#timerange button")
    page.wait_for_function("() => /^\\d+$/.test(new URLSearchParams(location.search).get('from'))")
    assert url_params(page)["from"] == ["1767323040000"]  # 03:04 UTC, whatever the browser's zone


@pytest.mark.parametrize(
    ("path", "content"),
    [("/traces", "#traces tbody tr"), ("/errors", "#list tbody tr"),
     ("/alerts", "#list .state.empty"), ("/checks", "#list .state.empty"),
     ("/dashboards", "#list .state.empty"), ("/settings", "#list tbody tr")],
    ids=["traces", "errors", "alerts", "checks", "dashboards", "settings"],
)
def test_every_list_page_shows_its_items_or_what_to_do(page: Page, path: str,
                                                       content: str) -> None:
    page.goto(path)
    expect(page.locator(content).first).to_be_visible()
    assert page.locator(".state.error").count() == 0
    expect(page.locator("nav.side a.active")).to_have_attribute("href", path)


def test_an_error_group_opens_from_the_list(page: Page) -> None:
    page.goto("/errors")
    page.locator("#list tbody tr td.main").first.click()
    page.wait_for_url("**/errors/**")
    expect(page.locator("#error .summary")).to_contain_text("events")
    expect(page.locator("#error a[href^='/events?']")).to_be_visible()


def test_alert_notification_links_open_their_query(page: Page) -> None:
    spec = {"datasets": ["otel"], "calculations": ["COUNT"], "filters": ["$error = true"],
            "from": "30m", "to": "now"}
    page.goto("/query?spec=" + quote(json.dumps(spec)))
    expect(page.locator("#aggregates")).to_be_visible()
    params = url_params(page)
    assert (params["from"], params["to"]) == (["30m"], ["now"])
    assert json.loads(params["q"][0])["filters"] == ["$error = true"]
    assert "spec" not in params


def test_live_tail_receives_a_new_event(page: Page, console_server: RunningServer) -> None:
    assert api(console_server, "POST", "/v1/events/tailed", json=[{"message": "before"}]
               ).status_code == 202
    page.goto("/events?dataset=tailed&tail=1")
    expect(page.locator("#status")).to_contain_text("waiting for new events")
    marker = f"sent during the test {time.time_ns()}"
    assert api(console_server, "POST", "/v1/events/tailed",
               json=[{"message": marker, "service": "tail-test"}]).status_code == 202
    expect(page.locator(".ev.new .msg").first).to_have_text(marker, timeout=15_000)


def test_logout_ends_the_session(page: Page, console_server: RunningServer) -> None:
    cookie = next(c["value"] for c in page.context.cookies() if c["name"] == COOKIE)
    with httpx.Client(base_url=console_server.url, cookies={COOKIE: cookie}) as client:
        assert client.get("/api/datasets").status_code == 200
        page.click("#logout")
        page.wait_for_url("**/login")
        assert client.get("/api/datasets").status_code == 401
    assert not [c for c in page.context.cookies() if c["name"] == COOKIE]
    page.goto("/query")
    assert urlsplit(page.url).path == "/login"


def test_a_dashboard_defined_as_code_draws_every_widget(page: Page,
                                                        console_server: RunningServer) -> None:
    """Runs after the list pages' empty states: it applies the demo's resources."""
    applied = api(console_server, "PUT", "/api/resources/demo",
                  json=demo_resources(console_server.url))
    assert applied.status_code == 200, applied.text
    page.goto("/dashboards")
    page.locator("#list tbody tr").first.click()
    page.wait_for_url("**/dashboards/demo/shop-overview*")
    expect(page.locator("#dashboard-name")).to_have_text("Shop overview")
    expect(page.locator(".widget")).to_have_count(4)
    expect(page.locator(".widget.timeseries canvas").first).to_be_visible()
    shown = api(console_server, "GET", "/api/dashboards/demo/shop-overview",
                params={"from": "1h"}).json()
    by_type = {w["type"]: w for w in shown["widgets"]}
    failed = by_type["statistic"]["result"]["aggregates"][0]["values"]["COUNT"]
    expect(page.locator(".widget.statistic .stat-value")).to_have_text(f"{failed:,}")
    expect(page.locator(".widget.bar .bar-row")).to_have_count(
        len(by_type["bar"]["result"]["aggregates"]))
    expect(page.locator(".widget.table tbody tr")).to_have_count(
        len(by_type["table"]["result"]["aggregates"]))
    screenshot(page, "dashboard.png")
    page.locator(".widget.table header a").click()
    page.wait_for_url("**/query?*")
    spec = json.loads(url_params(page)["q"][0])
    assert spec["groupBys"] == ["payment.provider"]


def test_ask_ai_about_an_alert_from_the_alerts_page(page: Page) -> None:
    """Runs after the dashboard test, which applied the demo's alert."""
    page.goto("/alerts")
    row = page.locator("#list tbody tr", has_text="Payments failing")
    row.locator("button.ai").click()
    expect(page.locator("#ai-summary")).to_contain_text("Alert 'Payments failing' (critical)",
                                                        timeout=30_000)


def test_an_empty_bucket_of_a_count_is_drawn_as_zero(page: Page) -> None:
    page.goto("/query")
    expect(page.locator("#run")).to_be_visible()
    labels = page.evaluate("""() => [...LL.countLabels({calculations: [
        "COUNT", "count as n", "COUNT_DISTINCT(user.id)", "P99($duration_ms) as p99",
        {operation: "COUNT", alias: "k"}, {operation: "SUM", key: "x"}]})]""")
    assert labels == ["COUNT", "n", "COUNT_DISTINCT(user.id)", "k"]
    series = [{"time": 0, "data": []},
              {"time": 60_000, "data": [{"groups": {}, "values": {"COUNT": 3}}]}]
    columns = page.evaluate("([s, empty]) => Chart.columns(s, [{}], 'COUNT', empty)"
                            ".map((c) => Array.from(c))", [series, 0])
    assert columns == [[0, 60], [0, 3]]
    gaps = page.evaluate("(s) => Chart.columns(s, [{}], 'COUNT').map((c) => Array.from(c))",
                         series)
    assert gaps == [[0, 60], [None, 3]]


def test_long_values_do_not_widen_the_page(page: Page, console_server: RunningServer) -> None:
    long = "x" * 3000
    with console_server.client() as client:
        assert client.post("/v1/events/longtest", json=[{"message": long, "path": long}],
                           headers={"x-service": "s" * 130}).status_code == 202
    spec = {"datasets": ["longtest"], "calculations": ["COUNT"], "groupBys": ["path"]}
    page.goto("/query?q=" + quote(json.dumps(spec)))
    expect(page.locator("#aggregates tbody tr")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") < 3000
    cell = page.locator("#aggregates tbody tr td").first
    assert cell.get_attribute("title") == long  # the whole value on hover
    page.goto("/events?dataset=longtest")
    expect(page.locator(".ev .msg").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") < 3000


def test_a_capped_events_list_says_there_are_more(page: Page,
                                                  console_server: RunningServer) -> None:
    with console_server.client() as client:
        events = [{"message": f"m{i}"} for i in range(1001)]
        assert client.post("/v1/events/capped", json=events).status_code == 202
    page.goto("/events?dataset=capped")
    expect(page.locator("#status")).to_contain_text("1,000 newest events (there are more")
    with console_server.client() as client:
        spans = trace_request(201).SerializeToString()  # 201 root spans
        assert client.post("/v1/traces", content=spans,
                           headers={"content-type": "application/x-protobuf"}).status_code == 200
    page.goto("/traces")
    expect(page.locator("#traces")).to_contain_text("The newest 200 traces; there are more")


@pytest.mark.parametrize("path", ["/", "/query", "/events", "/errors", "/alerts", "/checks",
                                  "/dashboards"])
def test_pages_fit_a_phone_screen(browser: Browser, console_server: RunningServer,
                                  path: str) -> None:
    context = browser.new_context(base_url=console_server.url,
                                  viewport={"width": 375, "height": 740})
    page = context.new_page()
    log_in(page, start=path)
    expect(page.locator("main h1")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    main = page.locator("main").bounding_box()
    assert main is not None and main["x"] == 0 and main["width"] == 375  # the nav is above
    for link in page.locator("nav.side a").all():
        box = link.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 375
    context.close()


def test_errors_are_searched_and_filtered_and_back_restores_the_filters(page: Page) -> None:
    page.goto("/errors")
    rows = page.locator("#list tbody tr")
    expect(rows.first).to_be_visible()
    everything = rows.count()
    title = page.locator("#list tbody tr td.main strong").first.inner_text()
    word = max(title.split(), key=len)
    page.fill("#error-q", word)
    page.click("#error-filters button[type=submit]")
    expect(page).to_have_url(re.compile(r"q="))
    expect(rows.first).to_contain_text(word)
    assert rows.count() <= everything
    page.select_option("#error-status", "ignored")
    expect(page.locator("#list")).to_contain_text("No errors match these filters.")
    assert url_params(page)["status"] == ["ignored"]
    page.go_back()
    expect(page.locator("#error-status")).to_have_value("")
    expect(page.locator("#error-q")).to_have_value(word)
    expect(rows.first).to_contain_text(word)
    page.fill("#error-q", "")
    page.dispatch_event("#error-q", "search")  # what the box's clear button sends
    expect(rows).to_have_count(everything)
    assert "q" not in url_params(page)
    # A sort alone filters nothing; an unknown status in a link is left out.
    page.goto("/errors?sort=count&status=bogus")
    expect(rows).to_have_count(everything)
    expect(page.locator("#error-status")).to_have_value("")
    expect(page.locator("#error-sort")).to_have_value("count")
    # Services are suggested whatever the filters.
    page.goto("/errors?status=ignored")
    expect(page.locator("#error-services option").first).to_be_attached()


def test_an_alert_opens_from_the_list_with_its_instances_and_history(page: Page) -> None:
    """Runs after the dashboard test, which applied the demo's alert."""
    page.goto("/alerts")
    page.locator("#list tbody tr", has_text="Payments failing").locator("td.main").click()
    page.wait_for_url(re.compile(r"/alerts/[^/]+/[^/]+$"))
    expect(page.locator("#alert h2").first).to_have_text("Payments failing")
    expect(page.locator("#alert .summary")).to_contain_text("critical · threshold")
    expect(page.locator("#alert h2", has_text="Instances")).to_be_visible()
    expect(page.locator("#alert h2", has_text="History")).to_be_visible()
    assert "null" not in page.locator("#alert").inner_text()
    page.goto("/alerts/nope/missing")
    expect(page.locator("#alert .state.error")).to_contain_text("no alert nope/missing")


def test_a_check_opens_from_the_list_with_its_runs(page: Page) -> None:
    """Runs after the dashboard test, which applied the demo's health check."""
    page.goto("/checks")
    page.locator("#list tbody tr", has_text="Limelight health").locator("td.main").click()
    page.wait_for_url("**/checks/demo/limelight-health")
    expect(page.locator("#check .summary")).to_contain_text("/healthz")
    expect(page.locator("#check h2", has_text="Runs")).to_be_visible()
    expect(page.locator("#check tbody tr").first).to_contain_text("ok", timeout=30_000)
    assert "null" not in page.locator("#check").inner_text()
