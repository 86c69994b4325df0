"""Error tracking riding on ingest: error rows derived in each commit, groups updated after.

The ingest queue's writer thread asks `derive` for the error rows hidden in
the rows it is about to commit (they go into the same transaction), and tells
`committed` what it stored. Group updates then happen on this tracker's own
thread, one batch per wake-up, so neither the event loop nor the writer waits
for them. News (new and regressed groups) goes to `on_news`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from limelight.errors.event import ERRORS_DATASET, add_error_row
from limelight.errors.extract import error_events
from limelight.errors.group import News, Occurrence, occurrences
from limelight.errors.store import GroupStore
from limelight.model import Batch

log = logging.getLogger("limelight.errors")


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
        for batch in batches:
            for event in error_events(batch):
                add_error_row(derived, event)
        return [derived] if derived.size else []

    def committed(self, batches: Sequence[Batch]) -> None:
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
