"""A check's properties: defaults, good shapes, and every wrong one named with its message."""

from __future__ import annotations

from typing import Any

import pytest

from limelight.checks.spec import CheckSpec, CheckSpecError, parse_check
from limelight.code.schema import validate_properties

URL = "https://example.com/health"


def test_defaults() -> None:
    spec = parse_check({"url": URL})
    assert spec == CheckSpec(url=URL)
    assert (spec.method, spec.interval_ns, spec.timeout_ns, spec.failures, spec.severity,
            spec.expiry_warning_days, spec.channels, spec.enabled, spec.verify_tls) == (
        "GET", 60_000_000_000, 10_000_000_000, 2, "critical", 14, None, True, True)
    assert spec.expect.status_text == "2xx"
    assert [s for s in (199, 200, 204, 299, 301, 500) if spec.expect.status_ok(s)] == [
        200, 204, 299]


@pytest.mark.parametrize(("properties", "check"), [
    ({"method": "head"}, lambda s: s.method == "HEAD"),
    ({"interval": "10s", "timeout": "10s"},
     lambda s: (s.interval_ns, s.timeout_ns) == (10_000_000_000, 10_000_000_000)),
    ({"expect": {"status": [200, "3xx"]}},
     lambda s: s.expect.status_text == "200, 3xx" and s.expect.status_ok(302)
     and not s.expect.status_ok(204)),
    ({"expect": {"status": 204}}, lambda s: s.expect.status_text == "204"),
    ({"expect": {"latency": "1.5s"}}, lambda s: s.expect.latency_ms == 1500),
    ({"expect": {"body": "ok|up"}}, lambda s: s.expect.body is not None
     and s.expect.body.search("all up")),
    ({"tls": {"expiry_warning_days": 0, "verify": False}},
     lambda s: (s.expiry_warning_days, s.verify_tls) == (0, False)),
    ({"headers": {"x-a": "b", "x-n": 3}}, lambda s: s.headers == {"x-a": "b", "x-n": "3"}),
    ({"channels": ["a", "b"], "severity": "warning", "failures": 1},
     lambda s: (s.channels, s.severity, s.failures) == (("a", "b"), "warning", 1)),
    ({"labels": {"team": "web", "public": True}},
     lambda s: s.labels == {"team": "web", "public": "true"}),
], ids=["method-case", "shortest-interval", "status-class", "single-status", "latency",
        "body-regex", "tls", "headers", "alerting", "labels"])
def test_good_properties(properties: dict[str, Any], check: Any) -> None:
    assert check(parse_check({"url": URL, **properties}))


@pytest.mark.parametrize(("properties", "problems"), [
    ({}, [("url", "is required: an http:// or https:// URL")]),
    ({"url": "example.com"}, [("url", "'example.com' is not an http:// or https:// URL")]),
    ({"url": "https://"}, [("url", "'https://' is not an http:// or https:// URL")]),
    ({"url": URL, "method": "FETCH"},
     [("method", "'FETCH' is not one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")]),
    ({"url": URL, "interval": "5s"}, [("interval", "must be at least 10s")]),
    ({"url": URL, "interval": 60}, [("interval", "60 is not a duration (use e.g. 30s, 1m, 1h)")]),
    ({"url": URL, "interval": "30s", "timeout": "1m"},
     [("timeout", "must not be longer than the interval")]),
    ({"url": URL, "headers": ["x-a"]}, [("headers", "must be a mapping of header names to "
                                                    "values")]),
    ({"url": URL, "body": {"a": 1}}, [("body", "must be a string")]),
    ({"url": URL, "expect": {"status": [99]}},
     [("expect.status", "must be a list of HTTP status codes (100-599) or classes like 2xx")]),
    ({"url": URL, "expect": {"status": []}}, [("expect.status", "must not be empty")]),
    ({"url": URL, "expect": {"body": "("}}, [(
        "expect.body",
        "not a valid regular expression: missing ), unterminated subpattern at position 0")]),
    ({"url": URL, "expect": {"latency": 500}},
     [("expect.latency", "500 is not a duration (use e.g. 500ms, 2s)")]),
    ({"url": URL, "expect": {"size": 1}},
     [("expect.size", "unknown property (known: status, body, latency)")]),
    ({"url": URL, "tls": {"expiry_warning_days": 5000}},
     [("tls.expiry_warning_days", "must be a whole number from 0 to 3650")]),
    ({"url": URL, "failures": 0}, [("failures", "must be a whole number from 1 to 100")]),
    ({"url": URL, "severity": "page"},
     [("severity", "'page' is not one of critical, error, warning, info")]),
    ({"url": URL, "channels": "slack"}, [("channels", "must be a list of channel ids")]),
    ({"url": URL, "enabled": "yes"}, [("enabled", "must be true or false")]),
    ({"url": URL, "tls_expiry_days": 3}, [("tls_expiry_days", "unknown property (known: name, "
                                            "description, url, method, headers, body, interval, "
                                            "timeout, expect, tls, failures, severity, channels, "
                                            "labels, enabled, follow_redirects)")]),
    ({"url": 1, "failures": "2"}, [("url", "1 is not an http:// or https:// URL"),
                                   ("failures", "must be a whole number from 1 to 100")]),
], ids=["url-missing", "url-scheme", "url-host", "method", "interval-short", "interval-number",
        "timeout-long", "headers", "body", "status-code", "status-empty", "body-regex",
        "latency-number", "expect-unknown", "tls-days", "failures", "severity", "channels",
        "enabled", "unknown", "several"])
def test_bad_properties_name_every_field(properties: dict[str, Any],
                                         problems: list[tuple[str, str]]) -> None:
    with pytest.raises(CheckSpecError) as caught:
        parse_check(properties)
    assert caught.value.problems == problems


def test_the_server_may_allow_shorter_intervals() -> None:
    assert parse_check({"url": URL, "interval": "1s", "timeout": "500ms"},
                       min_interval_ns=1_000_000_000).interval_ns == 1_000_000_000


def test_resource_validation_uses_the_same_parser() -> None:
    found = validate_properties("check", {"url": URL, "expect": {"status": [200, 999]},
                                          "tls": {"verify": "no"}})
    assert [(p.path, p.message) for p in found] == [
        (("expect", "status"),
         "must be a list of HTTP status codes (100-599) or classes like 2xx"),
        (("tls", "verify"), "must be true or false"),
    ]
    assert validate_properties("check", {"url": URL}) == []
