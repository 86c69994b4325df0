"""Errors hidden in other telemetry: OTLP span exception events, error logs carrying
`exception.*` attributes, and events with an `error` field. Pure functions."""

from __future__ import annotations

from collections.abc import Iterator

from limelight.errors.event import ERRORS_DATASET, ErrorEvent
from limelight.errors.frames import parse_stack
from limelight.model import AttrValue, Batch

# Attribute names, in preference order, for each part of an error.
_TYPE = ("exception.type", "error.type", "error.name", "error.kind")
_MESSAGE = ("exception.message", "error.message")
_STACK = ("exception.stacktrace", "error.stack", "error.stacktrace", "stack", "stacktrace")
_USER = ("user.id", "enduser.id", "user_id", "user.email")
# Copied onto the error row under the name on the right.
_CARRIED = {"service.version": "release", "release": "release",
            "deployment.environment": "environment",
            "deployment.environment.name": "environment", "environment": "environment"}
SOURCE_KINDS = ("span_event", "log", "event")
_WANTED = (*_TYPE, *_MESSAGE, *_STACK, *_USER, "error", *_CARRIED)


def error_events(batch: Batch) -> Iterator[ErrorEvent]:
    """The batch's rows that are errors, as ErrorEvents; none from dataset `errors` itself."""
    if batch.dataset == ERRORS_DATASET or not batch.any_error():  # the common case, cheap
        return
    # A request decoded in a worker arrives as a columnar table: only its failed rows of
    # kinds that can carry an error are turned back into Python values.
    batch = batch.error_candidates(SOURCE_KINDS)
    system = batch.system
    flagged = [row for row, failed in enumerate(system["$error"]) if failed]
    values = _attributes(batch, set(flagged))
    for row in flagged:
        attrs = values.get(row, {})
        source = _source(system["$kind"][row], system["$name"][row], attrs)
        if source is None:
            continue
        message = _first(attrs, _MESSAGE) or system["$message"][row] or (
            attrs["error"] if isinstance(attrs.get("error"), str) else "")
        stack = _first(attrs, _STACK)
        service = system["$service"][row]
        yield ErrorEvent(
            timestamp_ns=system["$timestamp"][row],
            service=service,
            namespace=system["$namespace"][row] or service,
            type=_first(attrs, _TYPE),
            message=str(message),
            source=source,
            frames=parse_stack(stack) if stack else [],
            level="fatal" if system["$level"][row] == "fatal" else "error",
            trace_id=system["$trace_id"][row],
            span_id=system["$span_id"][row],
            user_id=_first(attrs, _USER) or None,
            attrs={name: attrs[key] for key, name in _CARRIED.items() if key in attrs},
        )


def _source(kind: str, name: str | None, attrs: dict[str, AttrValue]) -> str | None:
    if kind == "span_event":
        return "span" if name == "exception" else None
    if kind == "log":
        return "log" if any(key in attrs for key in ("exception.type", "exception.stacktrace",
                                                      "exception.message")) else None
    if kind == "event":
        return "event"
    return None


def _attributes(batch: Batch, rows: set[int]) -> dict[int, dict[str, AttrValue]]:
    """The wanted attributes of the given rows only (attributes are stored sparse)."""
    found: dict[int, dict[str, AttrValue]] = {}
    for key in _WANTED:
        if key not in batch.attr_rows:
            continue
        for row, value in zip(batch.attr_rows[key], batch.attr_values[key], strict=True):
            if row in rows:
                found.setdefault(row, {})[key] = value
    return found


def _first(attrs: dict[str, AttrValue], names: tuple[str, ...]) -> str:
    for name in names:
        value = attrs.get(name)
        if value not in (None, ""):
            return str(value)
    return ""
