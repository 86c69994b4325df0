"""Explaining an error group: how often and since when, who and what it hits, which release
it came with, and what its latest trace shows. Through the QueryFn only."""

from __future__ import annotations

import time
from typing import Any

from limelight.ai.analyze import TraceFn, analyze_query, analyze_trace
from limelight.exceptions import QueryError
from limelight.query.run import QueryFn

HOUR_MS = 3_600_000
WEEK_MS = 7 * 24 * HOUR_MS
ERRORS_DATASET = "errors"
# Attributes that name what was deployed, in the order SDKs usually fill them.
RELEASE_KEYS = ("release", "service.version", "version", "deployment.version")
# A release that first showed up this long before the group is its likely cause.
DEPLOY_WINDOW_MS = HOUR_MS


def analyze_error(context: dict[str, Any], query: QueryFn, trace: TraceFn) -> dict[str, Any]:
    """`context`: the group as GET /api/errors/{id} shows it (`group`) and its recent
    occurrences (`samples`, newest last)."""
    group = context["group"]
    now_ms = time.time_ns() // 1_000_000
    start_ms = max(int(group["first_seen_ms"]) - HOUR_MS, now_ms - WEEK_MS)
    only_this = f"error.group_id = {group['id']}"
    spec = {"datasets": [ERRORS_DATASET], "calculations": ["COUNT"], "filters": [only_this],
            "from": start_ms, "to": now_ms}
    analysis = analyze_query(spec, query)
    analysis["kind"] = "error"
    analysis["error"] = {key: group.get(key) for key in (
        "id", "title", "type", "message", "culprit", "status", "count", "users", "services",
        "first_seen_ms", "last_seen_ms", "regressed_at_ms")}
    release = _release(group, only_this, query, start_ms, now_ms)
    if release is not None:
        analysis["release"] = release
    samples = context.get("samples") or []
    if samples:
        latest = samples[-1]
        analysis["latest"] = {"time_ms": latest.get("time_ms"), "service": latest.get("service"),
                              "stack": (latest.get("stack") or [])[-5:]}
        trace_id = next((s["trace_id"] for s in reversed(samples) if s.get("trace_id")), None)
        found = trace(str(trace_id)) if trace_id else None
        if found is not None:
            analysis["trace"] = analyze_trace(found)
    return analysis


def _release(group: dict[str, Any], only_this: str, query: QueryFn, start_ms: int,
             now_ms: int) -> dict[str, Any] | None:
    """The release most of the group's events carry, and whether the group started with it."""
    for key in RELEASE_KEYS:
        try:
            result = query({"datasets": [ERRORS_DATASET], "calculations": ["COUNT"],
                            "filters": [only_this, f"{key} exists"], "groupBys": [key],
                            "from": start_ms, "to": now_ms, "limit": 5})
        except QueryError:  # the key is not in the dataset
            continue
        rows = result["aggregates"]
        if not rows or not rows[0]["groups"]:
            continue
        total = sum(int(r["values"]["COUNT"]) for r in rows)
        value = rows[0]["groups"][key]
        found: dict[str, Any] = {"key": key, "value": value,
                                 "share": round(int(rows[0]["values"]["COUNT"]) / total, 3)}
        first = _first_seen(value, str(group["id"]), query, now_ms)
        if first is not None:
            found["release_first_seen_ms"] = first
            lead_ms = int(group["first_seen_ms"]) - first
            found["group_started_after_ms"] = lead_ms
            found["correlated"] = 0 < lead_ms <= DEPLOY_WINDOW_MS
        return found
    return None


def _first_seen(value: Any, group_id: str, query: QueryFn, now_ms: int) -> int | None:
    """When `value` first appeared as a release in any dataset, besides in the group itself
    (a span may call it `service.version` where the error says `release`)."""
    earliest = None
    for dataset in ("otel", "logs", ERRORS_DATASET):
        others = [f"error.group_id != {group_id}"] if dataset == ERRORS_DATASET else []
        for key in RELEASE_KEYS:
            try:
                result = query({"datasets": [dataset], "calculations": ["MIN($timestamp)"],
                                "filters": [f"{key} = {value}", *others],
                                "from": now_ms - WEEK_MS, "to": now_ms})
            except QueryError:  # no such dataset, or no such key in it
                continue
            rows = result["aggregates"]
            seen = rows[0]["values"].get("MIN($timestamp)") if rows else None
            if isinstance(seen, int | float):
                seen_ms = int(seen) // 1_000_000
                earliest = seen_ms if earliest is None else min(earliest, seen_ms)
    return earliest
