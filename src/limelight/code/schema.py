"""Each resource type's properties checked on their own (references are checked elsewhere).

Every function returns the problems it finds, with paths relative to the
properties. Query specs go through the query parser, alerts through the alert
engine's parser and channels and routes through the channels' own checks, so
what validates here is what the server runs.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from limelight.code.problem import Problem, field_path
from limelight.code.yamlfile import Path
from limelight.exceptions import QueryError
from limelight.query.parse import parse_spec
from limelight.timeparse import parse_duration_ns

TYPES = ("query", "alert", "dashboard", "channel", "route", "check", "dataset")
WIDGET_TYPES = ("timeseries", "statistic", "table", "bar")
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
_FIELD_MESSAGE = re.compile(r"^([A-Za-z_$][\w$.\[\]]*): (.*)$", re.DOTALL)

Validator = Callable[[dict[str, Any]], list[Problem]]


def validate_properties(kind: str, properties: Any) -> list[Problem]:
    """The problems of one resource's properties (empty when it is fine)."""
    if not isinstance(properties, dict):
        return [Problem((), "properties must be a mapping")]
    return VALIDATORS[kind](properties)


def spec_problems(spec: Any, at: Path) -> list[Problem]:
    """A query spec checked by the query parser; its error becomes a problem at `at`.field."""
    try:
        parse_spec(spec, time.time_ns())
    except QueryError as exc:
        return [_field_problem(str(exc), at)]
    return []


def _field_problem(text: str, at: Path) -> Problem:
    """`calculations[0]: unknown ...` as a problem at (*at, "calculations", 0)."""
    match = _FIELD_MESSAGE.match(text)
    if match:
        return Problem((*at, *field_path(match.group(1))), match.group(2))
    return Problem(at, text)


def query(props: dict[str, Any]) -> list[Problem]:
    found = _known(props, ("name", "description", "parameters"))
    found += _text(props, "name", required=True) + _text(props, "description")
    if "parameters" not in props:
        found.append(Problem(("parameters",), "is required (the query spec)"))
    elif not isinstance(props["parameters"], dict):
        found.append(Problem(("parameters",), "must be a mapping (a query spec)"))
    else:
        found += spec_problems(props["parameters"], ("parameters",))
    return found


def alert(props: dict[str, Any]) -> list[Problem]:
    from limelight.alerts.rules import parse_alert  # the engine's own parser

    try:
        parse_alert(props)
    except ValueError as exc:
        return [_field_problem(str(exc), ())]
    return []


def channel(props: dict[str, Any]) -> list[Problem]:
    from limelight.alerts.channels import validate_channel

    try:
        validate_channel(props)
    except ValueError as exc:
        return [_field_problem(str(exc), ())]
    return []


def route(props: dict[str, Any]) -> list[Problem]:
    from limelight.alerts.routes import validate_route

    found = _known(props, ("match", "channels", "description"))
    try:
        validate_route(props)
    except ValueError as exc:
        found.append(_field_problem(str(exc), ()))
    return found


def dashboard(props: dict[str, Any]) -> list[Problem]:
    found = _known(props, ("name", "description", "widgets"))
    found += _text(props, "name", required=True) + _text(props, "description")
    widgets = props.get("widgets")
    if not isinstance(widgets, list):
        return [*found, Problem(("widgets",), "must be a list of widgets")]
    for i, widget in enumerate(widgets):
        at: Path = ("widgets", i)
        if not isinstance(widget, dict):
            found.append(Problem(at, "must be a mapping with type, query and title"))
            continue
        found += [Problem((*at, *p.path), p.message)
                  for p in _known(widget, ("type", "query", "title", "description"))]
        if widget.get("type") not in WIDGET_TYPES:
            found.append(Problem((*at, "type"), f"{widget.get('type')!r} is not one of "
                                                f"{', '.join(WIDGET_TYPES)}"))
        for key in ("title", "description"):
            if key in widget and not isinstance(widget[key], str):
                found.append(Problem((*at, key), "must be a string"))
        spec = widget.get("query")
        if isinstance(spec, dict):
            found += spec_problems(spec, (*at, "query"))
        elif spec is None:
            found.append(Problem((*at, "query"), "is required: a query id or an inline spec"))
        elif not (isinstance(spec, str) and spec.strip()):
            found.append(Problem((*at, "query"), "must be a query id or an inline query spec"))
    return found


def check(props: dict[str, Any]) -> list[Problem]:
    found = _known(props, ("name", "description", "url", "method", "headers", "body", "interval",
                           "timeout", "expect", "tls_expiry_days", "enabled"))
    found += _text(props, "name") + _text(props, "description") + _text(props, "body")
    url = props.get("url")
    if url is None:
        found.append(Problem(("url",), "is required: an http:// or https:// URL"))
    elif not isinstance(url, str) or not url.startswith(("http://", "https://")):
        found.append(Problem(("url",), f"{url!r} is not an http:// or https:// URL"))
    method = props.get("method", "GET")
    if not isinstance(method, str) or method.upper() not in HTTP_METHODS:
        found.append(Problem(("method",), f"{method!r} is not one of {', '.join(HTTP_METHODS)}"))
    interval = _duration(props, "interval", minimum_s=10, found=found)
    timeout = _duration(props, "timeout", minimum_s=0.001, found=found)
    if interval and timeout and timeout > interval:
        found.append(Problem(("timeout",), "must not be longer than the interval"))
    headers = props.get("headers", {})
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str | int | float) for k, v in headers.items()
    ):
        found.append(Problem(("headers",), "must be a mapping of header names to values"))
    if "enabled" in props and not isinstance(props["enabled"], bool):
        found.append(Problem(("enabled",), "must be true or false"))
    if "tls_expiry_days" in props and not _int_in(props["tls_expiry_days"], 0, 3650):
        found.append(Problem(("tls_expiry_days",), "must be a whole number of days (0 to 3650)"))
    if "expect" in props:
        found += _expect(props["expect"])
    return found


def _expect(expect: Any) -> list[Problem]:
    if not isinstance(expect, dict):
        return [Problem(("expect",), "must be a mapping (status, body_regex, latency_ms)")]
    found = [Problem(("expect", *p.path), p.message)
             for p in _known(expect, ("status", "body_regex", "latency_ms"))]
    status = expect.get("status", [200])
    statuses = status if isinstance(status, list) else [status]
    if not statuses or not all(_int_in(s, 100, 599) for s in statuses):
        found.append(Problem(("expect", "status"), "must be a list of HTTP status codes (100-599)"))
    if "body_regex" in expect:
        pattern = expect["body_regex"]
        if not isinstance(pattern, str):
            found.append(Problem(("expect", "body_regex"), "must be a string"))
        else:
            try:
                re.compile(pattern)
            except re.error as exc:
                found.append(Problem(("expect", "body_regex"),
                                     f"not a valid regular expression: {exc}"))
    if "latency_ms" in expect:
        latency = expect["latency_ms"]
        if isinstance(latency, bool) or not isinstance(latency, int | float) or latency <= 0:
            found.append(Problem(("expect", "latency_ms"), "must be a number of milliseconds > 0"))
    return found


def dataset(props: dict[str, Any]) -> list[Problem]:
    found = _known(props, ("name", "description", "retention_days", "sampling", "blocked_keys",
                           "obfuscated_keys"))
    found += _text(props, "name") + _text(props, "description")
    if "retention_days" in props and not _int_in(props["retention_days"], 1, 3650):
        found.append(Problem(("retention_days",), "must be a whole number from 1 to 3650"))
    if "sampling" in props:
        rate = props["sampling"]
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 < rate <= 1:
            found.append(Problem(("sampling",), "must be a rate above 0 and at most 1 "
                                                "(1 keeps every event)"))
    for key in ("blocked_keys", "obfuscated_keys"):
        keys = props.get(key, [])
        if not isinstance(keys, list) or not all(isinstance(k, str) and k.strip() for k in keys):
            found.append(Problem((key,), "must be a list of attribute keys"))
    return found


VALIDATORS: dict[str, Validator] = {
    "query": query, "alert": alert, "dashboard": dashboard, "channel": channel, "route": route,
    "check": check, "dataset": dataset,
}


def _known(props: dict[str, Any], known: tuple[str, ...]) -> list[Problem]:
    return [Problem((str(key),), f"unknown property (known: {', '.join(known)})")
            for key in props if key not in known]


def _text(props: dict[str, Any], key: str, required: bool = False) -> list[Problem]:
    if key not in props or props[key] is None:
        return [Problem((key,), "is required")] if required else []
    value = props[key]
    if not isinstance(value, str) or (required and not value.strip()):
        return [Problem((key,), "must be a non-empty string" if required else "must be a string")]
    return []


def _int_in(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _duration(props: dict[str, Any], key: str, minimum_s: float,
              found: list[Problem]) -> int | None:
    if key not in props:
        return None
    value = props[key]
    try:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError
        ns = parse_duration_ns(str(value))
    except ValueError:
        found.append(Problem((key,), f"{value!r} is not a duration (use e.g. 30s, 1m, 1h)"))
        return None
    if ns < minimum_s * 1e9:
        found.append(Problem((key,), f"must be at least {minimum_s:g}s"))
        return None
    return ns
