"""Prometheus Alertmanager: POST {url}/api/v2/alerts, refreshed while firing, endsAt on resolve.

Alertmanager forgets an alert at its `endsAt`, so a firing alert is sent with an
`endsAt` a few refresh intervals ahead and sent again every REFRESH_MS (as
Prometheus does); a resolve sends `endsAt` = now.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import msgspec

from limelight.alerts.channels.base import Notification, Outcome, http_url, iso, post

REFRESH_MS = 60_000
_LIFETIME_MS = 4 * REFRESH_MS
_INVALID = re.compile(r"[^A-Za-z0-9_]")


def validate(properties: dict[str, Any]) -> None:
    http_url(properties)


def label_name(key: str) -> str:
    """A Prometheus label name: `$namespace` -> `namespace`, `http.route` -> `http_route`."""
    name = _INVALID.sub("_", key.lstrip("$")) or "_"
    return "_" + name if name[0].isdigit() else name


def alert(note: Notification) -> dict[str, Any]:
    labels = {label_name(k): v for k, v in note.labels.items()}
    labels |= {label_name(k): str(v) for k, v in note.group.items()}
    labels |= {"alertname": note.name, "severity": note.severity, "service": note.service,
               "limelight_alert": note.ref}
    ends = note.time_ms if note.event == "resolved" else note.time_ms + _LIFETIME_MS
    return {
        "labels": labels,
        "annotations": {
            "summary": note.summary(),
            "description": note.description,
            "value": note.value_text,
            "threshold": note.threshold,
        },
        "startsAt": iso(note.since_ms if note.event != "resolved" else note.time_ms - 1),
        "endsAt": iso(ends),
        "generatorURL": note.link,
    }


async def send(client: httpx.AsyncClient, properties: dict[str, Any],
               note: Notification) -> Outcome:
    url = properties["url"].rstrip("/") + "/api/v2/alerts"
    return await post(client, url, msgspec.json.encode([alert(note)]))
