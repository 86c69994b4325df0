"""A trace: its spans as a tree (with their events and links), the logs that share its id
and, apart, its rows of dataset `errors`."""

from __future__ import annotations

from typing import Any

from limelight.exceptions import BadRequest
from limelight.model import TRACE_ID
from limelight.query.run import event_from_row
from limelight.query.source import quote
from limelight.store.api import Reader
from limelight.timeparse import parse_iso_ns


def fetch_trace(reader: Reader, trace_id: str) -> dict[str, Any] | None:
    trace_id = trace_id.strip().lower()
    if not TRACE_ID.match(trace_id):
        shown = trace_id if len(trace_id) <= 64 else f"{trace_id[:64]}…"
        raise BadRequest(f"trace id {shown!r} is not 32 hex characters")
    events: list[dict[str, Any]] = []
    for name in sorted(reader.schemas()):
        names, rows = reader.execute(
            f"SELECT * FROM {quote(name)} WHERE {quote('$trace_id')} = $p0", {"p0": trace_id}
        )
        events += [event_from_row(names, row, name) for row in rows]
    if not events:
        return None
    return build_trace(trace_id, events)


def build_trace(trace_id: str, events: list[dict[str, Any]]) -> dict[str, Any]:
    """Pure: arrange a trace's events. Spans whose parent is missing become roots."""
    spans: dict[str, dict[str, Any]] = {}
    attached: list[dict[str, Any]] = []
    logs: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []  # dataset `errors`: apart, as they repeat span events
    for event in events:
        kind = event.get("$kind")
        if kind == "span" and "$span_id" in event:
            spans[event["$span_id"]] = {**event, "children": [], "events": [], "links": []}
        elif kind in ("span_event", "link"):
            attached.append(event)
        elif kind == "error":
            errors.append(event)
        else:
            logs.append(event)
    for event in attached:
        span = spans.get(event.get("$span_id", ""))
        if span is None:
            logs.append(event)
        else:
            span["events" if event["$kind"] == "span_event" else "links"].append(event)
    roots: list[dict[str, Any]] = []
    for span in sorted(spans.values(), key=lambda s: s["$timestamp"]):
        parent = spans.get(span.get("$parent_span_id", ""))
        (parent["children"] if parent is not None else roots).append(span)
    starts = [s["$timestamp"] for s in spans.values()]
    return {
        "trace_id": trace_id,
        "spans": roots,
        "logs": sorted(logs, key=lambda e: e["$timestamp"]),
        "error_events": sorted(errors, key=lambda e: e["$timestamp"]),
        "span_count": len(spans),
        "services": sorted({s["$service"] for s in spans.values() if "$service" in s}),
        "errors": sum(1 for s in spans.values() if s.get("$error")),
        "start": min(starts) if starts else None,
        "duration_ms": _duration_ms(list(spans.values())),
    }


def _duration_ms(spans: list[dict[str, Any]]) -> float | None:
    if not spans:
        return None
    starts = [parse_iso_ns(s["$timestamp"]) for s in spans]
    ends = [start + int(s.get("$duration_ms", 0) * 1e6) for start, s in zip(starts, spans,
                                                                           strict=True)]
    return (max(ends) - min(starts)) / 1e6
