"""An error group's document and how occurrences change it. Pure functions.

A group is `active`, `ignored` or `resolved`. A resolved group that gets an
occurrence newer than its resolution regresses: active again, with
`regressed_at_ms`. Ignored groups keep counting but never notify.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec

from limelight.errors.event import ERROR_KIND, ERRORS_DATASET
from limelight.model import AttrValue, Batch

VERSION = 1
STATUSES = ("active", "ignored", "resolved")
MAX_SAMPLES = 10  # recent occurrences kept with full stack and breadcrumbs
MAX_SERVICES = 50
NS_PER_MS = 1_000_000

_decode_json = msgspec.json.Decoder().decode


@dataclass(frozen=True)
class Occurrence:
    """One committed error row, as the group needs it."""

    group_id: str
    timestamp_ns: int
    service: str
    title: str
    type: str
    message: str
    culprit: str
    level: str
    source: str
    fingerprint: list[str]
    user_id: str | None
    sample: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class News:
    """A group worth telling people about."""

    kind: Literal["new", "regressed"]
    group: dict[str, Any]
    service: str  # where the occurrence that made the news came from


def occurrences(batch: Batch) -> list[Occurrence]:
    """The error rows of a batch of dataset `errors` (rows of other kinds are skipped)."""
    if batch.dataset != ERRORS_DATASET or "error.group_id" not in batch.attr_rows:
        return []
    system = batch.system
    rows: dict[int, dict[str, AttrValue]] = {}
    for key, indices in batch.attr_rows.items():
        for row, value in zip(indices, batch.attr_values[key], strict=True):
            rows.setdefault(row, {})[key] = value
    found = []
    for row, attrs in sorted(rows.items()):
        group_id = attrs.get("error.group_id")
        if system["$kind"][row] != ERROR_KIND or not isinstance(group_id, str):
            continue
        timestamp_ns = system["$timestamp"][row]
        sample = {
            "time_ms": timestamp_ns // NS_PER_MS,
            "service": system["$service"][row],
            "trace_id": system["$trace_id"][row],
            "span_id": system["$span_id"][row],
            "level": system["$level"][row],
            "message": str(attrs.get("error.message", "")),
            "stack": _json_list(attrs.get("error.stack")),
            "breadcrumbs": _json_list(attrs.get("error.breadcrumbs")),
            "attributes": {k: v for k, v in attrs.items()
                           if not k.startswith("error.") or k == "error.event_id"},
        }
        found.append(Occurrence(
            group_id=group_id,
            timestamp_ns=timestamp_ns,
            service=system["$service"][row],
            title=str(attrs.get("error.title", "")),
            type=str(attrs.get("error.type", "")),
            message=str(attrs.get("error.message", "")),
            culprit=str(attrs.get("error.culprit", "")),
            level=system["$level"][row] or "error",
            source=str(attrs.get("error.source", "")),
            fingerprint=[str(p) for p in _json_list(attrs.get("error.fingerprint"))],
            user_id=str(attrs["user.id"]) if "user.id" in attrs else None,
            sample=sample,
        ))
    return found


def _json_list(value: AttrValue | None) -> list[Any]:
    if not isinstance(value, str):
        return []
    try:
        decoded = _decode_json(value)
    except msgspec.DecodeError:
        return []
    return decoded if isinstance(decoded, list) else []


def new_group(first: Occurrence) -> dict[str, Any]:
    return {
        "version": VERSION, "id": first.group_id, "title": first.title, "type": first.type,
        "message": first.message, "culprit": first.culprit, "level": first.level,
        "fingerprint": first.fingerprint, "status": "active",
        "first_seen_ms": first.timestamp_ns // NS_PER_MS,
        "last_seen_ms": first.timestamp_ns // NS_PER_MS, "count": 0, "users": 0,
        "services": [], "sources": [], "regressed_at_ms": None, "resolved_at_ms": None,
    }


def record(group: dict[str, Any] | None, found: Sequence[Occurrence],
           users: int) -> tuple[dict[str, Any], News | None]:
    """The group after these occurrences (all of it, oldest first), and its news if any."""
    news_kind: Literal["new", "regressed"] | None = None
    news_service = found[0].service
    if group is None:
        group, news_kind = new_group(found[0]), "new"
    else:
        group = dict(group)
    for occurrence in found:
        time_ms = occurrence.timestamp_ns // NS_PER_MS
        resolved_at = group.get("resolved_at_ms")
        if group["status"] == "resolved" and (resolved_at is None or time_ms > resolved_at):
            group["status"] = "active"
            group["regressed_at_ms"] = time_ms
            if news_kind is None:
                news_kind, news_service = "regressed", occurrence.service
        group["count"] += 1
        group["first_seen_ms"] = min(group["first_seen_ms"], time_ms)
        if time_ms >= group["last_seen_ms"]:
            group["last_seen_ms"] = time_ms
            # The latest wording, so the title shows what happens now.
            group["title"], group["message"] = occurrence.title, occurrence.message
        group["services"] = _add_bounded(group["services"], occurrence.service, MAX_SERVICES)
        group["sources"] = _add_bounded(group["sources"], occurrence.source, MAX_SERVICES)
    group["users"] = users
    return group, None if news_kind is None else News(news_kind, group, news_service)


def set_status(group: dict[str, Any], status: str, now_ms: int) -> dict[str, Any]:
    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    changed = dict(group, status=status)
    changed["resolved_at_ms"] = now_ms if status == "resolved" else None
    return changed


def recent_samples(samples: list[dict[str, Any]], found: Sequence[Occurrence]) -> list[
        dict[str, Any]]:
    merged = [*samples, *(occurrence.sample for occurrence in found)]
    merged.sort(key=lambda sample: int(sample.get("time_ms") or 0))
    return merged[-MAX_SAMPLES:]


def _add_bounded(values: list[str], value: str, bound: int) -> list[str]:
    if not value or value in values or len(values) >= bound:
        return values
    return [*values, value]
