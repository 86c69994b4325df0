"""Explaining an alert: its query analysed over a range around the firing, with its state."""

from __future__ import annotations

import time
from typing import Any

from limelight.ai.analyze import analyze_query
from limelight.query.parse import parse_calculation
from limelight.query.run import QueryFn

HOUR_MS = 3_600_000
WINDOWS_OF_CONTEXT = 12  # enough history before the firing for a baseline


def analyze_alert(context: dict[str, Any], query: QueryFn) -> dict[str, Any]:
    """`context`: the alert as GET /api/alerts/{ref} shows it (`alert`), the spec it evaluates
    (`spec`, without a time range), the compared calculation's label and its window."""
    alert = context["alert"]
    now_ms = time.time_ns() // 1_000_000
    firing = [i for i in alert["instances"] if i["state"] == "firing"]
    since_ms = min((i["since_ms"] for i in firing if i.get("since_ms")), default=now_ms)
    context_ms = max(HOUR_MS, WINDOWS_OF_CONTEXT * int(context["window_ms"]))
    spec = _compared_first(context["spec"], context["calculation"])
    analysis = analyze_query({**spec, "from": min(since_ms, now_ms) - context_ms,
                              "to": now_ms}, query)
    analysis["kind"] = "alert"
    analysis["alert"] = {
        "id": f"{alert['service']}/{alert['id']}",
        "name": alert["name"],
        "severity": alert["severity"],
        "state": alert["state"],
        "threshold": alert["threshold"],
        "calculation": context["calculation"],
        "window_ms": context["window_ms"],
        "firing": [{"group": i["group"], "value": i["value"], "since_ms": i["since_ms"]}
                   for i in firing],
        "value": alert.get("value"),
    }
    return analysis


def _compared_first(spec: dict[str, Any], label: str) -> dict[str, Any]:
    """The analysis looks at the first calculation: make it the one the alert compares."""
    calculations = list(spec.get("calculations") or [])
    compared = [c for c in calculations if parse_calculation(c, "calculation").label == label]
    rest = [c for c in calculations if c not in compared]
    return {**spec, "calculations": compared + rest}
