"""What each check remembers between runs and restarts, and how one run changes it.

Meta collection `check_state`, one document per check (id `service/check-id`):
`{"version": 1, "failures": consecutive failures, "firing": bool, "since_ms": when
the current streak began, "last": the last run, "recent": the last RECENT runs}`.
The state is saved before any notification is sent, so a restart neither
forgets a firing check nor announces it twice.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Literal

from limelight.checks.probe import ProbeResult
from limelight.store.api import MetaStore

COLLECTION = "check_state"
VERSION = 1
RECENT = 20

Event = Literal["firing", "resolved"]


@dataclass
class CheckState:
    ref: str
    failures: int = 0  # consecutive, up to now
    firing: bool = False
    since_ms: int = 0  # when the current run of successes or failures began
    recent: list[dict[str, Any]] = field(default_factory=list)  # oldest first

    @property
    def last(self) -> dict[str, Any] | None:
        return self.recent[-1] if self.recent else None

    @property
    def last_run_ms(self) -> int:
        return int(self.recent[-1]["time_ms"]) if self.recent else 0

    def to_doc(self) -> dict[str, Any]:
        return {"version": VERSION, "failures": self.failures, "firing": self.firing,
                "since_ms": self.since_ms, "recent": self.recent}

    @classmethod
    def from_doc(cls, ref: str, doc: dict[str, Any]) -> CheckState:
        return cls(ref, int(doc.get("failures") or 0), bool(doc.get("firing")),
                   int(doc.get("since_ms") or 0), list(doc.get("recent") or []))


def run_entry(result: ProbeResult) -> dict[str, Any]:
    return {"time_ms": result.time_ms, "ok": result.ok, "status": result.status,
            "latency_ms": result.latency_ms, "error": result.error, "tls_days": result.tls_days}


def record(state: CheckState, result: ProbeResult, failures_to_fire: int) -> Event | None:
    """Add a run; fires on the Nth failure in a row, resolves on the first success after."""
    streak_changed = state.last is None or state.last["ok"] != result.ok
    state.recent = [*state.recent, run_entry(result)][-RECENT:]
    if streak_changed:
        state.since_ms = result.time_ms
    if result.ok:
        state.failures = 0
        if state.firing:
            state.firing = False
            return "resolved"
        return None
    state.failures += 1
    if not state.firing and state.failures >= failures_to_fire:
        state.firing = True
        return "firing"
    return None


def stop(state: CheckState) -> Event | None:
    """The check is disabled or removed: a firing check resolves, its streak is forgotten."""
    was_firing = state.firing
    state.firing = False
    state.failures = 0
    return "resolved" if was_firing else None


class CheckRecords:
    """Thread-safe access to the `check_state` collection."""

    def __init__(self, store: MetaStore) -> None:
        self.store = store
        self._lock = threading.Lock()

    def load(self) -> dict[str, CheckState]:
        with self._lock:
            docs = self.store.meta_list(COLLECTION)
        return {ref: CheckState.from_doc(ref, doc) for ref, doc in docs.items()}

    def save(self, state: CheckState) -> None:
        doc = state.to_doc()
        with self._lock:
            self.store.meta_put(COLLECTION, state.ref, doc)

    def forget(self, ref: str) -> None:
        with self._lock:
            self.store.meta_delete(COLLECTION, ref)
