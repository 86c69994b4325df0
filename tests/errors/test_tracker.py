"""ErrorTracker.derive: the same error told by a span and by its log is counted once, but
only once committed — a commit that failed is derived again in full."""

from __future__ import annotations

from limelight.errors.store import GroupStore
from limelight.errors.tracker import ErrorTracker
from limelight.model import Batch
from limelight.store.duckdb import DuckDBStore


def told(kind: str, dataset: str, trace: str = "a" * 32, span: str = "b" * 16) -> Batch:
    batch = Batch(dataset)
    batch.add(1_700_000_000_000_000_000, "shop", "shop", kind, name="exception",
              trace_id=trace, span_id=span, error=True,
              level="error" if kind == "log" else None, message="boom",
              attrs={"exception.type": "ValueError", "exception.message": "boom"})
    return batch


def test_a_span_and_its_log_telling_one_error_count_once() -> None:
    tracker = ErrorTracker(GroupStore(DuckDBStore(None)))
    from_span = tracker.derive([told("span_event", "otel")])
    assert [b.size for b in from_span] == [1]
    tracker.committed([told("span_event", "otel"), *from_span])
    assert tracker.derive([told("log", "logs")]) == []  # the same error, told again
    other_span = tracker.derive([told("log", "logs", span="c" * 16)])
    assert [b.size for b in other_span] == [1]  # another span: another occurrence


def test_a_commit_that_failed_is_derived_again_in_full() -> None:
    tracker = ErrorTracker(GroupStore(DuckDBStore(None)))
    first = tracker.derive([told("span_event", "otel")])
    assert [b.size for b in first] == [1]
    # The commit failed: `committed` was never called, and the retry finds the error new.
    again = tracker.derive([told("span_event", "otel")])
    assert [b.size for b in again] == [1]
