"""The ingest queue: many requests' batches committed together (group commit).

A request is acknowledged only after the transaction holding its rows has
committed, so a crash after a 2xx loses nothing. While one commit runs, the
next requests gather, so bigger, fewer transactions happen exactly when load
is high. When too many rows wait, new requests are refused with 429 instead
of growing memory without bound.

Decoding big requests is pure Python; in this process it would share the GIL
with the event loop and the writer, so the queue also runs worker processes
for it (`offload`), started when first needed.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from limelight.exceptions import BadRequest, Overloaded, RowsRejected, Unavailable
from limelight.ingest.policy import Policies
from limelight.model import TIMESTAMP_MAX_NS, TIMESTAMP_MIN_NS, Batch
from limelight.store.api import Writer

log = logging.getLogger("limelight.ingest")
R = TypeVar("R")

# Python's default (5 ms) makes the writer wait that long each time its DuckDB calls need
# the GIL back while request handling holds it; they need it many times per commit.
SWITCH_INTERVAL_S = 0.0005
# One decoder process per core, up to this many; none on a single core.
MAX_WORKERS = 4
ORPHAN_CHECK_S = 1.0  # how soon a decoder process notices the server is gone


@dataclass
class _Pending:
    batches: Sequence[Batch]
    rows: int
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[None]


class Derivation(Protocol):
    """Rows derived from each commit's rows (error tracking), committed in the same
    transaction, then reported once durable."""

    def derive(self, batches: Sequence[Batch]) -> list[Batch]: ...

    def committed(self, batches: Sequence[Batch]) -> None:
        """Every batch of the commit, derived ones included; runs on the writer thread,
        so it must only hand work over."""


class _Workers:
    """A pool of decoder processes, started on first use (an idle server stays small)."""

    def __init__(self, count: int) -> None:
        self.count = count
        self._pool: ProcessPoolExecutor | None = None
        self._warming: list[Future[None]] = []
        self._lock = threading.Lock()

    def ready(self, module: str) -> ProcessPoolExecutor | None:
        """The pool once its processes have imported `module`; the first call starts them."""
        if self.count < 1:
            return None
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    self.count, mp_context=multiprocessing.get_context("spawn"),
                    initializer=_worker_started, initargs=(os.getpid(),),
                )
                self._warming = [self._pool.submit(_load, module) for _ in range(self.count)]
            if not all(future.done() for future in self._warming):
                return None
            if any(future.exception() for future in self._warming):
                log.warning("decoder processes failed to start; decoding in-process",
                            exc_info=self._warming[0].exception())
                self.count = 0
                return None
            return self._pool

    def restart(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def stop(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _load(module: str) -> None:
    importlib.import_module(module)


def _worker_started(server_pid: int) -> None:
    # The server handles Ctrl-C and stops the pool itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(server_pid,), name="limelight-orphan-check",
                     daemon=True).start()


def _exit_with(server_pid: int) -> None:
    """End this decoder process once the server is gone (killed with -9, it cannot stop
    the pool): a process left behind holds 100 MB and the server's log open."""
    while os.getppid() == server_pid:
        time.sleep(ORPHAN_CHECK_S)
    os._exit(0)


class IngestQueue:
    def __init__(self, writer: Writer, max_rows: int, policies: Policies | None = None) -> None:
        self._writer = writer
        self.policies = policies or Policies(secret=b"")
        cores = os.cpu_count() or 1
        self._workers = _Workers(min(cores, MAX_WORKERS) if cores > 1 else 0)
        self._max_rows = max_rows
        self._pending: list[_Pending] = []
        self._pending_rows = 0
        self._in_flight_rows = 0
        self._condition = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="limelight-writer", daemon=True)
        self.committed_rows = 0
        self.commits = 0
        self.derivations: list[Derivation] = []

    def start(self) -> None:
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))
        self._thread.start()

    def stop(self) -> None:
        """Stop the decoder processes, commit what is queued, then end the writer thread."""
        self._workers.stop()
        with self._condition:
            self._stopping = True
            self._condition.notify()
        self._thread.join()

    async def offload(self, fn: Callable[..., R], *args: Any) -> R:
        """`fn(*args)` in a decoder process when they are up, else here. `fn` and its
        arguments must be picklable (module-level functions, plain data)."""
        pool = self._workers.ready(fn.__module__)
        if pool is not None:
            try:
                return await asyncio.get_running_loop().run_in_executor(
                    pool, functools.partial(fn, *args)
                )
            except BrokenProcessPool:
                log.warning("a decoder process died; starting new ones")
                self._workers.restart()
        return fn(*args)

    @property
    def waiting_rows(self) -> int:
        return self._pending_rows + self._in_flight_rows

    async def submit(self, batches: Sequence[Batch]) -> None:
        """Returns once every row is durable; raises Overloaded when the queue is full, and
        BadRequest for a row whose time no store keeps (nothing of the request is then)."""
        for batch in batches:
            _check_times(batch)
        batches = self.policies.apply(batches)
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
            errors = self._commit(taken)
            with self._condition:
                self._in_flight_rows = 0
            for item, error in zip(taken, errors, strict=True):
                item.loop.call_soon_threadsafe(_settle, item.future, error)

    def _commit(self, taken: list[_Pending]) -> list[BaseException | None]:
        """Commit the requests' rows together; when that fails and there were several, each
        on its own, so that one request's bad rows do not fail the others. The error each
        request gets, or None."""
        error = self._commit_rows([batch for item in taken for batch in item.batches])
        if error is None:
            self.committed_rows += sum(item.rows for item in taken)
            return [None] * len(taken)
        if len(taken) == 1:
            return [error]
        errors = []
        for item in taken:
            errors.append(self._commit_rows(list(item.batches)))
            if errors[-1] is None:
                self.committed_rows += item.rows
        return errors

    def _commit_rows(self, batches: list[Batch]) -> BaseException | None:
        batches += self._derive(batches)
        try:
            self._writer.append(batches)
        except Exception as exc:  # the waiting requests learn the commit failed
            return exc
        self.commits += 1
        self._report(batches)
        return None

    def _derive(self, batches: Sequence[Batch]) -> list[Batch]:
        derived: list[Batch] = []
        for derivation in self.derivations:
            try:
                derived += derivation.derive(batches)
            except Exception:  # derived rows are extra: their failure must not lose the data
                log.exception("deriving rows failed; committing without them")
        return derived

    def _report(self, batches: Sequence[Batch]) -> None:
        for derivation in self.derivations:
            try:
                derivation.committed(batches)
            except Exception:
                log.exception("reporting a commit failed")


def _check_times(batch: Batch) -> None:
    found = batch.timestamp_range()
    if found is None:
        return
    for stamp in found:
        if not TIMESTAMP_MIN_NS <= stamp <= TIMESTAMP_MAX_NS:
            raise BadRequest(
                f"dataset {batch.dataset}: an event time of {stamp} ns since 1970 is outside "
                "the times that can be stored (1677-09-21 to 2262-04-11); nothing was stored")


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():  # the client went away
        return
    if error is None:
        future.set_result(None)
    elif isinstance(error, RowsRejected):
        future.set_exception(error)
    else:
        future.set_exception(Unavailable(f"write failed: {error}"))
