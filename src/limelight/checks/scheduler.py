"""The checks inside the server: each on its interval, a bounded number at a time.

Each tick re-reads the `resources` collection, so an apply takes effect
without a restart. A check is due once its interval has passed since its last
run (kept in its saved state, so a restart keeps the cadence and a new check
runs at once). Every run is written to dataset `checks`; its state is saved
before the alert it may raise or resolve is handed to the alerts' Dispatcher.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from limelight.alerts.catalog import RESOURCES, Catalog
from limelight.alerts.delivery import Delivery, Dispatcher
from limelight.checks.notify import CHECKS_DATASET, channel_ids, notification, notification_ref
from limelight.checks.probe import Probe, ProbeResult
from limelight.checks.runs import add_run
from limelight.checks.spec import MIN_INTERVAL_NS, CheckSpec, CheckSpecError, parse_check
from limelight.checks.state import CheckRecords, CheckState, Event, record, stop
from limelight.exceptions import LimelightError
from limelight.model import Batch
from limelight.store.api import MetaStore

log = logging.getLogger("limelight.checks")

NS_PER_MS = 1_000_000
CONCURRENT_PROBES = 20

Submit = Callable[[Sequence[Batch]], Awaitable[None]]


@dataclass(frozen=True)
class StoredCheck:
    """A `check` resource as stored: its spec, or why it does not parse."""

    service: str
    id: str
    spec: CheckSpec | None
    problem: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.service}/{self.id}"


def stored_checks(catalog: Catalog, min_interval_ns: int) -> dict[str, StoredCheck]:
    """Every check resource keyed `service/id`."""
    found = {}
    for (service, kind), resources in catalog.by_kind.items():
        if kind != "check":
            continue
        for check_id, properties in resources.items():
            try:
                found[f"{service}/{check_id}"] = StoredCheck(
                    service, check_id, parse_check(properties, min_interval_ns))
            except CheckSpecError as exc:
                found[f"{service}/{check_id}"] = StoredCheck(service, check_id, None, str(exc))
    return found


class CheckScheduler:
    def __init__(
        self,
        store: MetaStore,
        submit: Submit,
        dispatcher: Dispatcher,
        probe: Probe,
        *,
        console_url: str,
        min_interval_ns: int = MIN_INTERVAL_NS,
        concurrency: int = CONCURRENT_PROBES,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self.store = store
        self.submit = submit
        self.dispatcher = dispatcher
        self.probe = probe
        self.console_url = console_url
        self.min_interval_ns = min_interval_ns
        self.clock = clock
        self.records = CheckRecords(store)
        self.states: dict[str, CheckState] = {}
        self.catalog = Catalog()  # as of the last tick
        self.tick_s = min(1.0, min_interval_ns / 1e9 / 4)
        self._probes = asyncio.Semaphore(concurrency)
        self._running: dict[str, asyncio.Task[None]] = {}
        self._forgetting: set[asyncio.Task[None]] = set()
        self._loop: asyncio.Task[None] | None = None

    # -- lifecycle ---------------------------------------------------------
    async def start(self) -> None:
        """Call after the Dispatcher has started; stop before it stops."""
        self.states = await asyncio.to_thread(self.records.load)
        self._loop = asyncio.create_task(self._run_forever())

    async def stop(self) -> None:
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
        unfinished = [*self._running.values(), *self._forgetting]
        for task in unfinished:
            task.cancel()
        if unfinished:
            await asyncio.wait(unfinished, timeout=5)

    async def _run_forever(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:  # a bad tick must not end the checks
                log.exception("check tick failed")
            await asyncio.sleep(self.tick_s)

    # -- scheduling --------------------------------------------------------
    async def current(self) -> dict[str, StoredCheck]:
        """The stored checks now, parsed as the scheduler parses them."""
        docs = await asyncio.to_thread(self.store.meta_list, RESOURCES)
        return stored_checks(Catalog.from_docs(docs), self.min_interval_ns)

    async def tick(self) -> None:
        """Start every check that is due; settle disabled and removed ones."""
        catalog = Catalog.from_docs(await asyncio.to_thread(self.store.meta_list, RESOURCES))
        checks = stored_checks(catalog, self.min_interval_ns)
        now_ms = self.clock() // NS_PER_MS
        for ref, check in checks.items():
            if check.spec is None or ref in self._running:
                continue
            state = self.states.setdefault(ref, CheckState(ref))
            if not check.spec.enabled:
                if state.firing:
                    await self._settle(check, check.spec, state, catalog, now_ms)
                continue
            if now_ms >= state.last_run_ms + check.spec.interval_ns // NS_PER_MS:
                self._start(ref, self._run(check, check.spec, catalog))
        for ref in [r for r in self.states if r not in checks and r not in self._running]:
            await self._retire(ref, now_ms)
        self.catalog = catalog

    def _start(self, ref: str, work: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(work)
        self._running[ref] = task
        task.add_done_callback(lambda _: self._running.pop(ref, None))

    async def _run(self, check: StoredCheck, spec: CheckSpec, catalog: Catalog) -> None:
        async with self._probes:
            result = await self.probe(spec)
        await self._write(check, spec, result)
        state = self.states.setdefault(check.ref, CheckState(check.ref))
        event = record(state, result, spec.failures)
        await asyncio.to_thread(self.records.save, state)
        if event is not None:
            self._notify(check, spec, state, event, catalog, self.clock() // NS_PER_MS)

    async def _write(self, check: StoredCheck, spec: CheckSpec, result: ProbeResult) -> None:
        batch = Batch(CHECKS_DATASET)
        add_run(batch, check.service, check.id, spec, result)
        try:
            await self.submit([batch])
        except LimelightError as exc:  # a full queue loses the row, not the check's state
            log.warning("check %s: run not recorded: %s", check.ref, exc)

    async def _settle(self, check: StoredCheck, spec: CheckSpec, state: CheckState,
                      catalog: Catalog, now_ms: int) -> None:
        """A disabled check stops alerting: what fired resolves."""
        event = stop(state)
        await asyncio.to_thread(self.records.save, state)
        if event is not None:
            self._notify(check, spec, state, event, catalog, now_ms)

    async def _retire(self, ref: str, now_ms: int) -> None:
        """A check removed from the resources: resolve what it raised, then forget it.

        The resolve goes to the channels of the previous tick's resources: the
        apply that removed the check may have removed its channels too.
        """
        state = self.states.pop(ref)
        before = stored_checks(self.catalog, self.min_interval_ns).get(ref)
        if before is not None and before.spec is not None and stop(state) is not None:
            self._notify(before, before.spec, state, "resolved", self.catalog, now_ms)
        service, _, check_id = ref.partition("/")
        note_ref = notification_ref(service, check_id)
        forgetting = asyncio.create_task(self._forget(ref, note_ref,
                                                      self.dispatcher.pending(note_ref)))
        self._forgetting.add(forgetting)
        forgetting.add_done_callback(self._forgetting.discard)

    async def _forget(self, ref: str, note_ref: str,
                      deliveries: list[asyncio.Task[bool]]) -> None:
        if deliveries:
            await asyncio.wait(deliveries)
        if ref not in self.states:  # unless it came back meanwhile
            await asyncio.to_thread(self.records.forget, ref)
            await asyncio.to_thread(self.dispatcher.records.forget, note_ref)

    def _notify(self, check: StoredCheck, spec: CheckSpec, state: CheckState, event: Event,
                catalog: Catalog, now_ms: int) -> None:
        note = notification(check.service, check.id, spec, state, event, now_ms,
                            self.console_url)
        channels = catalog.of(check.service, "channel")
        for channel_id in channel_ids(spec, catalog.of(check.service, "route")):
            channel = channels.get(channel_id)
            if channel is None:
                log.warning("check %s: no channel %r in service %s", check.ref, channel_id,
                            check.service)
                continue
            self.dispatcher.submit(Delivery(channel_id, channel, note))
