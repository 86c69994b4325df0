"""Pure evaluation: a query response (and the previous window's) against a threshold, per group.

A group missing from a response had no matching events in that window: its
value is the calculation's empty value (0 for COUNT and COUNT_DISTINCT, no data
for the rest). Groups that appear in neither window are only evaluated when
they are `known` (typically the instances currently firing), so they can
resolve. No data never breaches.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from limelight.alerts.rules import AlertQuery, Threshold

_encode = msgspec.json.Encoder(order="sorted").encode
GroupValue = tuple[dict[str, Any], float | None]


@dataclass(frozen=True)
class GroupResult:
    key: str  # stable identity of the group (its values as sorted JSON)
    group: dict[str, Any]
    value: float | None  # the current window's value; None: no data
    previous: float | None  # the previous window's value, for change thresholds
    change_pct: float | None  # (value - previous) / previous * 100, when defined
    breached: bool


def group_key(group: Mapping[str, Any]) -> str:
    return _encode(dict(group)).decode()


def values_by_group(response: Mapping[str, Any] | None, label: str) -> dict[str, GroupValue]:
    """The compared calculation's value for each group of a response's `aggregates`."""
    found: dict[str, GroupValue] = {}
    for row in (response or {}).get("aggregates") or []:
        group = dict(row.get("groups") or {})
        found[group_key(group)] = (group, _number((row.get("values") or {}).get(label)))
    return found


def evaluate(
    threshold: Threshold,
    query: AlertQuery,
    current: Mapping[str, Any],
    previous: Mapping[str, Any] | None = None,
    known: Iterable[Mapping[str, Any]] = (),
) -> list[GroupResult]:
    """Each group's values and whether it breaches, in the order the groups were first seen."""
    now = values_by_group(current, query.label)
    before = values_by_group(previous, query.label) if threshold.is_change else {}
    groups: dict[str, dict[str, Any]] = {key: group for key, (group, _) in now.items()}
    for key, (group, _) in before.items():
        groups.setdefault(key, group)
    for known_group in known:
        groups.setdefault(group_key(known_group), dict(known_group))
    results = []
    for key, group in groups.items():
        value = now[key][1] if key in now else query.empty_value
        prior = before[key][1] if key in before else (
            query.empty_value if previous is not None and threshold.is_change else None
        )
        change, breached = compare(threshold, value, prior)
        results.append(GroupResult(key, group, value, prior, change, breached))
    return results


def compare(threshold: Threshold, value: float | None,
            previous: float | None) -> tuple[float | None, bool]:
    """(percent change when defined, breached)."""
    if value is None:
        return None, False
    if not threshold.is_change:
        return None, _compare(threshold.operator, value, threshold.value)
    if previous is None:
        return None, False  # no baseline to compare with
    if previous == 0:
        # From nothing, any rise is larger than every percentage; nothing cannot fall.
        rising = threshold.operator == "INCREASES_BY_MORE_THAN"
        return (0.0 if value == 0 else None), rising and value > 0
    change = (value - previous) / abs(previous) * 100
    if threshold.operator == "INCREASES_BY_MORE_THAN":
        return change, change > threshold.value
    return change, -change > threshold.value


def _compare(operator: str, value: float, limit: float) -> bool:
    if operator == "=":
        return value == limit
    if operator == "!=":
        return value != limit
    if operator == ">":
        return value > limit
    if operator == ">=":
        return value >= limit
    if operator == "<":
        return value < limit
    return value <= limit


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return None if isinstance(value, float) and math.isnan(value) else value
