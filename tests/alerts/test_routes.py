"""Routing: an alert's own channels, else every route whose match fits severity and labels."""

from __future__ import annotations

from typing import Any

import pytest

from limelight.alerts.channels import ChannelError, validate_channel
from limelight.alerts.routes import channel_ids, validate_route
from limelight.alerts.rules import parse_alert

ROUTES = {
    "page": {"match": {"severity": "critical"}, "channels": ["pagerduty"]},
    "chat": {"match": {"severity": ["warning", "error", "info"]}, "channels": ["slack"]},
    "payments": {"match": {"team": "payments", "severity": "critical"},
                 "channels": ["payments-mail", "pagerduty"]},
    "everything": {"match": {"env": "prod"}, "channels": ["archive"]},
}


def rule(severity: str, **extra: Any) -> Any:
    return parse_alert({"name": "a", "severity": severity, **extra,
                        "parameters": {"query": "q", "threshold": "> 1"}})


@pytest.mark.parametrize(("severity", "labels", "expected"), [
    ("critical", {}, ["pagerduty"]),
    ("warning", {}, ["slack"]),
    ("info", {}, ["slack"]),
    ("critical", {"team": "payments"}, ["pagerduty", "payments-mail"]),
    ("warning", {"team": "payments"}, ["slack"]),
    ("error", {"env": "prod"}, ["slack", "archive"]),  # routes in id order
], ids=lambda v: str(v))
def test_routes_by_severity_and_labels(severity: str, labels: dict[str, str],
                                       expected: list[str]) -> None:
    assert channel_ids(rule(severity, labels=labels), ROUTES) == expected


def test_own_channels_override_routes() -> None:
    assert channel_ids(rule("critical", channels=["slack", "slack", "mail"]), ROUTES) == [
        "slack", "mail"]
    assert channel_ids(rule("critical", channels=[]), ROUTES) == []


def test_no_route_matches() -> None:
    assert channel_ids(rule("critical"), {}) == []


@pytest.mark.parametrize(("props", "error"), [
    ({"match": {"severity": "critical"}}, "channels: must be a non-empty list"),
    ({"match": "critical", "channels": ["a"]}, "match: must be a mapping"),
    ({"match": {"labels": {"a": 1}}, "channels": ["a"]}, "match.labels: must be a value"),
    ({"match": {"severity": "critcal"}, "channels": ["a"]},
     "match.severity: 'critcal' is not one of critical, error, warning, info"),
    ({"match": {"severity": ["error", "warn"]}, "channels": ["a"]},
     "match.severity: 'warn' is not one of"),
])
def test_bad_routes(props: dict[str, Any], error: str) -> None:
    with pytest.raises(ChannelError, match="^" + error):
        validate_route(props)


@pytest.mark.parametrize(("props", "error"), [
    ({"kind": "sms"}, "kind: 'sms' is not one of slack, pagerduty, webhook, email, alertmanager"),
    ({"kind": "slack"}, "url: is required"),
    ({"kind": "slack", "url": "hooks.slack.com"}, "url: 'hooks.slack.com' is not an http(s) URL"),
    ({"kind": "pagerduty"}, "routing_key: is required"),
    ({"kind": "pagerduty", "routing_key": "k", "url": 3}, "url: 3 is not an http(s) URL"),
    ({"kind": "webhook", "url": "http://x", "secret": 1}, "secret: must be a string"),
    ({"kind": "email", "smtp_host": "h"}, "to: give an email address or a list of them"),
    ({"kind": "email", "to": "a@b"}, "smtp_host: is required"),
    ({"kind": "email", "to": "a@b", "smtp_host": "h", "smtp_port": "25"},
     "smtp_port: '25' is not a port number"),
    ({"kind": "alertmanager"}, "url: is required"),
    ({"kind": "webhook", "url": "http://x", "secrt": "s"},
     "secrt: unknown property for kind webhook (known: kind, description, url, secret)"),
    ({"kind": "email", "to": "a@b", "smtp_host": "h", "smtp_pasword": "x"},
     "smtp_pasword: unknown property for kind email"),
    ({"kind": "slack", "url": "http://x", "channel": "#ops"},
     "channel: unknown property for kind slack (known: kind, description, url)"),
], ids=lambda v: str(v)[:30])
def test_bad_channels(props: dict[str, Any], error: str) -> None:
    with pytest.raises(ChannelError) as caught:
        validate_channel(props)
    assert str(caught.value) == error or str(caught.value).startswith(error)


def test_good_channels() -> None:
    for props in ({"kind": "slack", "url": "https://hooks.slack.com/services/x"},
                  {"kind": "pagerduty", "routing_key": "k"},
                  {"kind": "webhook", "url": "http://x", "secret": "s"},
                  {"kind": "email", "to": ["a@b", "c@d"], "smtp_host": "h", "smtp_port": 587},
                  {"kind": "alertmanager", "url": "http://am:9093"}):
        assert validate_channel(props).send is not None
