"""What each channel sends, and how deliveries are retried (against real local receivers)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from limelight.alerts.channels import alertmanager, mail, pagerduty, slack, webhook
from limelight.alerts.channels.base import Notification, Outcome, console_link
from limelight.alerts.delivery import Delivery, Dispatcher
from limelight.alerts.history import AlertRecords
from limelight.store.duckdb import DuckDBStore
from tests.alerts.receivers import Mailbox, Receiver, Reply, flaky_reply, pagerduty_reply

SPEC = {"datasets": ["otel"], "calculations": ["COUNT"], "filters": ["$error = true"],
        "groupBys": ["http.route"]}


def note(event: str = "firing", **changes: Any) -> Notification:
    fields: dict[str, Any] = {
        "event": event, "service": "shop", "alert_id": "checkout-errors",
        "name": "Checkout errors", "severity": "critical", "threshold": "> 50",
        "calculation": "COUNT", "group": {"http.route": "/pay", "$namespace": "checkout"},
        "instance": '{"$namespace":"checkout","http.route":"/pay"}',
        "dedup_key": "limelight/shop/checkout-errors/abc", "value": 57, "previous": None,
        "change_pct": None, "since_ms": 1_795_336_200_000, "time_ms": 1_795_336_260_000,
        "query": SPEC, "link": console_link("http://ll.example:4318", SPEC),
        "description": "Payments fail", "labels": {"team": "payments"}}
    return Notification(**(fields | changes))


def test_summary_and_link() -> None:
    firing = note()
    assert firing.summary() == ("[FIRING] Checkout errors: COUNT = 57 (threshold > 50) for "
                                "http.route=/pay, $namespace=checkout")
    assert note("resolved", value=3).summary().startswith("[RESOLVED] Checkout errors: COUNT = 3")
    changed = note(value=12.5, previous=5.0, change_pct=150.0, threshold="INCREASES_BY_MORE_THAN "
                                                                         "50%")
    assert "COUNT = 12.5 (+150.0% vs 5 before)" in changed.summary()
    assert firing.link.startswith("http://ll.example:4318/query?spec=")
    assert json.loads(unquote(firing.link.split("spec=")[1])) == SPEC


def test_slack_message_is_readable() -> None:
    message = slack.message(note())
    assert message["text"].startswith(":red_circle: [FIRING] Checkout errors: COUNT = 57")
    details = message["blocks"][1]["text"]["text"]
    for line in ("*Severity:* critical", "*Value:* COUNT = 57", "*Threshold:* > 50",
                 "*Group:* http.route=/pay, $namespace=checkout", "Payments fail",
                 "|Open the query in Limelight>"):
        assert line in details
    assert f"<{note().link}|" in details
    assert slack.message(note("resolved"))["text"].startswith(":large_green_circle: [RESOLVED]")


@pytest.mark.parametrize("severity", ["critical", "error", "warning", "info"])
def test_pagerduty_trigger_maps_severity(severity: str) -> None:
    event = pagerduty.event({"routing_key": "rk"}, note(severity=severity))
    assert event["event_action"] == "trigger" and event["routing_key"] == "rk"
    assert event["payload"]["severity"] == severity
    assert event["dedup_key"] == "limelight/shop/checkout-errors/abc"
    assert event["payload"]["source"] == "limelight/shop"
    assert event["payload"]["timestamp"] == "2026-11-22T08:30:00.000Z"
    assert event["links"][0]["href"] == note().link


def test_pagerduty_resolve_and_reminder() -> None:
    assert pagerduty.event({"routing_key": "rk"}, note("resolved")) == {
        "routing_key": "rk", "dedup_key": "limelight/shop/checkout-errors/abc",
        "event_action": "resolve"}
    assert pagerduty.event({"routing_key": "rk"}, note("reminder"))["event_action"] == "trigger"


def test_pagerduty_with_an_empty_routing_key_is_valid_and_sends_nothing(
        receivers: Callable[[Reply], Receiver]) -> None:
    """`pd_key: {default: ""}` turns paging off outside prod (the design's example)."""
    receiver = receivers(pagerduty_reply)
    channel = {"kind": "pagerduty", "routing_key": "", "url": receiver.url + "/v2/enqueue"}
    pagerduty.validate(channel)

    async def send() -> Any:
        async with httpx.AsyncClient() as client:
            return await pagerduty.send(client, channel, note())

    outcome = asyncio.run(send())
    assert outcome.ok  # nothing to retry, nothing to warn about
    assert outcome.detail == "skipped: routing_key is empty (paging off in this environment)"
    assert receiver.received() == []


def test_webhook_payload_and_signature() -> None:
    body = webhook.payload(note())
    assert body["alert"]["id"] == "checkout-errors" and body["state"] == "firing"
    assert body["instance"]["group"] == {"http.route": "/pay", "$namespace": "checkout"}
    assert body["values"] == {"value": 57, "previous": None, "change_pct": None}
    assert body["query"] == SPEC
    raw = b'{"a":1}'
    expected = hmac.new(b"secret", raw, hashlib.sha256).hexdigest()
    assert webhook.signature("secret", raw) == "sha256=" + expected


def test_alertmanager_labels_and_end() -> None:
    firing = alertmanager.alert(note())
    assert firing["labels"] == {
        "alertname": "Checkout errors", "severity": "critical", "service": "shop",
        "http_route": "/pay", "namespace": "checkout", "team": "payments",
        "limelight_alert": "shop/checkout-errors"}
    assert firing["startsAt"] == "2026-11-22T08:30:00.000Z"
    assert firing["endsAt"] > firing["startsAt"]
    resolved = alertmanager.alert(note("resolved"))
    assert resolved["endsAt"] == "2026-11-22T08:31:00.000Z"
    assert datetime.fromisoformat(resolved["startsAt"]) < datetime.fromisoformat(
        resolved["endsAt"])
    assert alertmanager.label_name("9lives.x-y") == "_9lives_x_y"


def test_email_over_smtp(mailbox: Mailbox) -> None:
    props = {"kind": "email", "to": "oncall@example.com", "smtp_host": "127.0.0.1",
             "smtp_port": mailbox.port}
    outcome = mail.deliver(props, mail.compose(props, note()))
    assert outcome.ok, outcome
    [(envelope, message)] = mailbox.messages
    assert envelope.rcpt_tos == ["oncall@example.com"]
    assert message["Subject"].startswith("[CRITICAL] [FIRING] Checkout errors")
    # RFC 5322 wants both: the evaluation's time, and an id of its own.
    assert parsedate_to_datetime(message["Date"]).timestamp() == 1_795_336_260
    assert message["Message-ID"].startswith("<") and message["Message-ID"].endswith(">")
    assert "Threshold:  > 50" in message.get_content()
    assert note().link in message.get_content().replace("=\n", "")


def test_email_to_a_closed_port_is_retryable() -> None:
    from tests.conftest import free_port

    props = {"to": "a@b", "smtp_host": "127.0.0.1", "smtp_port": free_port()}
    outcome = mail.deliver(props, mail.compose(props, note()))
    assert not outcome.ok and outcome.retryable


def deliver(receiver: Receiver, attempts: int = 4,
            kind: str = "slack") -> tuple[bool, list[dict[str, Any]]]:
    records = AlertRecords(DuckDBStore(None))

    async def go() -> bool:
        dispatcher = Dispatcher(records, attempts=attempts, base_delay_s=0.01)
        await dispatcher.start()
        try:
            return await dispatcher.submit(Delivery(
                "chat", {"kind": kind, "url": receiver.url}, note()))
        finally:
            await dispatcher.stop()

    delivered = asyncio.run(go())
    entries, _ = records.history("shop/checkout-errors")
    return delivered, entries[::-1]


def test_retries_until_delivered(receivers: Callable[[Reply], Receiver]) -> None:
    delivered, entries = deliver(receivers(flaky_reply(failures=2)))
    assert delivered
    assert [(e["attempt"], e["ok"], e["status"], e["final"]) for e in entries] == [
        (1, False, 503, False), (2, False, 503, False), (3, True, 200, True)]


def test_every_attempt_of_a_webhook_carries_one_delivery_id(
        receivers: Callable[[Reply], Receiver]) -> None:
    receiver = receivers(flaky_reply(failures=2))
    delivered, _ = deliver(receiver, kind="webhook")
    assert delivered
    ids = [request.headers["x-limelight-delivery"] for request in receiver.requests]
    assert len(ids) == 3 and len(set(ids)) == 1 and len(ids[0]) == 32
    assert webhook.delivery_id(note("resolved")) != ids[0]  # another notification, another id


def test_retries_last_about_four_minutes_by_default() -> None:
    dispatcher = Dispatcher(AlertRecords(DuckDBStore(None)))
    waits = [dispatcher._delay(attempt, Outcome(False, 503, "")) for attempt in range(1, 10)]
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60] and dispatcher.attempts == 10


def test_gives_up_after_the_last_attempt(receivers: Callable[[Reply], Receiver]) -> None:
    delivered, entries = deliver(receivers(flaky_reply(failures=10)), attempts=3)
    assert not delivered and [e["attempt"] for e in entries] == [1, 2, 3]
    assert entries[-1]["final"] and entries[-1]["retry_in_s"] is None


def test_a_refused_delivery_is_not_retried(receivers: Callable[[Reply], Receiver]) -> None:
    refusing = receivers(lambda request, count: (400, "text/plain", b"invalid_payload"))
    delivered, entries = deliver(refusing)
    assert not delivered
    assert [(e["attempt"], e["status"], e["detail"]) for e in entries] == [
        (1, 400, "invalid_payload")]
    assert len(refusing.received()) == 1
