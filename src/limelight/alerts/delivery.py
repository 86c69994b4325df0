"""Sending notifications without holding up evaluation: one asyncio task per delivery.

A failed delivery is retried with exponential back-off for about four minutes
(a receiver restarting or briefly down still gets it; its Retry-After is
honoured up to the cap); a refused one (4xx other than 429) is not. Deliveries
to one channel for one alert instance keep their order: a resolve waits for the
firing before it. Every attempt is recorded.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

import httpx

from limelight.alerts.channels import KINDS
from limelight.alerts.channels.base import Notification, Outcome
from limelight.alerts.history import AlertRecords

log = logging.getLogger("limelight.alerts")

ATTEMPTS = 10  # waits 1, 2, 4 ... 32, then 60 s: about four minutes in all
BASE_DELAY_S = 1.0
MAX_DELAY_S = 60.0
TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Delivery:
    channel_id: str
    channel: dict[str, Any]  # the channel's properties
    note: Notification
    record_success: bool = True  # keep-alive refreshes record only their failures


class Dispatcher:
    def __init__(self, records: AlertRecords, *, attempts: int = ATTEMPTS,
                 base_delay_s: float = BASE_DELAY_S, max_delay_s: float = MAX_DELAY_S,
                 timeout_s: float = TIMEOUT_S) -> None:
        self.records = records
        self.attempts = attempts
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self.timeout_s = timeout_s
        self._client: httpx.AsyncClient | None = None
        self._pending: dict[asyncio.Task[bool], str] = {}  # task -> its alert
        self._last: dict[tuple[str, str, str], asyncio.Task[bool]] = {}

    async def start(self) -> None:
        self._client = httpx.AsyncClient(timeout=self.timeout_s)

    def submit(self, delivery: Delivery) -> asyncio.Task[bool]:
        """Deliver in the background; the task's result says whether it arrived."""
        key = (delivery.note.ref, delivery.note.instance, delivery.channel_id)
        task = asyncio.create_task(self._deliver(delivery, self._last.get(key)))
        self._pending[task] = delivery.note.ref
        self._last[key] = task

        def done(finished: asyncio.Task[bool]) -> None:
            self._pending.pop(finished, None)
            if self._last.get(key) is finished:
                del self._last[key]

        task.add_done_callback(done)
        return task

    def pending(self, ref: str) -> list[asyncio.Task[bool]]:
        """Deliveries of one alert still under way."""
        return [task for task, owner in self._pending.items() if owner == ref]

    async def stop(self, grace_s: float = 2.0) -> None:
        """Let deliveries in flight finish for a moment, then cancel the rest."""
        if self._pending:
            await asyncio.wait(set(self._pending), timeout=grace_s)
        for task in list(self._pending):
            task.cancel()
        if self._pending:
            await asyncio.wait(set(self._pending), timeout=grace_s)
        if self._client is not None:
            await self._client.aclose()

    async def _deliver(self, delivery: Delivery, before: asyncio.Task[bool] | None) -> bool:
        if before is not None:
            await asyncio.wait([before])
        for attempt in range(1, self.attempts + 1):
            started = time.perf_counter()
            outcome = await self._attempt(delivery)
            final = outcome.ok or not outcome.retryable or attempt == self.attempts
            delay = None if final else self._delay(attempt, outcome)
            if delivery.record_success or not outcome.ok:
                entry = _entry(delivery, attempt, outcome, final, delay,
                               (time.perf_counter() - started) * 1000)
                await asyncio.to_thread(self.records.add_delivery, delivery.note.ref, entry)
            if final:
                if not outcome.ok:
                    log.warning("alert %s: delivery to %s failed: %s %s", delivery.note.ref,
                                delivery.channel_id, outcome.status, outcome.detail)
                return outcome.ok
            assert delay is not None
            await asyncio.sleep(delay)
        return False

    async def _attempt(self, delivery: Delivery) -> Outcome:
        kind = KINDS.get(str(delivery.channel.get("kind")))
        if kind is None:
            return Outcome(False, None, f"unknown channel kind {delivery.channel.get('kind')!r}")
        assert self._client is not None, "Dispatcher.start() was not called"
        try:
            return await kind.send(self._client, delivery.channel, delivery.note)
        except Exception as exc:  # a channel's bug must not stop the others
            log.exception("alert %s: channel %s raised", delivery.note.ref, delivery.channel_id)
            return Outcome(False, None, f"{type(exc).__name__}: {exc}"[:300], retryable=True)

    def _delay(self, attempt: int, outcome: Outcome) -> float:
        delay = self.base_delay_s * 2 ** (attempt - 1)
        if outcome.retry_after_s is not None:
            delay = max(delay, outcome.retry_after_s)
        return float(min(delay, self.max_delay_s))


def _entry(delivery: Delivery, attempt: int, outcome: Outcome, final: bool,
           delay: float | None, elapsed_ms: float) -> dict[str, Any]:
    note = delivery.note
    return {
        "time_ms": time.time_ns() // 1_000_000,
        "channel": delivery.channel_id,
        "channel_kind": delivery.channel.get("kind"),
        "event": note.event,
        "instance": note.instance,
        "group": note.group,
        "attempt": attempt,
        "ok": outcome.ok,
        "status": outcome.status,
        "detail": outcome.detail,
        "final": final,
        "retry_in_s": delay,
        "elapsed_ms": round(elapsed_ms, 1),
    }
