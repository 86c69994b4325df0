"""Turning an evaluated alert instance into a Notification, and the query spec of a window."""

from __future__ import annotations

from typing import Any

from limelight.alerts.channels.base import Notification, console_link
from limelight.alerts.rules import AlertQuery, AlertRule
from limelight.alerts.state import Event, Instance, dedup_key

NS_PER_MS = 1_000_000
LINK_RANGE_MS = 3_600_000  # the console link shows at least the last hour
DEFAULT_GROUP_LIMIT = 1_000


def window_spec(spec: dict[str, Any], from_ms: int, to_ms: int) -> dict[str, Any]:
    """The alert's query over [from, to): one bucket, and room for many groups."""
    windowed = {**spec, "from": from_ms, "to": to_ms, "granularity": f"{to_ms - from_ms}ms"}
    windowed.setdefault("limit", DEFAULT_GROUP_LIMIT)
    return windowed


def note_for(
    ref: str,
    rule: AlertRule,
    query: AlertQuery,
    instance: Instance,
    event: Event,
    time_ms: int,
    public_url: str,
    reason: str = "",
) -> Notification:
    service, _, alert_id = ref.partition("/")
    window_ms = rule.window_ns // NS_PER_MS
    evaluated = window_spec(query.spec, time_ms - window_ms, time_ms)
    shown = {k: v for k, v in evaluated.items() if k not in ("granularity", "limit")}
    shown["from"] = time_ms - max(window_ms, LINK_RANGE_MS)
    if "limit" in query.spec:
        shown["limit"] = query.spec["limit"]
    return Notification(
        event=event,
        service=service,
        alert_id=alert_id,
        name=rule.name,
        severity=rule.severity,
        threshold=str(rule.threshold),
        calculation=query.label,
        group=instance.group,
        instance=instance.key,
        dedup_key=dedup_key(ref, instance.key),
        value=instance.value,
        previous=instance.previous,
        change_pct=instance.change_pct,
        since_ms=instance.since_ms,
        time_ms=time_ms,
        query=evaluated,
        link=console_link(public_url, shown),
        description=rule.description,
        labels=rule.labels,
        reason=reason,
    )
