"""PagerDuty Events API v2: trigger and resolve with one dedup_key per alert instance."""

from __future__ import annotations

from typing import Any

import httpx
import msgspec

from limelight.alerts.channels.base import (
    ChannelError,
    Notification,
    Outcome,
    iso,
    post,
    required_text,
)

DEFAULT_URL = "https://events.pagerduty.com/v2/enqueue"
# Our severities are PagerDuty's, one for one.
SEVERITY = {"critical": "critical", "error": "error", "warning": "warning", "info": "info"}


def validate(properties: dict[str, Any]) -> None:
    # An empty key is how a file turns paging off in an environment
    # (`pd_key: {default: "", prod: "..."}`); a missing one is a mistake.
    if properties.get("routing_key") != "":
        required_text(properties, "routing_key")
    url = properties.get("url", DEFAULT_URL)
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ChannelError("url", f"{url!r} is not an http(s) URL")


def event(properties: dict[str, Any], note: Notification) -> dict[str, Any]:
    body: dict[str, Any] = {
        "routing_key": properties["routing_key"],
        "dedup_key": note.dedup_key,
        "event_action": "resolve" if note.event == "resolved" else "trigger",
    }
    if note.event == "resolved":
        return body
    body["payload"] = {
        "summary": note.summary()[:1024],
        "source": f"limelight/{note.service}",
        "severity": SEVERITY.get(note.severity, "warning"),
        "timestamp": iso(note.since_ms),
        "component": note.service,
        "class": note.alert_id,
        "custom_details": {
            "alert": note.ref,
            "value": note.value,
            "previous": note.previous,
            "threshold": note.threshold,
            "calculation": note.calculation,
            "group": note.group,
            "labels": note.labels,
            "description": note.description,
        },
    }
    if note.group:
        body["payload"]["group"] = note.group_text
    body["links"] = [{"href": note.link, "text": "Query in Limelight"}]
    body["client"] = "Limelight"
    return body


async def send(client: httpx.AsyncClient, properties: dict[str, Any],
               note: Notification) -> Outcome:
    if not properties["routing_key"]:
        # Paging is off here on purpose: done, not a failure to warn about or retry.
        return Outcome(True, None, "skipped: routing_key is empty (paging off in this "
                                   "environment)")
    url = properties.get("url") or DEFAULT_URL
    return await post(client, url, msgspec.json.encode(event(properties, note)))
