"""Dashboards defined as code: each widget's query resolved and run over one time range.

A widget's `query` is a query id of the dashboard's service or an inline
spec. Time-series widgets get a granularity (auto unless the spec gives one);
the others are answered with aggregates only. A widget whose query fails
carries its error instead of a result, so one broken widget never hides the
rest of the dashboard.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from limelight.exceptions import LimelightError
from limelight.query.run import QueryFn


def widget_spec(widget: Mapping[str, Any], queries: Mapping[str, Mapping[str, Any]],
                from_ms: int, to_ms: int) -> tuple[str | None, dict[str, Any]]:
    """(the query id or None for an inline spec, the spec to run over [from, to))."""
    reference = widget.get("query")
    if isinstance(reference, str):
        found = queries.get(reference)
        if found is None:
            raise LookupError(f"no query {reference!r} in this service")
        base = dict(found.get("parameters") or {})
        query_id: str | None = reference
    else:
        base, query_id = dict(reference or {}), None
    spec = {k: v for k, v in base.items() if k not in ("from", "to")}
    spec |= {"from": from_ms, "to": to_ms}
    if widget.get("type") == "timeseries":
        spec.setdefault("granularity", "auto")
    else:
        spec.pop("granularity", None)
    return query_id, spec


def render(properties: Mapping[str, Any], queries: Mapping[str, Mapping[str, Any]],
           query: QueryFn, from_ms: int, to_ms: int) -> list[dict[str, Any]]:
    """Every widget with its resolved spec and its result (or its error)."""
    shown = []
    for widget in properties.get("widgets") or []:
        entry: dict[str, Any] = {
            "type": widget.get("type"), "title": widget.get("title") or "",
            "description": widget.get("description") or ""}
        try:
            entry["query_id"], entry["spec"] = widget_spec(widget, queries, from_ms, to_ms)
            entry["result"] = query(entry["spec"])
        except (LookupError, LimelightError) as exc:
            entry["error"] = str(exc)
        shown.append(entry)
    return shown
