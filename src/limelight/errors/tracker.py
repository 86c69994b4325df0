"""Error tracking riding on ingest: error rows derived in each commit, groups updated after.

The ingest queue's writer thread asks `derive` for the error rows hidden in
the rows it is about to commit (they go into the same transaction), and tells
`committed` what it stored. Group updates then happen on this tracker's own
thread, one batch per wake-up, so neither the event loop nor the writer waits
for them. News (new and regressed groups) goes to `on_news`.

One error is often told twice: as a span's exception event and as the error log
written next to it, in the same span. Both have the span's ids and the same type
and message; the second to arrive is not counted again.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

from limelight.errors.event import ERRORS_DATASET, ErrorEvent, add_error_row
from limelight.errors.extract import error_events
from limelight.errors.group import News, Occurrence, occurrences
from limelight.errors.store import GroupStore
from limelight.model import Batch

log = logging.getLogger("limelight.errors")

RECENT_ERRORS = 50_000  # span errors remembered to recognise the same error told again
SpanError = tuple[str, str, str, str]  # trace id, span id, type, message


class ErrorTracker:
    def __init__(self, groups: GroupStore,
                 on_news: Callable[[list[News]], None] | None = None) -> None:
        self.groups = groups
        self.on_news = on_news
        self._waiting: list[Occurrence] = []
        self._busy = False
        self._stopping = False
        self._condition = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="limelight-errors", daemon=True)
        # Span errors of committed rows (only once committed: a commit that fails is
        # derived again, and must find its errors new); both run on the writer thread.
        self._recent: OrderedDict[SpanError, None] = OrderedDict()
        self._uncommitted: tuple[Batch, set[SpanError]] | None = None  # the last derived

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Apply what is waiting, then end the thread."""
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
        self._thread.join()

    def derive(self, batches: Sequence[Batch]) -> list[Batch]:
        derived = Batch(ERRORS_DATASET)
        told: set[SpanError] = set()
        for batch in batches:
            for event in error_events(batch):
                key = _span_error(event)
                if key is not None:
                    if key in self._recent or key in told:
                        continue
                    told.add(key)
                add_error_row(derived, event)
        if not derived.size:
            return []
        self._uncommitted = (derived, told)
        return [derived]

    def committed(self, batches: Sequence[Batch]) -> None:
        if self._uncommitted and any(b is self._uncommitted[0] for b in batches):
            for key in self._uncommitted[1]:
                self._recent[key] = None
                if len(self._recent) > RECENT_ERRORS:
                    self._recent.popitem(last=False)
            self._uncommitted = None
        found = [o for batch in batches for o in occurrences(batch)]
        if found:
            with self._condition:
                self._waiting += found
                self._condition.notify_all()

    def idle(self, timeout_s: float = 10.0) -> bool:
        """Wait until every reported occurrence is in its group (for tests and shutdown)."""
        with self._condition:
            return self._condition.wait_for(lambda: not self._waiting and not self._busy,
                                            timeout_s)

    def _run(self) -> None:
        while True:
            with self._condition:
                self._condition.wait_for(lambda: self._waiting or self._stopping)
                if not self._waiting:
                    return
                taken, self._waiting = self._waiting, []
                self._busy = True
            try:
                news = self.groups.record(taken)
                if news and self.on_news is not None:
                    self.on_news(news)
            except Exception:  # a bad batch must not stop tracking the next ones
                log.exception("updating error groups failed")
            with self._condition:
                self._busy = False
                self._condition.notify_all()


def _span_error(event: ErrorEvent) -> SpanError | None:
    if not event.trace_id or not event.span_id:
        return None
    return event.trace_id, event.span_id, event.type, event.message
