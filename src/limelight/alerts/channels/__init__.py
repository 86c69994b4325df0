"""Notification channels by kind: each validates its properties and sends a Notification."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from limelight.alerts.channels import alertmanager, mail, pagerduty, slack, webhook
from limelight.alerts.channels.base import ChannelError, ChannelErrors, Notification, Outcome

Send = Callable[[httpx.AsyncClient, dict[str, Any], Notification], Awaitable[Outcome]]


@dataclass(frozen=True)
class Kind:
    validate: Callable[[dict[str, Any]], None]
    send: Send
    properties: tuple[str, ...]  # besides `kind`: a misspelt one (`secrt`) is an error
    refresh_ms: int = 0  # resend a firing alert this often (0: never)


KINDS: dict[str, Kind] = {
    "slack": Kind(slack.validate, slack.send, ("url",)),
    "pagerduty": Kind(pagerduty.validate, pagerduty.send, ("routing_key", "url")),
    "webhook": Kind(webhook.validate, webhook.send, ("url", "secret")),
    "email": Kind(mail.validate, mail.send, ("to", "from", "smtp_host", "smtp_port",
                                             "smtp_user", "smtp_password")),
    "alertmanager": Kind(alertmanager.validate, alertmanager.send, ("url",),
                         alertmanager.REFRESH_MS),
}


def validate_channel(properties: Any) -> Kind:
    """The channel's kind, after checking its properties; raises ChannelError naming the field."""
    if not isinstance(properties, dict):
        raise ChannelError("properties", "must be a mapping")
    kind = properties.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise ChannelError("kind", f"{kind!r} is not one of {', '.join(KINDS)}")
    known = ("kind", "description", *KINDS[kind].properties)
    problems = [ChannelError(str(name), f"unknown property for kind {kind} "
                                        f"(known: {', '.join(known)})")
                for name in properties if name not in known]
    try:
        KINDS[kind].validate(properties)
    except ChannelError as exc:
        problems.append(exc)
    if problems:
        raise ChannelErrors(problems)
    return KINDS[kind]


__all__ = ["KINDS", "ChannelError", "Kind", "Notification", "Outcome", "validate_channel"]
