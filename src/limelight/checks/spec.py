"""A `check` resource's properties parsed into a CheckSpec. Pure: no I/O.

Every wrong property is reported (not only the first), each naming its field,
so `limelight validate` and `PUT /api/resources` show them all at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from limelight.alerts.rules import SEVERITIES
from limelight.timeparse import parse_duration_ns

HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
NS_PER_S = 1_000_000_000
MIN_INTERVAL_NS = 10 * NS_PER_S
DEFAULT_INTERVAL_NS = 60 * NS_PER_S
DEFAULT_TIMEOUT_NS = 10 * NS_PER_S
DEFAULT_FAILURES = 2
DEFAULT_SEVERITY = "critical"
DEFAULT_EXPIRY_WARNING_DAYS = 14

_KEYS = ("name", "description", "url", "method", "headers", "body", "interval", "timeout",
         "expect", "tls", "failures", "severity", "channels", "labels", "enabled",
         "follow_redirects")
_EXPECT_KEYS = ("status", "body", "latency")
_TLS_KEYS = ("expiry_warning_days", "verify")
_STATUS_CLASS = re.compile(r"^([1-5])xx\Z")


class CheckSpecError(ValueError):
    """Every wrong property of a check: `problems` holds (dotted field, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{f}: {m}" for f, m in problems))
        self.problems = problems


@dataclass(frozen=True)
class Expectations:
    statuses: frozenset[int] = frozenset()  # empty: any 2xx
    status_classes: frozenset[int] = frozenset({2})  # 2 for "2xx"
    body: re.Pattern[str] | None = None
    latency_ms: float | None = None

    def status_ok(self, status: int) -> bool:
        return status in self.statuses or status // 100 in self.status_classes

    @property
    def status_text(self) -> str:
        """`200, 204` or `2xx`, as written in messages."""
        parts = [str(s) for s in sorted(self.statuses)]
        parts += [f"{c}xx" for c in sorted(self.status_classes)]
        return ", ".join(parts)


@dataclass(frozen=True)
class CheckSpec:
    url: str
    name: str = ""
    description: str = ""
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    interval_ns: int = DEFAULT_INTERVAL_NS
    timeout_ns: int = DEFAULT_TIMEOUT_NS
    expect: Expectations = Expectations()
    expiry_warning_days: int = DEFAULT_EXPIRY_WARNING_DAYS
    verify_tls: bool = True
    failures: int = DEFAULT_FAILURES
    severity: str = DEFAULT_SEVERITY
    channels: tuple[str, ...] | None = None  # None: routes decide
    labels: dict[str, str] = field(default_factory=dict)
    enabled: bool = True
    follow_redirects: bool = True


def parse_check(props: Any, min_interval_ns: int = MIN_INTERVAL_NS) -> CheckSpec:
    """The check's spec; raises CheckSpecError listing every wrong property."""
    if not isinstance(props, dict):
        raise CheckSpecError([("properties", "must be a mapping")])
    parser = _Parser(props)
    parsed = parser.parse(min_interval_ns)
    if parser.problems:
        raise CheckSpecError(parser.problems)
    return parsed


class _Parser:
    """Collects problems while reading; values of wrong properties fall back to defaults."""

    def __init__(self, props: dict[str, Any]) -> None:
        self.props = props
        self.problems: list[tuple[str, str]] = []

    def bad(self, where: str, message: str) -> None:
        self.problems.append((where, message))

    def parse(self, min_interval_ns: int) -> CheckSpec:
        props = self.props
        self.unknown(props, _KEYS, "")
        interval = self.duration(props, "interval", DEFAULT_INTERVAL_NS, min_interval_ns)
        timeout = self.duration(props, "timeout", DEFAULT_TIMEOUT_NS, 1_000_000)
        if "timeout" in props and timeout > interval:
            self.bad("timeout", "must not be longer than the interval")
        tls = self.mapping(props, "tls", "expiry_warning_days, verify")
        self.unknown(tls, _TLS_KEYS, "tls.")
        return CheckSpec(
            url=self.url(props.get("url")),
            name=self.text(props, "name"),
            description=self.text(props, "description"),
            method=self.method(props.get("method", "GET")),
            headers=self.headers(props.get("headers", {})),
            body=self.text(props, "body") if "body" in props else None,
            interval_ns=interval,
            timeout_ns=timeout,
            expect=self.expectations(),
            expiry_warning_days=self.whole(tls, "expiry_warning_days", "tls.expiry_warning_days",
                                           DEFAULT_EXPIRY_WARNING_DAYS, 0, 3650),
            verify_tls=self.flag(tls, "verify", "tls.verify"),
            failures=self.whole(props, "failures", "failures", DEFAULT_FAILURES, 1, 100),
            severity=self.severity(props.get("severity", DEFAULT_SEVERITY)),
            channels=self.channels(props.get("channels")),
            labels=self.labels(props.get("labels", {})),
            enabled=self.flag(props, "enabled", "enabled"),
            follow_redirects=self.flag(props, "follow_redirects", "follow_redirects"),
        )

    def unknown(self, props: dict[str, Any], known: tuple[str, ...], prefix: str) -> None:
        for key in props:
            if key not in known:
                self.bad(f"{prefix}{key}", f"unknown property (known: {', '.join(known)})")

    def mapping(self, props: dict[str, Any], key: str, keys_text: str) -> dict[str, Any]:
        value = props.get(key, {})
        if isinstance(value, dict):
            return value
        self.bad(key, f"must be a mapping ({keys_text})")
        return {}

    def url(self, value: Any) -> str:
        if value is None:
            self.bad("url", "is required: an http:// or https:// URL")
            return ""
        parts = urlsplit(value) if isinstance(value, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            self.bad("url", f"{value!r} is not an http:// or https:// URL")
            return ""
        return str(value)

    def text(self, props: dict[str, Any], key: str) -> str:
        value = props.get(key, "")
        if isinstance(value, str):
            return value
        self.bad(key, "must be a string")
        return ""

    def method(self, value: Any) -> str:
        if isinstance(value, str) and value.upper() in HTTP_METHODS:
            return value.upper()
        self.bad("method", f"{value!r} is not one of {', '.join(HTTP_METHODS)}")
        return "GET"

    def headers(self, value: Any) -> dict[str, str]:
        if isinstance(value, dict) and all(
            isinstance(k, str) and isinstance(v, str | int | float) and not isinstance(v, bool)
            for k, v in value.items()
        ):
            return {k: str(v) for k, v in value.items()}
        self.bad("headers", "must be a mapping of header names to values")
        return {}

    def duration(self, props: dict[str, Any], key: str, default: int, minimum_ns: int) -> int:
        if key not in props:
            return default
        value = props[key]
        try:
            if isinstance(value, bool) or not isinstance(value, str):
                raise ValueError
            ns = parse_duration_ns(value)
        except ValueError:
            self.bad(key, f"{value!r} is not a duration (use e.g. 30s, 1m, 1h)")
            return default
        if ns < minimum_ns:
            self.bad(key, f"must be at least {_seconds_text(minimum_ns)}")
            return default
        return ns

    def whole(self, props: dict[str, Any], key: str, where: str, default: int,
              low: int, high: int) -> int:
        value = props.get(key, default)
        if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
            return value
        self.bad(where, f"must be a whole number from {low} to {high}")
        return default

    def flag(self, props: dict[str, Any], key: str, where: str) -> bool:
        value = props.get(key, True)
        if isinstance(value, bool):
            return value
        self.bad(where, "must be true or false")
        return True

    def severity(self, value: Any) -> str:
        if value in SEVERITIES:
            return str(value)
        self.bad("severity", f"{value!r} is not one of {', '.join(SEVERITIES)}")
        return DEFAULT_SEVERITY

    def channels(self, value: Any) -> tuple[str, ...] | None:
        if value is None:
            return None
        if isinstance(value, list) and all(isinstance(v, str) and v for v in value):
            return tuple(value)
        self.bad("channels", "must be a list of channel ids")
        return None

    def labels(self, value: Any) -> dict[str, str]:
        if isinstance(value, dict) and all(
            isinstance(v, str | int | float | bool) for v in value.values()
        ):
            return {str(k): str(v).lower() if isinstance(v, bool) else str(v)
                    for k, v in value.items()}
        self.bad("labels", "must be a mapping of names to strings or numbers")
        return {}

    def expectations(self) -> Expectations:
        expect = self.mapping(self.props, "expect", "status, body, latency")
        self.unknown(expect, _EXPECT_KEYS, "expect.")
        statuses, classes = self.statuses(expect.get("status"))
        return Expectations(statuses, classes, self.pattern(expect.get("body")),
                            self.latency(expect))

    def statuses(self, value: Any) -> tuple[frozenset[int], frozenset[int]]:
        if value is None:
            return frozenset(), frozenset({2})
        items = value if isinstance(value, list) else [value]
        codes: set[int] = set()
        classes: set[int] = set()
        for item in items:
            if isinstance(item, int) and not isinstance(item, bool) and 100 <= item <= 599:
                codes.add(item)
            elif isinstance(item, str) and (match := _STATUS_CLASS.match(item)):
                classes.add(int(match.group(1)))
            else:
                self.bad("expect.status",
                         "must be a list of HTTP status codes (100-599) or classes like 2xx")
                return frozenset(), frozenset({2})
        if not items:
            self.bad("expect.status", "must not be empty")
        return frozenset(codes), frozenset(classes)

    def pattern(self, value: Any) -> re.Pattern[str] | None:
        if value is None:
            return None
        if not isinstance(value, str):
            self.bad("expect.body", "must be a regular expression (a string)")
            return None
        try:
            return re.compile(value)
        except re.error as exc:
            self.bad("expect.body", f"not a valid regular expression: {exc}")
            return None

    def latency(self, expect: dict[str, Any]) -> float | None:
        if "latency" not in expect:
            return None
        value = expect["latency"]
        try:
            if isinstance(value, bool) or not isinstance(value, str):
                raise ValueError
            ns = parse_duration_ns(value)
        except ValueError:
            self.bad("expect.latency", f"{value!r} is not a duration (use e.g. 500ms, 2s)")
            return None
        if ns <= 0:
            self.bad("expect.latency", "must be longer than 0")
            return None
        return ns / 1_000_000


def _seconds_text(ns: int) -> str:
    return f"{ns / NS_PER_S:g}s"
