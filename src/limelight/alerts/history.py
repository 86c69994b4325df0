"""What alerts keep in the meta store: each alert's state, recent transitions and deliveries.

Collections, each with one document per alert (id `service/alert-id`):
- `alert_state`: `{"version": 1, "instances": {key: Instance}, "last_eval_ms", "last_error",
  "snooze_until_ms", "last_notification"}`;
- `alert_transitions` and `alert_deliveries`: `{"version": 1, "entries": [...]}`, oldest
  first, the last KEEP entries.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from limelight.alerts.rules import AlertRule
from limelight.alerts.state import Instance
from limelight.store.api import MetaStore

STATE = "alert_state"
TRANSITIONS = "alert_transitions"
DELIVERIES = "alert_deliveries"
KEEP = 500
VERSION = 1


@dataclass
class AlertState:
    ref: str
    instances: dict[str, Instance] = field(default_factory=dict)
    last_eval_ms: int = 0
    last_error: str | None = None
    snooze_until_ms: int | None = None  # set through the API, apart from the resource
    last_notification: dict[str, Any] | None = None

    def snoozed_until_ms(self, rule: AlertRule) -> int:
        """The later of the alert's own `snooze_until` and one set through the API (0: none)."""
        return max((rule.snooze_until_ns or 0) // 1_000_000, self.snooze_until_ms or 0)

    def to_doc(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "instances": {k: i.to_doc() for k, i in self.instances.items()},
            "last_eval_ms": self.last_eval_ms,
            "last_error": self.last_error,
            "snooze_until_ms": self.snooze_until_ms,
            "last_notification": self.last_notification,
        }

    @classmethod
    def from_doc(cls, ref: str, doc: dict[str, Any]) -> AlertState:
        return cls(
            ref,
            {k: Instance.from_doc(i) for k, i in (doc.get("instances") or {}).items()},
            int(doc.get("last_eval_ms") or 0),
            doc.get("last_error"),
            doc.get("snooze_until_ms"),
            doc.get("last_notification"),
        )


class AlertRecords:
    """Thread-safe access to the three collections; recent entries are cached per alert."""

    def __init__(self, store: MetaStore, keep: int = KEEP) -> None:
        self.store = store
        self.keep = keep
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], list[dict[str, Any]]] = {}

    def load_states(self) -> dict[str, AlertState]:
        with self._lock:
            docs = self.store.meta_list(STATE)
        return {ref: AlertState.from_doc(ref, doc) for ref, doc in docs.items()}

    def save_state(self, state: AlertState) -> None:
        doc = state.to_doc()
        with self._lock:
            self.store.meta_put(STATE, state.ref, doc)

    def forget(self, ref: str) -> None:
        """An alert that no longer exists: its state and records go."""
        with self._lock:
            for collection in (STATE, TRANSITIONS, DELIVERIES):
                self.store.meta_delete(collection, ref)
                self._entries.pop((collection, ref), None)

    def add_transition(self, ref: str, entry: dict[str, Any]) -> None:
        self._append(TRANSITIONS, ref, entry)

    def add_delivery(self, ref: str, entry: dict[str, Any]) -> None:
        self._append(DELIVERIES, ref, entry)

    def history(self, ref: str, limit: int = 50, offset: int = 0,
                kind: str | None = None) -> tuple[list[dict[str, Any]], int]:
        """Transitions and deliveries, newest first: (page, total)."""
        with self._lock:
            merged = []
            if kind in (None, "transition"):
                merged += [{"kind": "transition", **e} for e in self._cached(TRANSITIONS, ref)]
            if kind in (None, "delivery"):
                merged += [{"kind": "delivery", **e} for e in self._cached(DELIVERIES, ref)]
        merged.sort(key=lambda e: (e.get("time_ms", 0), e["kind"] == "delivery"), reverse=True)
        return merged[offset : offset + limit], len(merged)

    def _append(self, collection: str, ref: str, entry: dict[str, Any]) -> None:
        with self._lock:
            entries = self._cached(collection, ref)
            entries.append(entry)
            del entries[: max(0, len(entries) - self.keep)]
            self.store.meta_put(collection, ref, {"version": VERSION, "entries": entries})

    def _cached(self, collection: str, ref: str) -> list[dict[str, Any]]:
        """Call with the lock held."""
        key = (collection, ref)
        if key not in self._entries:
            doc = self.store.meta_get(collection, ref) or {}
            self._entries[key] = list(doc.get("entries") or [])
        return self._entries[key]
