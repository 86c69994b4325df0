"""The alert engine inside the server: every alert on its frequency, through the QueryFn only.

Each tick re-reads the `resources` collection, so an apply takes effect
without a restart. An alert is evaluated at the multiples of its frequency
(the same instants a backtest uses); each evaluation advances its instances'
states, saves them (`alert_state`) before notifying, and hands notifications to
the Dispatcher, so a restart neither forgets a firing alert nor repeats it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from limelight.alerts.catalog import RESOURCES, Catalog, RuleCache, split_ref
from limelight.alerts.channels import KINDS, Notification
from limelight.alerts.delivery import Delivery, Dispatcher
from limelight.alerts.evaluate import evaluate
from limelight.alerts.history import AlertRecords, AlertState
from limelight.alerts.notify import NS_PER_MS, note_for, window_spec
from limelight.alerts.routes import channel_ids
from limelight.alerts.rules import MIN_FREQUENCY_NS, AlertQuery, AlertRule, RuleError, alert_query
from limelight.alerts.state import (
    Instance,
    Transition,
    advance,
    close,
    due_notification,
    mark_notified,
)
from limelight.query.run import QueryFn
from limelight.store.api import MetaStore

log = logging.getLogger("limelight.alerts")

# Alerts due together query a couple at a time, leaving room for everything else.
CONCURRENT_QUERIES = 2


class AlertManager:
    def __init__(
        self,
        store: MetaStore,
        query_fn: QueryFn,
        *,
        public_url: str,
        min_frequency_ns: int = MIN_FREQUENCY_NS,
        dispatcher: Dispatcher | None = None,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self.store = store
        self.query_fn = query_fn
        self.public_url = public_url
        self.records = AlertRecords(store)
        self.dispatcher = dispatcher or Dispatcher(self.records)
        self.rules = RuleCache(min_frequency_ns)
        self.clock = clock
        self.tick_s = min(1.0, min_frequency_ns / 1e9 / 4)
        self.states: dict[str, AlertState] = {}
        self.catalog = Catalog()
        self._evaluating: dict[str, asyncio.Task[None]] = {}
        self._refreshed: dict[tuple[str, str, str], int] = {}
        self._loop: asyncio.Task[None] | None = None
        self._queries = asyncio.Semaphore(CONCURRENT_QUERIES)
        self._forgetting: set[asyncio.Task[None]] = set()

    # -- lifecycle ---------------------------------------------------------
    async def start(self) -> None:
        self.states = await asyncio.to_thread(self.records.load_states)
        await self.dispatcher.start()
        self._loop = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
        unfinished = [*self._evaluating.values(), *self._forgetting]
        for task in unfinished:
            task.cancel()
        if unfinished:
            await asyncio.wait(unfinished, timeout=5)
        await self.dispatcher.stop()

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:  # a bad tick must not end alerting
                log.exception("alert tick failed")
            await asyncio.sleep(self.tick_s)

    # -- evaluation --------------------------------------------------------
    async def tick(self) -> None:
        """Start the evaluation of every alert that is due; retire alerts that are gone."""
        docs = await asyncio.to_thread(self.store.meta_list, RESOURCES)
        catalog = Catalog.from_docs(docs)
        now_ms = self.clock() // NS_PER_MS
        alerts = catalog.alerts()
        for ref, properties in alerts.items():
            if ref in self._evaluating:
                continue
            state = self.states.setdefault(ref, AlertState(ref))
            rule = self.rules.get(ref, properties)
            if isinstance(rule, RuleError):
                if state.last_error != str(rule):
                    state.last_error = str(rule)
                    await asyncio.to_thread(self.records.save_state, state)
                continue
            if not rule.enabled:
                if state.instances:
                    await self._close_all(ref, rule, catalog, now_ms, "alert disabled",
                                          keep_state=True)
                continue
            frequency_ms = max(1, rule.frequency_ns // NS_PER_MS)
            slot = now_ms // frequency_ms * frequency_ms
            if slot > state.last_eval_ms:
                self._start(ref, self._evaluate(ref, rule, catalog, slot))
        for ref in [r for r in self.states if r not in alerts and r not in self._evaluating]:
            await self._retire(ref)
        self.catalog = catalog

    def _start(self, ref: str, work: Coroutine[Any, Any, None]) -> None:
        task: asyncio.Task[None] = asyncio.create_task(work)
        self._evaluating[ref] = task
        task.add_done_callback(lambda _: self._evaluating.pop(ref, None))

    async def _evaluate(self, ref: str, rule: AlertRule, catalog: Catalog, slot: int) -> None:
        state = self.states[ref]
        service, _ = split_ref(ref)
        window_ms = rule.window_ns // NS_PER_MS
        try:
            query = alert_query(rule, catalog.of(service, "query"))
            async with self._queries:
                current = await asyncio.to_thread(
                    self.query_fn, window_spec(query.spec, slot - window_ms, slot))
                previous = None
                if rule.threshold.is_change:
                    previous = await asyncio.to_thread(self.query_fn, window_spec(
                        query.spec, slot - 2 * window_ms, slot - window_ms))
        except Exception as exc:  # a failing query is shown on the alert, not fatal
            state.last_error = str(exc) or type(exc).__name__
            state.last_eval_ms = slot
            await asyncio.to_thread(self.records.save_state, state)
            return
        state.last_error = None
        firing = [i.group for i in state.instances.values() if i.state == "firing"]
        transitions: list[Transition] = []
        seen = set()
        for result in evaluate(rule.threshold, query, current, previous, firing):
            seen.add(result.key)
            instance = state.instances.get(result.key)
            if instance is None:
                instance = state.instances[result.key] = Instance(result.key, result.group,
                                                                  since_ms=slot)
            transition = advance(instance, result, slot)
            if transition is not None:
                transitions.append(transition)
        for key in [k for k, i in state.instances.items() if k not in seen
                    and i.state != "firing" and i.notified != "firing"]:
            del state.instances[key]  # a quiet group that no longer appears
        state.last_eval_ms = slot
        await self._notify(ref, rule, query, state, catalog, transitions, slot)

    async def _notify(self, ref: str, rule: AlertRule, query: AlertQuery, state: AlertState,
                      catalog: Catalog, transitions: list[Transition], now_ms: int,
                      reason: str = "") -> None:
        """Save the new state, record transitions, then send what is due. Closing (a
        `reason`) resolves what was announced even while snoozed: nothing would later."""
        snoozed = not reason and now_ms < state.snoozed_until_ms(rule)
        notes = []
        for instance in state.instances.values():
            event = due_notification(instance, now_ms, rule.reminder_ns // NS_PER_MS, snoozed)
            if event is not None:
                mark_notified(instance, event, now_ms)
                notes.append(note_for(ref, rule, query, instance, event, now_ms,
                                      self.public_url, reason if event == "resolved" else ""))
        service, _ = split_ref(ref)
        targets = channel_ids(rule, catalog.of(service, "route"))
        if notes:
            state.last_notification = {
                "time_ms": now_ms, "event": notes[-1].event, "group": notes[-1].group,
                "channels": targets, "count": len(notes)}
        await asyncio.to_thread(self._save, state, ref, transitions)
        channels = catalog.of(service, "channel")
        for note in notes:
            for channel_id in targets:
                await self._send(channel_id, channels.get(channel_id), note, record=True)
        await self._refresh(ref, rule, query, state, targets, channels, now_ms, snoozed)

    async def _send(self, channel_id: str, channel: dict[str, Any] | None, note: Notification,
                    record: bool) -> None:
        if channel is None:
            entry = {"time_ms": self.clock() // NS_PER_MS, "channel": channel_id,
                     "event": note.event, "instance": note.instance, "group": note.group,
                     "attempt": 0, "ok": False, "final": True, "status": None,
                     "detail": f"no channel {channel_id!r} in service {note.service}"}
            await asyncio.to_thread(self.records.add_delivery, note.ref, entry)
            return
        self._refreshed[(note.ref, note.instance, channel_id)] = note.time_ms
        self.dispatcher.submit(Delivery(channel_id, channel, note, record_success=record))

    async def _refresh(self, ref: str, rule: AlertRule, query: AlertQuery, state: AlertState,
                       targets: list[str], channels: dict[str, dict[str, Any]], now_ms: int,
                       snoozed: bool) -> None:
        """Channels that forget a firing alert unless told again (Alertmanager) hear it again."""
        for channel_id in targets:
            channel = channels.get(channel_id) or {}
            kind = KINDS.get(str(channel.get("kind")))
            if kind is None or not kind.refresh_ms or snoozed:
                continue
            for instance in state.instances.values():
                if instance.state != "firing" or instance.notified != "firing":
                    continue
                last = self._refreshed.get((ref, instance.key, channel_id), 0)
                if now_ms - last >= kind.refresh_ms:
                    note = note_for(ref, rule, query, instance, "firing", now_ms,
                                    self.public_url)
                    await self._send(channel_id, channel, note, record=False)

    def _save(self, state: AlertState, ref: str, transitions: list[Transition]) -> None:
        self.records.save_state(state)
        for t in transitions:
            self.records.add_transition(ref, {
                "time_ms": t.time_ms, "instance": t.key, "group": t.group, "from": t.before,
                "to": t.after, "value": t.value, "previous": t.previous})

    async def _close_all(self, ref: str, rule: AlertRule, catalog: Catalog, now_ms: int,
                         reason: str, keep_state: bool) -> None:
        """The alert stops (disabled or removed): announce resolves, drop the instances."""
        state = self.states[ref]
        transitions = [t for i in state.instances.values() if (t := close(i, now_ms))]
        service, _ = split_ref(ref)
        try:
            query = alert_query(rule, catalog.of(service, "query"))
        except RuleError:
            query = AlertQuery({}, "value", "COUNT", None)
        await self._notify(ref, rule, query, state, catalog, transitions, now_ms, reason)
        state.instances.clear()
        if keep_state:
            await asyncio.to_thread(self.records.save_state, state)

    async def _retire(self, ref: str) -> None:
        """An alert removed from the resources: resolve what it announced, then forget it."""
        properties = self.catalog.alerts().get(ref)
        rule = self.rules.get(ref, properties) if properties is not None else None
        if isinstance(rule, AlertRule) and ref in self.states:
            await self._close_all(ref, rule, self.catalog, self.clock() // NS_PER_MS,
                                  "alert removed", keep_state=False)
        self.states.pop(ref, None)
        self.rules.forget(ref)
        self._refreshed = {k: v for k, v in self._refreshed.items() if k[0] != ref}
        forgetting = asyncio.create_task(self._forget(ref, self.dispatcher.pending(ref)))
        self._forgetting.add(forgetting)
        forgetting.add_done_callback(self._forgetting.discard)

    async def _forget(self, ref: str, deliveries: list[asyncio.Task[bool]]) -> None:
        """Once its last deliveries are done, the alert's records go."""
        if deliveries:
            await asyncio.wait(deliveries)
        if ref not in self.states:  # unless it came back meanwhile
            await asyncio.to_thread(self.records.forget, ref)

    # -- for the API -------------------------------------------------------
    async def snooze(self, ref: str, until_ms: int | None) -> AlertState:
        state = self.states.setdefault(ref, AlertState(ref))
        state.snooze_until_ms = until_ms
        await asyncio.to_thread(self.records.save_state, state)
        return state

    async def current(self) -> tuple[Catalog, dict[str, AlertRule | RuleError]]:
        """The stored alerts now, with their parsed rules (or why they do not parse)."""
        catalog = Catalog.from_docs(await asyncio.to_thread(self.store.meta_list, RESOURCES))
        return catalog, {ref: self.rules.get(ref, props)
                         for ref, props in catalog.alerts().items()}

