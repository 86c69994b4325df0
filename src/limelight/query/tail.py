"""Following new events: what `limelight tail -f` and the console's live tail ask for.

New means arrived after the last event seen: `$id` grows with arrival within a
dataset, so each poll asks each dataset for `$id` above the last one shown, in
arrival order, page after page until a page is not full: a burst of more than a
page between two polls is shown whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from limelight.query.run import QueryFn

# How far back a poll looks: far enough for late arrivals, bounded so a poll stays cheap.
LOOKBACK = "7d"


def tail_spec(dataset: str, filters: Sequence[Any], needle: str | None, after_id: int,
              limit: int, newest: bool = False) -> dict[str, Any]:
    """The events query for `dataset`'s first `limit` events after `after_id` in arrival
    order (with `newest`, its last `limit`, newest first)."""
    spec: dict[str, Any] = {"datasets": [dataset], "from": LOOKBACK, "limit": limit,
                            "filters": [*filters, f"$id > {after_id}"],
                            "orderBy": {"value": "$id", "order": "DESC" if newest else "ASC"}}
    if needle:
        spec["needle"] = needle
    return spec


def arrived(run: QueryFn, dataset: str, filters: Sequence[Any], needle: str | None,
            after_id: int, page: int, most: int) -> list[dict[str, Any]]:
    """`dataset`'s events after `after_id` in arrival order, page after page (at most
    `most`; the rest on the next call)."""
    found: list[dict[str, Any]] = []
    while len(found) < most:
        events = run(tail_spec(dataset, filters, needle, after_id, page))["events"]
        found += events
        if len(events) < page:
            break
        after_id = events[-1]["$id"]
    return found


def in_arrival_order(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events of several polls, oldest first (the order a tail prints them)."""
    return sorted(events, key=lambda e: (e["$timestamp"], e["$id"]))
