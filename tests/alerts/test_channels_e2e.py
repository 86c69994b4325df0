"""Telemetry crosses a threshold; Slack, PagerDuty, a signed webhook, SMTP and a real
Alertmanager hear about it, routed by severity; the data recovers and each hears the resolve."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.alerts.receivers import (
    Alertmanager,
    Mailbox,
    Receiver,
    Reply,
    alert_view,
    history,
    pagerduty_reply,
    put_resources,
    send_events,
    signed_reply,
    slack_reply,
)
from tests.conftest import RunningServer
from tests.daemons import wait_until

SECRET = "webhook-secret"
ROUTING_KEY = "0123456789abcdef0123456789abcdef"


def resources(slack: str, pagerduty: str, hook: str, smtp_port: int,
              alertmanager: str) -> dict[str, tuple[str, dict[str, Any]]]:
    def alert(name: str, severity: str, **extra: Any) -> dict[str, Any]:
        return {"name": name, "severity": severity, **extra,
                "parameters": {"query": "server-errors", "threshold": "> 3",
                               "frequency": "1s", "window": "4s"}}

    return {
        "server-errors": ("query", {"name": "Server errors", "parameters": {
            "datasets": ["app"], "calculations": ["COUNT"], "filters": ["status >= 500"],
            "groupBys": ["$namespace"]}}),
        # No `channels`: the routes decide by severity.
        "errors-page": ("alert", alert("Errors page", "critical")),
        "errors-chat": ("alert", alert("Errors chat", "warning")),
        # Its own channels; labels reach Alertmanager.
        "errors-everywhere": ("alert", alert(
            "Errors everywhere", "error", labels={"team": "payments"},
            description="Checkout is failing", channels=["hook", "mail", "am"])),
        "page-oncall": ("route", {"match": {"severity": "critical"}, "channels": ["oncall"]}),
        "chat": ("route", {"match": {"severity": "warning"}, "channels": ["team-slack"]}),
        "oncall": ("channel", {"kind": "pagerduty", "routing_key": ROUTING_KEY,
                               "url": pagerduty + "/v2/enqueue"}),
        "team-slack": ("channel", {"kind": "slack", "url": slack + "/services/T0/B0/x"}),
        "hook": ("channel", {"kind": "webhook", "url": hook + "/limelight", "secret": SECRET}),
        "mail": ("channel", {"kind": "email", "to": ["oncall@example.com"],
                             "smtp_host": "127.0.0.1", "smtp_port": smtp_port,
                             "from": "alerts@example.com"}),
        "am": ("channel", {"kind": "alertmanager", "url": alertmanager}),
    }


def test_every_channel_fires_then_resolves(
    alert_server: RunningServer, receivers: Callable[[Reply], Receiver], mailbox: Mailbox,
    alertmanager: Alertmanager,
) -> None:
    slack, pagerduty = receivers(slack_reply), receivers(pagerduty_reply)
    hook = receivers(signed_reply(SECRET))
    send_events(alert_server, [{"message": "fine", "status": 200, "namespace": "browse"}])
    put_resources(alert_server, "shop", resources(slack.url, pagerduty.url, hook.url,
                                                  mailbox.port, alertmanager.url))
    send_events(alert_server, [{"message": "payment failed", "status": 502, "namespace": "pay"}
                               for _ in range(5)])

    # Firing: each receiver hears once, routed by severity.
    trigger = wait_until(lambda: pagerduty.bodies(), what="PagerDuty trigger")[0]
    assert trigger["event_action"] == "trigger"
    assert trigger["routing_key"] == ROUTING_KEY
    assert trigger["payload"]["severity"] == "critical"
    assert trigger["payload"]["custom_details"]["alert"] == "shop/errors-page"
    assert trigger["payload"]["custom_details"]["value"] == 5
    assert "COUNT = 5" in trigger["payload"]["summary"]

    message = wait_until(lambda: slack.bodies(), what="Slack message")[0]
    text = json.dumps(message)
    assert "Errors chat" in text and "warning" in text
    assert "COUNT = 5" in message["text"] and "> 3" in message["text"]
    assert "$namespace=pay" in message["text"]
    link = next(part for part in text.split("<")[1:] if "/query?spec=" in part).split("|")[0]
    assert link.startswith(alert_server.settings.console_url + "/query?spec=")
    spec = json.loads(parse_qs(urlsplit(link).query)["spec"][0])
    assert spec["filters"] == ["status >= 500"] and spec["groupBys"] == ["$namespace"]

    signed = wait_until(lambda: hook.bodies(), what="webhook")[0]
    assert [r.headers.get("x-limelight-signature", "")[:7] for r in hook.received()] == [
        "sha256="]
    assert signed["state"] == "firing" and signed["alert"]["id"] == "errors-everywhere"
    assert signed["instance"]["group"] == {"$namespace": "pay"}
    assert signed["values"]["value"] == 5
    assert signed["query"]["filters"] == ["status >= 500"]

    envelope, mail = wait_until(lambda: mailbox.messages, what="email")[0]
    assert envelope.rcpt_tos == ["oncall@example.com"]
    assert "Errors everywhere" in mail["Subject"] and "[ERROR]" in mail["Subject"]
    assert "COUNT = 5" in mail.get_content()

    active = wait_until(lambda: alertmanager.alerts(), what="Alertmanager alert")
    assert len(active) == 1
    assert active[0]["labels"] == {
        "alertname": "Errors everywhere", "severity": "error", "service": "shop",
        "namespace": "pay", "team": "payments", "limelight_alert": "shop/errors-everywhere"}
    assert active[0]["status"]["state"] == "active"
    assert "COUNT = 5" in active[0]["annotations"]["summary"]

    for ref in ("shop/errors-page", "shop/errors-chat", "shop/errors-everywhere"):
        view = alert_view(alert_server, ref)
        assert view["state"] == "firing"
        assert [i["group"] for i in view["instances"]] == [{"$namespace": "pay"}]

    # Recovery: the errors leave the 4s window, and every channel hears the resolve.
    resolve = wait_until(lambda: pagerduty.bodies()[1:], what="PagerDuty resolve")[0]
    assert resolve["event_action"] == "resolve"
    assert resolve["dedup_key"] == trigger["dedup_key"]
    assert "RESOLVED" in wait_until(lambda: slack.bodies()[1:], what="Slack resolve")[0]["text"]
    resolved = wait_until(lambda: hook.bodies()[1:], what="webhook resolve")[0]
    assert resolved["state"] == "resolved"
    assert resolved["instance"]["dedup_key"] == signed["instance"]["dedup_key"]
    assert "RESOLVED" in wait_until(lambda: mailbox.messages[1:], what="resolve mail")[0][1][
        "Subject"]
    wait_until(lambda: not alertmanager.alerts(), what="Alertmanager resolve")

    # Routing: PagerDuty heard only the critical alert, Slack only the warning one.
    assert {b.get("dedup_key") for b in pagerduty.bodies()} == {trigger["dedup_key"]}
    assert all("Errors chat" in b["text"] for b in slack.bodies())
    assert len(pagerduty.bodies()) == len(slack.bodies()) == 2
    assert all(r.headers["x-limelight-signature"] for r in hook.received())

    def recorded(ref: str, expected: set[tuple[str, str, bool, int]]) -> bool | None:
        return {(e["channel"], e["event"], e["ok"], e["status"])
                for e in history(alert_server, ref, kind="delivery")} == expected or None

    for ref, channel in (("shop/errors-page", "oncall"), ("shop/errors-chat", "team-slack")):
        accepted = 202 if channel == "oncall" else 200
        expected = {(channel, "firing", True, accepted), (channel, "resolved", True, accepted)}
        # A delivery is recorded once its answer is in: a moment after the receiver has it.
        wait_until(functools.partial(recorded, ref, expected), what=f"{ref}'s deliveries")

    entries = history(alert_server, "shop/errors-everywhere")
    transitions = [(e["from"], e["to"]) for e in entries if e["kind"] == "transition"]
    assert transitions == [("firing", "resolved"), ("ok", "firing")]
    delivered = {(e["channel"], e["event"]) for e in entries
                 if e["kind"] == "delivery" and e["ok"]}
    assert {("hook", "firing"), ("mail", "firing"), ("am", "firing"), ("hook", "resolved"),
            ("mail", "resolved"), ("am", "resolved")} <= delivered
