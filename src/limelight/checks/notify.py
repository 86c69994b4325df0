"""A check that starts or stops failing as an alert Notification, for the alerts' channels.

Deliveries go through the alerts' Dispatcher, so they are retried and recorded
like an alert's, under `SERVICE/check-ID` (the prefix keeps a check and an
alert of the same id apart).
"""

from __future__ import annotations

from typing import Any

from limelight.alerts.channels.base import Notification
from limelight.alerts.routes import routed_channel_ids
from limelight.checks.spec import CheckSpec
from limelight.checks.state import CheckState, Event

CHECKS_DATASET = "checks"


def notification_ref(service: str, check_id: str) -> str:
    """Where a check's deliveries are recorded, beside the alerts'."""
    return f"{service}/check-{check_id}"


def dedup_key(service: str, check_id: str) -> str:
    """One incident per check: PagerDuty resolves the one it triggered."""
    return f"limelight/{notification_ref(service, check_id)}"


def display_name(check_id: str, spec: CheckSpec) -> str:
    return spec.name or check_id


def notification(service: str, check_id: str, spec: CheckSpec, state: CheckState,
                 event: Event, now_ms: int, console_url: str) -> Notification:
    last = state.last or {}
    query = {"datasets": [CHECKS_DATASET], "from": state.since_ms, "to": now_ms,
             "filters": [f"$service = {service}", f"check = {check_id}"]}
    return Notification(
        event=event,
        service=service,
        alert_id=f"check-{check_id}",
        name=f"Check failing: {display_name(check_id, spec)}",
        severity=spec.severity,
        threshold=f"{spec.failures} consecutive failure{'s' if spec.failures != 1 else ''}",
        calculation="latency_ms",
        group={"url": spec.url},
        instance="",
        dedup_key=dedup_key(service, check_id),
        value=last.get("latency_ms"),
        previous=None,
        change_pct=None,
        since_ms=state.since_ms or now_ms,
        time_ms=now_ms,
        query=query,
        link=f"{console_url.rstrip('/')}/checks",
        description=str(last.get("error") or "") if event == "firing" else "",
        labels={**spec.labels, "kind": "check"},
    )


def channel_ids(spec: CheckSpec, routes: dict[str, dict[str, Any]]) -> list[str]:
    """The check's own channels, else those of its service's routes matching severity/labels."""
    facts = {**spec.labels, "kind": "check", "severity": spec.severity}
    return routed_channel_ids(spec.channels, facts, routes)
