"""The ingest queue: many requests' batches committed together (group commit).

A request is acknowledged only after the transaction holding its rows has
committed, so a crash after a 2xx loses nothing. While one commit runs, the
next requests gather, so bigger, fewer transactions happen exactly when load
is high. When too many rows wait, new requests are refused with 429 instead
of growing memory without bound.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from limelight.exceptions import Overloaded, Unavailable
from limelight.model import Batch
from limelight.store.api import Writer


@dataclass
class _Pending:
    batches: Sequence[Batch]
    rows: int
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[None]


class IngestQueue:
    def __init__(self, writer: Writer, max_rows: int) -> None:
        self._writer = writer
        self._max_rows = max_rows
        self._pending: list[_Pending] = []
        self._pending_rows = 0
        self._in_flight_rows = 0
        self._condition = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="limelight-writer", daemon=True)
        self.committed_rows = 0
        self.commits = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Commit what is queued, then end the writer thread."""
        with self._condition:
            self._stopping = True
            self._condition.notify()
        self._thread.join()

    @property
    def waiting_rows(self) -> int:
        return self._pending_rows + self._in_flight_rows

    async def submit(self, batches: Sequence[Batch]) -> None:
        """Returns once every row is durable; raises Overloaded when the queue is full."""
        rows = sum(batch.size for batch in batches)
        if rows == 0:
            return
        loop = asyncio.get_running_loop()
        pending = _Pending(batches, rows, loop, loop.create_future())
        with self._condition:
            if self._stopping:
                raise Unavailable("server is shutting down")
            if self.waiting_rows and self.waiting_rows + rows > self._max_rows:
                raise Overloaded(f"{self.waiting_rows} rows are waiting to be written; retry")
            self._pending.append(pending)
            self._pending_rows += rows
            self._condition.notify()
        await pending.future

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._pending and not self._stopping:
                    self._condition.wait()
                if not self._pending and self._stopping:
                    return
                taken, self._pending = self._pending, []
                self._in_flight_rows = self._pending_rows
                self._pending_rows = 0
            error: BaseException | None = None
            try:
                self._writer.append([batch for item in taken for batch in item.batches])
                self.committed_rows += self._in_flight_rows
                self.commits += 1
            except Exception as exc:  # every waiting request learns the commit failed
                error = exc
            with self._condition:
                self._in_flight_rows = 0
            for item in taken:
                item.loop.call_soon_threadsafe(_settle, item.future, error)


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():  # the client went away
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(Unavailable(f"write failed: {error}"))
