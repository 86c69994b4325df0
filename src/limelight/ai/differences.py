"""What is different: attribute values over-represented in a slice of events versus a baseline."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# Fields that differ on every event and say nothing about a cause.
_SKIPPED = frozenset({"$id", "$timestamp", "$trace_id", "$span_id", "$parent_span_id",
                      "$duration_ms", "$message", "$dataset", "$error", "$status"})
_MAX_VALUE_LENGTH = 200


@dataclass(frozen=True)
class Difference:
    key: str
    value: Any
    slice_share: float  # share of slice events with key = value
    baseline_share: float
    slice_count: int

    @property
    def lift(self) -> float:
        return self.slice_share - self.baseline_share

    def describe(self) -> str:
        return (f"{self.slice_share:.0%} of the affected events have {self.key} = {self.value}, "
                f"against {self.baseline_share:.0%} of the rest")


def _pairs(events: Iterable[dict[str, Any]]) -> tuple[Counter[tuple[str, Any]], int]:
    counts: Counter[tuple[str, Any]] = Counter()
    total = 0
    for event in events:
        total += 1
        for key, value in event.items():
            if key in _SKIPPED or (isinstance(value, float) and not value.is_integer()):
                continue
            if isinstance(value, str) and len(value) > _MAX_VALUE_LENGTH:
                continue
            counts[(key, value)] += 1
    return counts, total


def rank_differences(
    slice_events: list[dict[str, Any]],
    baseline_events: list[dict[str, Any]],
    limit: int = 10,
    min_share: float = 0.2,
) -> list[Difference]:
    """Every key/value ranked by how much more often it appears in the slice than elsewhere."""
    in_slice, slice_total = _pairs(slice_events)
    in_base, base_total = _pairs(baseline_events)
    if not slice_total:
        return []
    found = []
    for (key, value), count in in_slice.items():
        share = count / slice_total
        if share < min_share:
            continue
        base_share = in_base.get((key, value), 0) / base_total if base_total else 0.0
        found.append(Difference(key, value, share, base_share, count))
    found.sort(key=lambda d: (-d.lift, -d.slice_share, d.key))
    return [d for d in found if d.lift > 0.05][:limit]
