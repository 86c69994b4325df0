"""A running server probing real local websites: runs recorded in dataset `checks`, alerts
fired to Slack and PagerDuty fakes after N failures and resolved on recovery, across a restart."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from limelight.cli.main import main
from tests.alerts.receivers import (
    Receiver,
    pagerduty_reply,
    put_resources,
    slack_reply,
)
from tests.checks.targets import Answer, Authority, Site
from tests.conftest import RunningServer, start_server, stop_server
from tests.daemons import wait_until

pytestmark = pytest.mark.slow

ROUTING_KEY = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def authority() -> Authority:
    return Authority()


@pytest.fixture
def sites() -> Iterator[Callable[..., Site]]:
    made: list[Site] = []

    def make(answer: Answer | None = None, **tls: Any) -> Site:
        made.append(Site(answer, **tls))
        return made[-1]

    yield make
    for site in made:
        site.close()


@pytest.fixture
def slack() -> Iterator[Receiver]:
    receiver = Receiver(slack_reply)
    yield receiver
    receiver.close()


@pytest.fixture
def pagerduty() -> Iterator[Receiver]:
    receiver = Receiver(pagerduty_reply)
    yield receiver
    receiver.close()


def channels(slack: Receiver, pagerduty: Receiver) -> dict[str, Any]:
    return {
        "team-slack": {"type": "channel", "properties": {"kind": "slack", "url": slack.url}},
        "oncall": {"type": "channel", "properties": {
            "kind": "pagerduty", "routing_key": ROUTING_KEY, "url": pagerduty.url + "/v2/enqueue"}},
        "page-critical": {"type": "route", "properties": {
            "match": {"severity": "critical"}, "channels": ["oncall"]}},
        "warn-in-slack": {"type": "route", "properties": {
            "match": {"severity": "warning", "kind": "check"}, "channels": ["team-slack"]}},
    }


def apply(server: RunningServer, service: str, resources: dict[str, Any]) -> None:
    with server.client() as client:
        response = client.put(f"/api/resources/{service}", json=resources)
        assert response.status_code == 200, response.text


def checks_by_id(server: RunningServer) -> dict[str, dict[str, Any]]:
    with server.client() as client:
        response = client.get("/api/checks")
        assert response.status_code == 200, response.text
        return {c["id"]: c for c in response.json()["checks"]}


def check_detail(server: RunningServer, ref: str) -> dict[str, Any]:
    with server.client() as client:
        response = client.get(f"/api/checks/{ref}")
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found


def cli(server: RunningServer, *args: str) -> str:
    options = ["--url", server.url, "--data-dir", str(server.data_dir)]
    result = CliRunner().invoke(main, [*args, *options], catch_exceptions=False,
                                env={"COLUMNS": "200"})  # rows unwrapped
    assert result.exit_code == 0, result.output
    return result.output


def test_applied_checks_probe_sites_alert_through_routes_and_resolve(
        tmp_path: Path, authority: Authority, sites: Callable[..., Site],
        slack: Receiver, pagerduty: Receiver) -> None:
    healthy = sites()
    slow = sites(Answer(delay_s=0.5))
    broken = sites(Answer(status=500, body=b"down"))
    expiring = sites(tls=authority.server_context(days_left=3))
    ca_file = authority.write_pem(tmp_path / "ca.pem")
    server = start_server(tmp_path / "data", check_ca_file=str(ca_file))
    try:
        once = {"interval": "10s", "failures": 1}
        apply(server, "shop", {
            **channels(slack, pagerduty),
            "home": {"type": "check", "properties": {"name": "Home", "url": healthy.url,
                                                     **once}},
            "search": {"type": "check", "properties": {
                "url": slow.url, "severity": "warning", "expect": {"latency": "200ms"}, **once}},
            "checkout": {"type": "check", "properties": {"name": "Checkout", "url": broken.url,
                                                         **once}},
            "secure": {"type": "check", "properties": {
                "url": expiring.url, "channels": ["team-slack"], **once}},
        })
        ran = wait_until(lambda: (found := checks_by_id(server)) and all(
            c["last_run"] for c in found.values()) and found, what="every check to run once")
        assert {i: c["status"] for i, c in ran.items()} == {
            "home": "up", "search": "down", "checkout": "down", "secure": "down"}
        assert ran["checkout"]["last_run"]["error"] == "status 500, expected 2xx"
        assert ran["search"]["last_run"]["error"].endswith("over the limit of 200 ms")
        assert ran["secure"]["last_run"]["error"] == (
            "TLS certificate expires in 3.0 days (warning at 14 days)")
        assert ran["home"]["last_run"]["tls_days"] is None

        texts = wait_until(lambda: len(slack.bodies()) >= 2 and
                           sorted(b["text"] for b in slack.bodies()), what="two Slack messages")
        assert texts[0].startswith(":red_circle: [FIRING] Check failing: search: latency_ms = ")
        assert texts[1].startswith(":red_circle: [FIRING] Check failing: secure: latency_ms = ")
        assert f"(threshold 1 consecutive failure) for url={expiring.url}" in texts[1]
        [trigger] = wait_until(pagerduty.bodies, what="the PagerDuty trigger")
        assert trigger["event_action"] == "trigger"
        assert trigger["dedup_key"] == "limelight/shop/check-checkout"
        assert trigger["payload"]["summary"].startswith("[FIRING] Check failing: Checkout")
        assert trigger["payload"]["severity"] == "critical"
        assert trigger["payload"]["group"] == f"url={broken.url}"
        assert trigger["links"][0]["href"] == f"{server.settings.console_url}/checks"

        result = server.query({"datasets": ["checks"], "from": "1h",
                               "calculations": ["COUNT"], "groupBys": ["check", "ok"]})
        counted = {(a["groups"]["check"], a["groups"]["ok"]): a["values"]["COUNT"]
                   for a in result["aggregates"]}  # type: ignore[attr-defined]
        assert set(counted) == {("home", True), ("search", False),
                                            ("checkout", False), ("secure", False)}
        [row] = server.query({"datasets": ["checks"], "from": "1h", "filters": [
            "check = secure"]})["events"]  # type: ignore[misc]
        assert (row["$service"], row["url"], row["ok"], row["status"]) == (
            "shop", expiring.url, False, 200)
        assert 2.9 < row["tls_days"] <= 3 and row["latency_ms"] > 0

        broken.answer_with(status=200, body=b"ok")
        resolve = wait_until(lambda: len(pagerduty.bodies()) == 2 and pagerduty.bodies()[1],
                             timeout=25, what="the PagerDuty resolve")
        assert resolve == {"routing_key": ROUTING_KEY, "dedup_key": trigger["dedup_key"],
                           "event_action": "resolve"}
        detail = check_detail(server, "shop/checkout")
        assert [r["ok"] for r in detail["runs"]][:2] == [True, False]
        assert detail["status"] == "up"
        assert [(d["event"], d["channel"], d["ok"]) for d in detail["deliveries"]] == [
            ("resolved", "oncall", True), ("firing", "oncall", True)]

        listing = cli(server, "checks")
        assert "shop/checkout" in listing and "shop/secure" in listing
        assert "TLS certificate expires in 3.0 days" in listing
        shown = cli(server, "checks", "show", "shop/checkout")
        assert "status 500, expected 2xx" in shown and "resolved → oncall: delivered" in shown
    finally:
        stop_server(server)


def test_n_failures_fire_once_even_across_a_restart_and_the_first_success_resolves(
        tmp_path: Path, sites: Callable[..., Site], slack: Receiver) -> None:
    site = sites(Answer(status=503))
    fast = {"check_min_interval_s": 1.0}
    server = start_server(tmp_path / "data", **fast)
    resources = {
        "api": ("check", {"url": site.url, "interval": "1s", "timeout": "1s", "failures": 3,
                          "severity": "warning", "channels": ["team-slack"]}),
        "team-slack": ("channel", {"kind": "slack", "url": slack.url}),
    }
    try:
        with server.client(server.create_key("ingest")) as client:
            assert client.get("/api/checks").status_code == 403
        put_resources(server, "shop", resources)
        failing = wait_until(lambda: (c := checks_by_id(server).get("api")) and
                             c["status"] == "failing" and c["consecutive_failures"] == 2 and c,
                             what="two failures")
        assert failing["failures_to_alert"] == 3 and slack.bodies() == []
        wait_until(lambda: checks_by_id(server)["api"]["status"] == "down", what="down")
        wait_until(slack.bodies, what="the firing message")
    finally:
        stop_server(server)

    server = start_server(tmp_path / "data", **fast)
    try:
        before = checks_by_id(server)["api"]
        assert before["status"] == "down" and before["consecutive_failures"] >= 3
        wait_until(lambda: checks_by_id(server)["api"]["consecutive_failures"]
                   > before["consecutive_failures"], what="a run after the restart")
        site.answer_with(status=200)
        wait_until(lambda: checks_by_id(server)["api"]["status"] == "up", what="recovery")
        texts = [b["text"] for b in wait_until(
            lambda: len(slack.bodies()) >= 2 and slack.bodies(), what="the resolve")]
        assert [t.split(" ", 2)[1] for t in texts] == ["[FIRING]", "[RESOLVED]"]
        assert "Check failing: api" in texts[1]
    finally:
        stop_server(server)
