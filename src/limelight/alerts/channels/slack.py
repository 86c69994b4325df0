"""Slack incoming webhooks: a readable message with the value, threshold, group and a link."""

from __future__ import annotations

from typing import Any

import httpx
import msgspec

from limelight.alerts.channels.base import (
    Notification,
    Outcome,
    http_url,
    iso,
    number_text,
    post,
)

_ICONS = {"firing": ":red_circle:", "reminder": ":large_orange_circle:",
          "resolved": ":large_green_circle:"}


def validate(properties: dict[str, Any]) -> None:
    http_url(properties)


def message(note: Notification) -> dict[str, Any]:
    """Slack's `text` (also the notification preview) plus blocks with the details."""
    if note.is_error_group:
        return _error_message(note)
    icon = _ICONS[note.event]
    title = f"{icon} *{note.summary()}*"
    lines = [
        f"*Alert:* {note.name} (`{note.ref}`)",
        f"*Severity:* {note.severity}",
        f"*{'Last value' if note.reason else 'Value'}:* {note.value_text}",
        f"*Threshold:* {note.threshold}",
    ]
    if note.group:
        lines.append(f"*Group:* {note.group_text}")
    state_since = "Firing since" if note.state == "firing" else "Resolved at"
    lines.append(f"*{state_since}:* {iso(note.since_ms)}")
    if note.description:
        lines.append(note.description)
    lines.append(f"<{note.link}|Open the query in Limelight>")
    return {
        "text": f"{icon} {note.summary()}",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": title}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}},
        ],
    }


def _error_message(note: Notification) -> dict[str, Any]:
    lines = [f"*Service:* {note.service}"]
    if note.group:
        lines.append(f"*Where:* {note.group.get('culprit', note.group_text)}")
    lines.append(f"*Events:* {number_text(note.value)}")
    since = "Back since" if note.threshold.startswith("regressed") else "First seen"
    lines.append(f"*{since}:* {iso(note.since_ms)}")
    if note.description:
        lines.append(f"```{note.description[:500]}```")
    lines.append(f"<{note.link}|Open the error in Limelight>")
    return {
        "text": f":rotating_light: {note.summary()}",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn",
                                         "text": f":rotating_light: *{note.name}*"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}},
        ],
    }


async def send(client: httpx.AsyncClient, properties: dict[str, Any],
               note: Notification) -> Outcome:
    return await post(client, properties["url"], msgspec.json.encode(message(note)))
