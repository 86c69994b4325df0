"""Generic webhook: a JSON payload, signed with HMAC-SHA256 when the channel has a secret."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import httpx
import msgspec

from limelight.alerts.channels.base import ChannelError, Notification, Outcome, http_url, post

SIGNATURE_HEADER = "X-Limelight-Signature"
# The same on every attempt of one notification: a receiver that answered too slowly, and
# so gets it again, can tell it has it already.
DELIVERY_HEADER = "X-Limelight-Delivery"


def validate(properties: dict[str, Any]) -> None:
    http_url(properties)
    secret = properties.get("secret")
    if secret is not None and not isinstance(secret, str):
        raise ChannelError("secret", "must be a string")


def payload(note: Notification) -> dict[str, Any]:
    return {
        "version": 1,
        "event": note.event,
        "state": note.state,
        "alert": {
            "service": note.service, "id": note.alert_id, "name": note.name,
            "severity": note.severity, "description": note.description,
            "threshold": note.threshold, "calculation": note.calculation,
            "labels": note.labels,
        },
        "instance": {"key": note.instance, "group": note.group, "dedup_key": note.dedup_key,
                     "since_ms": note.since_ms},
        "values": {"value": note.value, "previous": note.previous,
                   "change_pct": note.change_pct},
        "reason": note.reason or None,
        "query": note.query,
        "link": note.link,
        "time_ms": note.time_ms,
        "summary": note.summary(),
    }


def delivery_id(note: Notification) -> str:
    """One notification's id: its alert instance, its event and its evaluation."""
    text = f"{note.dedup_key}/{note.event}/{note.time_ms}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def send(client: httpx.AsyncClient, properties: dict[str, Any],
               note: Notification) -> Outcome:
    body = msgspec.json.encode(payload(note))
    headers = {DELIVERY_HEADER: delivery_id(note)}
    if properties.get("secret"):
        headers[SIGNATURE_HEADER] = signature(properties["secret"], body)
    return await post(client, properties["url"], body, headers)
