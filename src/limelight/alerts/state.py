"""Alert instance states (ok → firing → resolved) and what each evaluation should notify. Pure.

Notifications follow the difference between an instance's `state` and what
was last `notified`: firing that was not announced is announced (also when a
snooze ends), a resolve is sent only for an instance whose firing was
announced, and a reminder repeats while firing.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from limelight.alerts.evaluate import GroupResult

State = Literal["ok", "firing", "resolved"]
Event = Literal["firing", "resolved", "reminder"]


@dataclass
class Instance:
    """One group of one alert."""

    key: str
    group: dict[str, Any] = field(default_factory=dict)
    state: State = "ok"
    since_ms: int = 0  # when the current state began
    value: float | None = None
    previous: float | None = None
    change_pct: float | None = None
    last_eval_ms: int = 0
    notified: State | None = None  # the last state sent to channels
    last_notified_ms: int = 0

    def to_doc(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Instance:
        known = {k: v for k, v in doc.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass(frozen=True)
class Transition:
    key: str
    group: dict[str, Any]
    before: State
    after: State
    value: float | None
    previous: float | None
    time_ms: int


def advance(instance: Instance, result: GroupResult, now_ms: int) -> Transition | None:
    """Apply one evaluation's result; the state change, if any."""
    before = instance.state
    instance.value, instance.previous = result.value, result.previous
    instance.change_pct = result.change_pct
    instance.last_eval_ms = now_ms
    if result.breached and before != "firing":
        instance.state = "firing"
    elif not result.breached and before == "firing":
        instance.state = "resolved"
    else:
        return None
    instance.since_ms = now_ms
    return Transition(instance.key, instance.group, before, instance.state, result.value,
                      result.previous, now_ms)


def due_notification(instance: Instance, now_ms: int, reminder_ms: int,
                     snoozed: bool) -> Event | None:
    """What to send for this instance now, if anything."""
    if snoozed:
        return None
    if instance.state == "firing":
        if instance.notified != "firing":
            return "firing"
        if reminder_ms > 0 and now_ms - instance.last_notified_ms >= reminder_ms:
            return "reminder"
        return None
    if instance.notified == "firing":
        return "resolved"
    return None


def mark_notified(instance: Instance, event: Event, now_ms: int) -> None:
    instance.notified = "resolved" if event == "resolved" else "firing"
    instance.last_notified_ms = now_ms


def close(instance: Instance, now_ms: int) -> Transition | None:
    """The alert stopped being evaluated (disabled or removed): a firing instance resolves."""
    if instance.state != "firing":
        return None
    instance.state, instance.since_ms = "resolved", now_ms
    return Transition(instance.key, instance.group, "firing", "resolved", instance.value,
                      instance.previous, now_ms)


def dedup_key(ref: str, key: str) -> str:
    """A stable id for one alert instance (`service/id` plus its group), for PagerDuty & co."""
    if key in ("", "{}"):
        return f"limelight/{ref}"
    return f"limelight/{ref}/{hashlib.sha256(key.encode()).hexdigest()[:16]}"
