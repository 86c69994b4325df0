"""Following new events: what `limelight tail -f` and the console's live tail ask for.

New means arrived after the last event seen: `$id` grows with arrival within a
dataset, so each poll asks each dataset for `$id` above the last one shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# How far back a poll looks: far enough for late arrivals, bounded so a poll stays cheap.
LOOKBACK = "7d"


def tail_spec(dataset: str, filters: Sequence[Any], needle: str | None, after_id: int,
              limit: int) -> dict[str, Any]:
    """The events query for `dataset`'s events after `after_id` (newest first, `limit`)."""
    spec: dict[str, Any] = {"datasets": [dataset], "from": LOOKBACK, "limit": limit,
                            "filters": [*filters, f"$id > {after_id}"]}
    if needle:
        spec["needle"] = needle
    return spec


def in_arrival_order(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events of several polls, oldest first (the order a tail prints them)."""
    return sorted(events, key=lambda e: (e["$timestamp"], e["$id"]))
