"""What the console says before there is any data, and when a query is wrong."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import RunningServer, start_server, stop_server
from tests.ui.conftest import log_in


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("empty") / "data")
    yield running
    stop_server(running)


@pytest.fixture
def empty_page(browser: Browser, empty_server: RunningServer) -> Iterator[Page]:
    context = browser.new_context(base_url=empty_server.url)
    opened = context.new_page()
    log_in(opened)
    yield opened
    context.close()


@pytest.mark.parametrize(("path", "box"),
                         [("/", "#services"), ("/query", "#table"), ("/events", "#events"),
                          ("/traces", "#traces")],
                         ids=["home", "query", "events", "traces"])
def test_no_data_says_to_run_the_demo(empty_page: Page, path: str, box: str) -> None:
    empty_page.goto(path)
    expect(empty_page.locator(f"{box} .state.empty")).to_contain_text("limelight demo")


def test_the_query_builder_works_before_there_is_data(empty_page: Page) -> None:
    empty_page.goto("/query")
    expect(empty_page.locator("#table .state.empty")).to_contain_text("limelight demo")
    expect(empty_page.locator("#range")).to_be_visible()  # the time range to widen
    empty_page.click("#add-group")
    expect(empty_page.locator(".group-key")).to_have_count(1)
    empty_page.locator(".group-key").fill("$service")
    empty_page.click("#run")  # the server's reason, not a reload of the page
    expect(empty_page.locator("#table .state.error")).to_contain_text("unknown dataset")
    assert "groupBys" in empty_page.url


def test_a_bad_query_shows_the_servers_reason(empty_page: Page,
                                              empty_server: RunningServer) -> None:
    with empty_server.client() as client:
        assert client.post("/v1/events/app", json=[{"message": "hi"}]).status_code == 202
    spec = {"datasets": ["app"], "calculations": ["P99(message)"]}
    empty_page.goto("/query?q=" + quote(json.dumps(spec)))
    error = empty_page.locator("#table .state.error")
    expect(error).to_contain_text("message")
    expect(error).to_contain_text("Change the query")


def test_a_server_that_does_not_answer_is_said_so(empty_page: Page,
                                                  empty_server: RunningServer) -> None:
    with empty_server.client() as client:
        assert client.post("/v1/events/app", json=[{"message": "hi"}]).status_code == 202
    empty_page.goto("/query?q=" + quote(json.dumps({"datasets": ["app"]})))
    expect(empty_page.locator("#run")).to_be_visible()
    empty_page.route("**/api/query", lambda route: route.abort())
    empty_page.click("#run")
    error = empty_page.locator("#table .state.error")
    expect(error).to_contain_text("The server cannot be reached.")
    expect(error).to_contain_text("Check that the server is running")
    expect(error).not_to_contain_text("Change the query")
