"""The console's query page on a 10-million-event dataset, in headless Chromium.

    python bench/console.py            # 10M events (the database of bench/query.py, cached)
    python bench/console.py --quick    # 200k events, 2 runs

A copy of bench/query.py's generated `otel` database (24 hours of spans, 10
services, 5,000 users) is served by a real `limelight serve`. For each case a
fresh logged-in page opens the query page with the spec in its URL and the
data's day as the time range, and reports, from inside the page:

- time to first chart: navigation start to the uPlot canvas of the results
  being in the page (both queries answered, chart, table and events drawn);
- long tasks: main-thread tasks over 50 ms (PerformanceObserver `longtask`)
  from navigation until the page settles: their count, total and longest.

Medians over the runs. Needs Chromium (LIMELIGHT_CHROMIUM, default /usr/bin/chromium).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from playwright.sync_api import Browser, sync_playwright

from _common import ADMIN_KEY, Server, median, table
from query import DAY_NS, END_NS, database

CHROMIUM = os.environ.get("LIMELIGHT_CHROMIUM", "/usr/bin/chromium")
START_MS, END_MS = (END_NS - DAY_NS) // 10**6, END_NS // 10**6
CASES: dict[str, dict[str, Any]] = {
    "P99 by service (10 groups), auto granularity": {
        "datasets": ["otel"], "calculations": ["COUNT", "P99($duration_ms)"],
        "groupBys": ["$service"], "granularity": "auto"},
    "COUNT by user (1,000 of 5,000 groups), auto granularity": {
        "datasets": ["otel"], "calculations": ["COUNT"], "groupBys": ["user.id"],
        "limit": 1000, "granularity": "auto"},
    "P99 by service, 1m granularity (1,440 buckets)": {
        "datasets": ["otel"], "calculations": ["P99($duration_ms)"],
        "groupBys": ["$service"], "granularity": "1m"},
}

# Runs before the page's own scripts: records long tasks and when the chart appears.
PROBE = """
window.__bench = {longtasks: [], chartAt: null};
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) window.__bench.longtasks.push(entry.duration);
}).observe({type: "longtask", buffered: true});
new MutationObserver((_, observer) => {
  if (document.querySelector("#chart canvas") && document.querySelector("#aggregates")) {
    window.__bench.chartAt = performance.now();
    observer.disconnect();
  }
}).observe(document, {childList: true, subtree: true});
"""


def measure(browser: Browser, url: str, spec: dict[str, Any]) -> dict[str, float]:
    context = browser.new_context(base_url=url, viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        page.goto("/login")
        page.fill("#key", ADMIN_KEY)
        page.click("form.login button[type=submit]")
        page.wait_for_url(lambda u: "/login" not in u)
        page.add_init_script(PROBE)
        query = urlencode({"q": json.dumps(spec), "from": START_MS, "to": END_MS})
        page.goto(f"/query?{query}")
        page.wait_for_function("() => window.__bench.chartAt !== null", timeout=300_000)
        page.wait_for_timeout(500)  # tasks right after the chart count too
        found = page.evaluate("window.__bench")
        status = page.locator("#status").inner_text()
    finally:
        context.close()
    tasks = found["longtasks"]
    return {"chart_ms": found["chartAt"], "tasks": len(tasks), "task_total_ms": sum(tasks),
            "task_max_ms": max(tasks, default=0.0), "status": status}  # type: ignore[dict-item]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="200k events, 2 runs")
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if args.quick:
        args.events, args.runs = 200_000, 2
    source = database(args.events)
    rows: list[list[object]] = []
    with tempfile.TemporaryDirectory(prefix="limelight-console-") as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        shutil.copy(source, data_dir / "limelight.duckdb")
        with Server(data_dir) as server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            try:
                for name, spec in CASES.items():
                    measure(browser, server.url, spec)  # warm-up: DuckDB's caches, Chromium's
                    runs = [measure(browser, server.url, spec) for _ in range(args.runs)]
                    print(f"{name}: {runs[-1]['status']}")
                    rows.append([name, *(f"{median([r[k] for r in runs]):.0f}" for k in
                                         ("chart_ms", "tasks", "task_total_ms", "task_max_ms"))])
            finally:
                browser.close()
    print()
    print(f"{args.events:,} events, median of {args.runs} runs after a warm-up")
    print(table(["query page", "time to first chart ms", "long tasks", "long tasks total ms",
                 "longest task ms"], rows))


if __name__ == "__main__":
    main()
