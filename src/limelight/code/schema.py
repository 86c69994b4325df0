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

TYPES = ("query", "alert", "dashboard", "channel", "route", "check", "dataset")
WIDGET_TYPES = ("timeseries", "statistic", "table", "bar")
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


def _every_problem(exc: ValueError) -> list[Problem]:
    """The problems an engine's parser found: all of them when it gathers them (`errors`)."""
    return [_field_problem(str(error), ()) for error in getattr(exc, "errors", [exc])]


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
        return _every_problem(exc)
    return []


def channel(props: dict[str, Any]) -> list[Problem]:
    from limelight.alerts.channels import validate_channel

    try:
        validate_channel(props)
    except ValueError as exc:
        return _every_problem(exc)
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
    from limelight.checks.spec import CheckSpecError, parse_check  # the runner's own parser

    try:
        parse_check(props)
    except CheckSpecError as exc:
        return [Problem(field_path(where), message) for where, message in exc.problems]
    return []


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
