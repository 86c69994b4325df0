"""`limelight demo` against a real server, and `limelight serve --demo`."""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from limelight.cli.main import main
from limelight.demo.resources import ALERT_ID
from limelight.demo.sender import DemoSender
from tests.conftest import RunningServer, free_port, start_server, stop_server
from tests.daemons import wait_until
from tests.demo.test_shop import EARLY_ERROR_SEED


def run_demo(*args: str) -> Any:
    return CliRunner().invoke(main, ["demo", *args], catch_exceptions=False)


def dataset_names(server: RunningServer) -> set[str]:
    with server.client() as client:
        return {d["name"] for d in client.get("/api/datasets").json()["datasets"]}


def count(server: RunningServer, dataset: str, *filters: str) -> int:
    result = server.query({"datasets": [dataset], "calculations": ["COUNT"],
                           "filters": list(filters), "from": "10m"})
    aggregates: list[dict[str, Any]] = result["aggregates"]  # type: ignore[assignment]
    return int(aggregates[0]["values"]["COUNT"]) if aggregates else 0


def events(server: RunningServer, dataset: str, *filters: str, limit: int = 100) -> list[Any]:
    result = server.query({"datasets": [dataset], "filters": list(filters), "from": "10m",
                           "limit": limit})
    found: list[Any] = result["events"]  # type: ignore[assignment]
    return found


def get_trace(server: RunningServer, trace_id: str) -> dict[str, Any]:
    with server.client() as client:
        response = client.get(f"/api/traces/{trace_id}")
    assert response.status_code == 200, response.text
    trace: dict[str, Any] = response.json()
    return trace


def tree_depth(spans: list[dict[str, Any]]) -> int:
    return max((1 + tree_depth(s["children"]) for s in spans), default=0)


def test_demo_sends_traces_logs_metrics_errors_and_events(server: RunningServer) -> None:
    key = server.create_key("ingest")
    result = run_demo("--duration", "3", "--rate", "20", "--seed", str(EARLY_ERROR_SEED),
                      "--url", server.url, "--api-key", key)
    assert result.exit_code == 0, result.output
    assert "Try next" in result.output
    assert "limelight query -c COUNT -g '$service' --from 5m" in result.output
    assert "at 20 requests/s" in result.output
    shown = re.search(rf"{re.escape(server.url)}/traces/([0-9a-f]{{32}})", result.output)
    assert shown is not None  # the console's page of a trace the demo sent
    with server.client() as client:
        assert client.get(f"/traces/{shown.group(1)}").status_code in (200, 303)

    assert {"otel", "logs", "metrics", "business", "deploys"} <= dataset_names(server)
    assert count(server, "otel", "$kind = span", "$service = api-gateway") >= 40
    assert count(server, "metrics", "$name = http.server.requests") > 0
    assert count(server, "otel", "$error = true") > 0
    assert count(server, "logs", "$level = error") > 0

    # A failed checkout: a deep tree across services, with its exception and its logs.
    failed = events(server, "otel", "$service = api-gateway", "$error = true", limit=1)
    assert failed and failed[0]["http.route"] == "/checkout"
    trace = get_trace(server, failed[0]["$trace_id"])
    assert {"api-gateway", "checkout", "payments"} <= set(trace["services"])
    assert tree_depth(trace["spans"]) >= 4
    assert trace["errors"] >= 3
    log_traces = {e["$trace_id"] for e in trace["logs"] if e["$dataset"] == "logs"}
    assert log_traces == {trace["trace_id"]}
    assert any(e.get("$level") == "error" for e in trace["logs"])

    # Logs point at spans that exist.
    for log in events(server, "logs", "$level = info", limit=5):
        spans = events(server, "otel", f"$trace_id = {log['$trace_id']}",
                       f"$span_id = {log['$span_id']}", "$kind = span")
        assert len(spans) == 1


def test_demo_says_clearly_when_the_server_is_unreachable(tmp_path: Path) -> None:
    result = run_demo("--duration", "1", "--url", f"http://127.0.0.1:{free_port()}",
                      "--api-key", "whatever")
    assert result.exit_code == 1
    assert "cannot reach Limelight" in result.output


def test_demo_refuses_to_start_with_a_bad_key(server: RunningServer) -> None:
    result = run_demo("--duration", "1", "--url", server.url, "--api-key", "not-a-key")
    assert result.exit_code == 1
    assert "refused the API key" in result.output
    assert dataset_names(server) == set()


def test_serve_demo_fills_the_server_by_itself(tmp_path: Path) -> None:
    running = start_server(tmp_path / "d", demo=True)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if {"otel", "logs"} <= dataset_names(running):
                break
            time.sleep(0.5)
        assert count(running, "otel", "$service = api-gateway") > 0
        assert count(running, "logs") > 0
        with running.client() as client:
            names = [k["name"] for k in client.get("/api/api-keys").json()["keys"]]
            resources = client.get("/api/resources", params={"service": "demo"}).json()
        assert "demo" in names
        assert ALERT_ID in {r["id"] for r in resources["resources"]}
    finally:
        stop_server(running)
    assert not running.server.thread.is_alive()  # type: ignore[attr-defined]


def test_a_demo_inside_a_server_that_stops_does_not_warn(
        caplog: pytest.LogCaptureFixture) -> None:
    # What the demo of `serve --demo` meets on Ctrl-C: its server's port already closed.
    sender = DemoSender(f"http://127.0.0.1:{free_port()}", "key", rate=5, strict=False,
                        timeout_s=1)
    with caplog.at_level(logging.INFO, logger="limelight.demo"):
        stats = sender.run(1.5)
    sender.close()
    assert stats.failed_posts > 0
    refused = [r for r in caplog.records if "cannot reach" in r.getMessage()]
    assert refused and all(r.levelno == logging.INFO for r in refused)


def test_demo_with_an_admin_key_adds_queries_a_dashboard_and_an_alert_that_fires(
        server: RunningServer) -> None:
    # Seeded too: its second of traffic lands in the window the assertions below count.
    result = run_demo("--duration", "1", "--seed", str(EARLY_ERROR_SEED), "--url", server.url,
                      "--api-key", server.admin_key)
    assert result.exit_code == 0, result.output
    assert "Added the demo's saved queries" in result.output
    with server.client() as client:
        resources = client.get("/api/resources", params={"service": "demo"}).json()["resources"]
    by_id = {r["id"]: r for r in resources}
    assert by_id["shop-overview"]["type"] == "dashboard"
    assert by_id[ALERT_ID]["type"] == "alert"
    assert by_id["limelight-health"]["properties"]["url"] == server.url + "/healthz"
    with server.client() as client:

        def health_checked() -> dict[str, Any] | None:
            checks = client.get("/api/checks", params={"service": "demo"}).json()["checks"]
            return checks[0] if checks and checks[0]["status"] == "up" else None

        wait_until(health_checked, what="the demo's health check to run")

    # A minute of the shop, sent at once, then every saved query answers and the alert,
    # evaluated over that minute as the server would, fires for acme only.
    sender = DemoSender(server.url, server.admin_key, rate=20, seed=EARLY_ERROR_SEED)
    try:
        now = time.time_ns()
        sender.send_window(now - 60 * 10**9, now)
    finally:
        sender.close()
    for resource in resources:
        if resource["type"] == "query":
            spec = {**resource["properties"]["parameters"], "from": "5m"}
            assert server.query(spec)["aggregates"], resource["id"]
    failures = server.query({**by_id["payment-failures-query"]["properties"]["parameters"],
                             "from": "5m"})
    by_provider = {a["groups"]["payment.provider"]: a["values"]["COUNT"]
                   for a in failures["aggregates"]}  # type: ignore[union-attr]
    assert by_provider["acme"] > 3 >= by_provider.get("stripe", 0)
    with server.client() as client:
        backtest = client.post("/api/resources/demo/backtest", json={
            "alert": by_id[ALERT_ID]["properties"], "days": 1}).json()
    assert backtest["fired"] >= 1, backtest


def test_demo_with_an_ingest_key_says_the_resources_need_an_admin_key(
        server: RunningServer) -> None:
    result = run_demo("--duration", "1", "--url", server.url,
                      "--api-key", server.create_key("ingest"))
    assert result.exit_code == 0, result.output
    assert "need an admin key and were not added" in " ".join(result.output.split())
    with server.client() as client:
        assert client.get("/api/resources").json()["resources"] == []
