"""Error groups kept in the MetaStore.

Collection `error_groups` holds the small summaries that listing reads;
`error_details` holds each group's recent samples and affected-user sample,
read only when one group is opened. One lock orders changes from ingest and
from the API.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from limelight.errors.group import (
    NS_PER_MS,
    News,
    Occurrence,
    recent_samples,
    record,
    set_status,
)
from limelight.errors.users import add_users, count_users
from limelight.store.api import MetaStore

GROUPS = "error_groups"
DETAILS = "error_details"
SORTS = ("last_seen", "first_seen", "count", "users")


@dataclass(frozen=True)
class GroupFilter:
    status: str | None = None
    service: str | None = None
    text: str | None = None
    sort: str = "last_seen"
    limit: int = 50
    offset: int = 0


class GroupStore:
    def __init__(self, store: MetaStore) -> None:
        self.store = store
        self._lock = threading.Lock()

    def record(self, found: Sequence[Occurrence]) -> list[News]:
        """Fold occurrences into their groups: one read and one write per group."""
        by_group: dict[str, list[Occurrence]] = defaultdict(list)
        for occurrence in sorted(found, key=lambda o: o.timestamp_ns):
            by_group[occurrence.group_id].append(occurrence)
        news = []
        with self._lock:
            for group_id, own in by_group.items():
                details = self.store.meta_get(DETAILS, group_id) or {}
                users = add_users(details.get("users") or {},
                                  [o.user_id for o in own if o.user_id])
                group, told = record(self.store.meta_get(GROUPS, group_id), own,
                                     count_users(users))
                details = {"samples": recent_samples(details.get("samples") or [], own),
                           "users": users}
                self.store.meta_put(DETAILS, group_id, details)
                self.store.meta_put(GROUPS, group_id, group)
                if told is not None:
                    news.append(told)
        return news

    def get(self, group_id: str) -> dict[str, Any] | None:
        return self.store.meta_get(GROUPS, group_id)

    def samples(self, group_id: str) -> list[dict[str, Any]]:
        details = self.store.meta_get(DETAILS, group_id) or {}
        return list(reversed(details.get("samples") or []))  # newest first

    def set_status(self, group_id: str, status: str,
                   now_ms: int | None = None) -> dict[str, Any] | None:
        """The changed group, or None when there is no such group; ValueError for a bad
        status."""
        with self._lock:
            group = self.store.meta_get(GROUPS, group_id)
            if group is None:
                return None
            changed = set_status(group, status, now_ms or time.time_ns() // NS_PER_MS)
            self.store.meta_put(GROUPS, group_id, changed)
        return changed

    def search(self, wanted: GroupFilter) -> tuple[list[dict[str, Any]], int]:
        """A page of groups matching the filter, and how many match in all."""
        text = (wanted.text or "").lower()
        found = [
            group for group in self.store.meta_list(GROUPS).values()
            if (wanted.status is None or group.get("status") == wanted.status)
            and (wanted.service is None or wanted.service in group.get("services", []))
            and (not text or text in _searchable(group))
        ]
        key = f"{wanted.sort}_ms" if wanted.sort in ("last_seen", "first_seen") else wanted.sort
        found.sort(key=lambda group: (group.get(key) or 0, group.get("id", "")), reverse=True)
        return found[wanted.offset:wanted.offset + wanted.limit], len(found)


def _searchable(group: dict[str, Any]) -> str:
    return " ".join(str(group.get(k) or "") for k in ("title", "message", "culprit", "type",
                                                        "id")).lower()
