"""Which analysis a target gets: by its kind."""

from __future__ import annotations

from typing import Any

from limelight.ai.alert_target import analyze_alert
from limelight.ai.analyze import TraceFn, analyze_event, analyze_query, analyze_trace
from limelight.ai.error_target import analyze_error
from limelight.exceptions import BadRequest, NotFound
from limelight.query.run import QueryFn

KINDS = ("query", "trace", "event", "error", "alert")


def analyze_target(target: dict[str, Any], query: QueryFn, trace: TraceFn,
                   context: dict[str, Any] | None = None) -> dict[str, Any]:
    """`context`: what the server looked up for targets that live outside the datasets (the
    alert with its state and spec for kind `alert`, the group and its samples for `error`)."""
    kind = target.get("kind")
    if kind == "query":
        spec = target.get("query")
        if not isinstance(spec, dict):
            raise BadRequest('target.query: give the query spec, e.g. {"datasets": ["otel"], ...}')
        return analyze_query(spec, query)
    if kind == "trace":
        trace_id = str(target.get("trace_id", ""))
        found = trace(trace_id)
        if found is None:
            raise NotFound(f"no events with trace id {trace_id}")
        return analyze_trace(found)
    if kind == "event":
        return analyze_event(str(target.get("dataset", "")), target.get("id"), query, trace)
    if kind == "alert":
        if context is None:
            raise BadRequest("target.id: give the alert as service/alert-id")
        return analyze_alert(context, query)
    if kind == "error":
        if context is None:
            raise BadRequest("target.id: give the error group's id")
        return analyze_error(context, query, trace)
    raise BadRequest(f"target.kind: one of {', '.join(KINDS)}")
