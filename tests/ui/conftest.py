"""Fixtures for the console: a server with demo data and a headless Chromium, once per module.

Screenshots of the pages are written to docs/screenshots/ when LIMELIGHT_SCREENSHOTS=1
(that is how the committed ones are made); otherwise tests only check the pages.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from limelight.demo.sender import DemoSender
from tests.conftest import ADMIN_KEY, RunningServer, start_server, stop_server
from tests.daemons import wait_until

CHROMIUM = os.environ.get("LIMELIGHT_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SEED = 7
MINUTES = 15


def seed_demo(server: RunningServer) -> None:
    """A quarter of an hour of the demo shop's telemetry, sent at once, then queryable."""
    sender = DemoSender(server.url, ADMIN_KEY, rate=1.0, seed=SEED)
    try:
        now = time.time_ns()
        minute = 60_000_000_000
        for i in range(MINUTES, 0, -1):
            sender.send_window(now - i * minute, now - (i - 1) * minute)
        stats = sender.stats
    finally:
        sender.close()

    def stored() -> bool:
        spans = server.query({"datasets": ["otel"], "calculations": ["COUNT"], "from": "1h"})
        return spans["aggregates"][0]["values"]["COUNT"] >= stats.spans  # type: ignore[index]

    wait_until(stored, 30, "the demo's spans to be queryable")


@pytest.fixture(scope="module")
def console_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("console") / "data")
    try:
        seed_demo(running)
        yield running
    finally:
        stop_server(running)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (set LIMELIGHT_CHROMIUM)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, console_server: RunningServer) -> Iterator[Page]:
    """A fresh browser context (its own cookies), logged in, on the home page."""
    context = browser.new_context(viewport={"width": 1400, "height": 900},
                                  base_url=console_server.url)
    context.set_default_timeout(15_000)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(opened)
    yield opened
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def log_in(page: Page, key: str = ADMIN_KEY, start: str | None = "/") -> None:
    """Log in from `start` (None: the login form already shown)."""
    if start is not None:
        page.goto(start)
    page.fill("#key", key)
    page.click("form.login button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def screenshot(page: Page, name: str) -> None:
    if os.environ.get("LIMELIGHT_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / name))


def api(server: RunningServer, method: str, path: str, **kwargs: object) -> httpx.Response:
    with server.client() as client:
        return client.request(method, path, **kwargs)  # type: ignore[arg-type]
