"""Which channels an alert (or a check) notifies: its own `channels`, else every route whose
match fits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from limelight.alerts.channels.base import ChannelError
from limelight.alerts.rules import SEVERITIES, AlertRule


def validate_route(properties: Any) -> None:
    """Raises ChannelError naming the wrong field of a route's properties."""
    if not isinstance(properties, dict):
        raise ChannelError("properties", "must be a mapping")
    match = properties.get("match", {})
    if not isinstance(match, dict):
        raise ChannelError("match", "must be a mapping of severity/labels to values")
    for key, value in match.items():
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str | int | float | bool) for v in values):
            raise ChannelError(f"match.{key}", "must be a value or a list of values")
        wrong = [v for v in values if key == "severity" and v not in SEVERITIES]
        if wrong:  # a misspelt severity would match no alert, silently
            raise ChannelError("match.severity",
                               f"{wrong[0]!r} is not one of {', '.join(SEVERITIES)}")
    channels = properties.get("channels")
    if not isinstance(channels, list) or not channels or not all(
        isinstance(c, str) and c for c in channels
    ):
        raise ChannelError("channels", "must be a non-empty list of channel ids")


def matches_facts(match: Mapping[str, Any], facts: Mapping[str, str]) -> bool:
    """Every key of `match` equals the fact of that name (a list: any of its values)."""
    for key, wanted in match.items():
        options = wanted if isinstance(wanted, list) else [wanted]
        if facts.get(key) not in {_text(o) for o in options}:
            return False
    return True


def channel_ids(rule: AlertRule, routes: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The channel ids to notify, in order, each once. `routes` maps route ids to properties."""
    return routed_channel_ids(rule.channels, {**rule.labels, "severity": rule.severity}, routes)


def routed_channel_ids(own: Sequence[str] | None, facts: Mapping[str, str],
                       routes: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """`own` channels when given (alerts, checks), else those of every route matching `facts`."""
    if own is not None:
        return list(dict.fromkeys(own))
    found: list[str] = []
    for _, route in sorted(routes.items()):
        match = route.get("match") or {}
        if isinstance(match, Mapping) and matches_facts(match, facts):
            found += [c for c in route.get("channels") or [] if isinstance(c, str)]
    return list(dict.fromkeys(found))


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
