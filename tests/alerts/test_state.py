"""Instance states and what each evaluation notifies: transitions, reminders, snooze."""

from __future__ import annotations

import pytest

from limelight.alerts.evaluate import GroupResult
from limelight.alerts.state import (
    Instance,
    advance,
    close,
    dedup_key,
    due_notification,
    mark_notified,
)


def result(breached: bool, value: float = 1) -> GroupResult:
    return GroupResult("{}", {}, value, None, None, breached)


def run(steps: list[tuple[int, bool]], reminder_ms: int = 0,
        snoozed: range = range(0)) -> list[tuple[int, str, str | None]]:
    """(time, breached) evaluations -> (time, state, notification) after each."""
    instance = Instance("{}")
    seen = []
    for now, breached in steps:
        advance(instance, result(breached), now)
        event = due_notification(instance, now, reminder_ms, now in snoozed)
        if event:
            mark_notified(instance, event, now)
        seen.append((now, instance.state, event))
    return seen


def test_ok_firing_resolved_with_one_notification_per_transition() -> None:
    assert run([(0, False), (1, True), (2, True), (3, False), (4, False), (5, True)]) == [
        (0, "ok", None), (1, "firing", "firing"), (2, "firing", None),
        (3, "resolved", "resolved"), (4, "resolved", None), (5, "firing", "firing")]


def test_reminders_repeat_at_the_interval_while_firing() -> None:
    steps = [(t, True) for t in range(0, 70, 10)] + [(70, False)]
    events = [(t, e) for t, _, e in run(steps, reminder_ms=30) if e]
    assert events == [(0, "firing"), (30, "reminder"), (60, "reminder"), (70, "resolved")]


def test_no_reminder_when_the_interval_is_zero() -> None:
    events = [e for _, _, e in run([(t, True) for t in range(0, 100, 10)]) if e]
    assert events == ["firing"]


def test_snooze_holds_back_then_sends_what_is_still_true() -> None:
    # Fires while snoozed: announced when the snooze ends at 30.
    assert [(t, e) for t, _, e in run([(0, False), (10, True), (20, True), (30, True)],
                                      snoozed=range(30)) if e] == [(30, "firing")]
    # Fires and resolves within the snooze: nothing at all.
    assert [e for _, _, e in run([(10, True), (20, False), (30, False)],
                                 snoozed=range(25)) if e] == []
    # Announced before the snooze, resolved during it: the resolve goes out after.
    assert [(t, e) for t, _, e in run([(0, True), (10, False), (20, False)],
                                      snoozed=range(5, 15)) if e] == [(0, "firing"),
                                                                      (20, "resolved")]


def test_transitions_carry_before_and_after() -> None:
    instance = Instance('{"a":1}', {"a": 1})
    transition = advance(instance, result(True, 7), 5)
    assert transition is not None
    assert (transition.before, transition.after, transition.value, transition.time_ms) == (
        "ok", "firing", 7, 5)
    assert instance.since_ms == 5
    assert advance(instance, result(True, 8), 6) is None and instance.value == 8
    closed = close(instance, 9)
    assert closed is not None and closed.after == "resolved" and instance.state == "resolved"
    assert close(instance, 10) is None


def test_instances_survive_a_round_trip_through_their_document() -> None:
    instance = Instance('{"a":1}', {"a": 1}, "firing", 5, 3.5, 1.0, 250.0, 6, "firing", 5)
    assert Instance.from_doc(instance.to_doc() | {"future_field": 1}) == instance


@pytest.mark.parametrize(("ref", "key", "expected"), [
    ("shop/errors", "{}", "limelight/shop/errors"),
    ("shop/errors", '{"route":"/pay"}', "limelight/shop/errors/"),
])
def test_dedup_keys_are_stable_per_instance(ref: str, key: str, expected: str) -> None:
    assert dedup_key(ref, key).startswith(expected)
    assert dedup_key(ref, key) == dedup_key(ref, key)
    assert dedup_key(ref, '{"route":"/cart"}') != dedup_key(ref, '{"route":"/pay"}')
