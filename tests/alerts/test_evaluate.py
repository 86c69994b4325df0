"""Pure evaluation: every operator, percent changes, groups that come and go, no data."""

from __future__ import annotations

from typing import Any

import pytest

from limelight.alerts.evaluate import evaluate
from limelight.alerts.rules import AlertQuery, parse_threshold

COUNT = AlertQuery({}, "COUNT", "COUNT", None)
P99 = AlertQuery({}, "p99", "P99", "$duration_ms")


def response(*rows: tuple[dict[str, Any], Any], label: str = "COUNT") -> dict[str, Any]:
    return {"aggregates": [{"groups": g, "values": {label: v}} for g, v in rows],
            "series": [], "events": [], "statistics": {}}


def single(value: Any, label: str = "COUNT") -> dict[str, Any]:
    return response(({}, value), label=label)


@pytest.mark.parametrize(("threshold", "value", "breached"), [
    ("> 10", 11, True), ("> 10", 10, False),
    (">= 10", 10, True), (">= 10", 9.99, False),
    ("< 10", 9, True), ("< 10", 10, False),
    ("<= 10", 10, True), ("<= 10", 10.5, False),
    ("= 0", 0, True), ("= 0", 1, False),
    ("!= 0", 1, True), ("!= 0", 0, False),
    ("> -1", -0.5, True), ("< 0.5", 0.25, True),
], ids=lambda v: str(v))
def test_comparisons(threshold: str, value: float, breached: bool) -> None:
    [result] = evaluate(parse_threshold(threshold), COUNT, single(value))
    assert result.breached is breached
    assert result.value == value and result.key == "{}" and result.group == {}


@pytest.mark.parametrize(("threshold", "previous", "value", "change", "breached"), [
    ("INCREASES_BY_MORE_THAN 50%", 100, 151, 51.0, True),
    ("INCREASES_BY_MORE_THAN 50%", 100, 150, 50.0, False),
    ("INCREASES_BY_MORE_THAN 50%", 100, 20, -80.0, False),
    ("DECREASES_BY_MORE_THAN 50%", 100, 49, -51.0, True),
    ("DECREASES_BY_MORE_THAN 50%", 100, 50, -50.0, False),
    ("DECREASES_BY_MORE_THAN 50%", 100, 300, 200.0, False),
    ("DECREASES_BY_MORE_THAN 50%", -10, -20, -100.0, True),  # by magnitude of the baseline
    ("INCREASES_BY_MORE_THAN 0%", 0, 1, None, True),  # from nothing: an infinite rise
    ("INCREASES_BY_MORE_THAN 50%", 0, 0, 0.0, False),
    ("DECREASES_BY_MORE_THAN 10%", 0, 0, 0.0, False),  # nothing cannot fall
], ids=lambda v: str(v))
def test_percent_changes(threshold: str, previous: float, value: float, change: float | None,
                         breached: bool) -> None:
    [result] = evaluate(parse_threshold(threshold), COUNT, single(value), single(previous))
    assert result.breached is breached
    assert result.previous == previous
    assert result.change_pct == (None if change is None else pytest.approx(change))


def test_change_without_a_previous_response_or_without_data_never_breaches() -> None:
    rising = parse_threshold("INCREASES_BY_MORE_THAN 10%")
    [result] = evaluate(rising, COUNT, single(100), None)
    assert not result.breached and result.previous is None
    [result] = evaluate(rising, P99, single(300.0, "p99"), single(None, "p99"))
    assert not result.breached and result.change_pct is None


def test_each_group_is_judged_on_its_own() -> None:
    current = response(({"route": "/pay"}, 12), ({"route": "/cart"}, 3))
    results = evaluate(parse_threshold("> 10"), COUNT, current)
    assert [(r.group, r.value, r.breached) for r in results] == [
        ({"route": "/pay"}, 12, True), ({"route": "/cart"}, 3, False)]
    assert results[0].key == '{"route":"/pay"}'


def test_group_keys_do_not_depend_on_key_order() -> None:
    a = evaluate(parse_threshold("> 1"), COUNT, response(({"a": 1, "b": 2}, 5)))
    b = evaluate(parse_threshold("> 1"), COUNT, response(({"b": 2, "a": 1}, 5)))
    assert a[0].key == b[0].key


def test_missing_groups_are_evaluated_only_when_known() -> None:
    gone = {"route": "/pay"}
    # A counted group that disappeared had 0 events: below `> 10`, so it can resolve...
    [result] = evaluate(parse_threshold("> 10"), COUNT, response(), None, [gone])
    assert (result.group, result.value, result.breached) == (gone, 0, False)
    # ...and still breaches `< 1`.
    [result] = evaluate(parse_threshold("< 1"), COUNT, response(), None, [gone])
    assert result.breached
    # For a non-counting calculation it is no data, which never breaches.
    [result] = evaluate(parse_threshold("< 100"), P99, response(label="p99"), None, [gone])
    assert result.value is None and not result.breached
    # Unknown groups that are absent are not invented.
    assert evaluate(parse_threshold("< 1"), COUNT, response()) == []


def test_groups_only_in_the_previous_window_compare_against_the_empty_value() -> None:
    falling = parse_threshold("DECREASES_BY_MORE_THAN 90%")
    results = evaluate(falling, COUNT, response(), response(({"route": "/pay"}, 40)))
    assert [(r.group, r.value, r.previous, r.breached) for r in results] == [
        ({"route": "/pay"}, 0, 40, True)]
    rising = parse_threshold("INCREASES_BY_MORE_THAN 90%")
    [new] = evaluate(rising, COUNT, response(({"route": "/new"}, 5)), response())
    assert new.previous == 0 and new.breached


@pytest.mark.parametrize("value", [None, "n/a", True, float("nan")], ids=repr)
def test_no_data_never_breaches(value: Any) -> None:
    for threshold in ("> 0", "< 0", "= 0", "!= 0"):
        [result] = evaluate(parse_threshold(threshold), P99, single(value, "p99"))
        assert result.value is None and not result.breached


def test_no_events_for_an_ungrouped_count_is_zero() -> None:
    [result] = evaluate(parse_threshold("< 1"), COUNT, single(0))
    assert result.value == 0 and result.breached
    assert evaluate(parse_threshold("< 1"), COUNT, {"aggregates": []}) == []
