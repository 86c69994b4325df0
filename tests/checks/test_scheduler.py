"""The scheduler with an in-memory store, a scripted probe and a clock the test moves:
cadence, the concurrency bound, rows written, and checks disabled or removed while down."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from limelight.alerts.delivery import Dispatcher
from limelight.alerts.history import AlertRecords
from limelight.checks.probe import ProbeResult
from limelight.checks.scheduler import CheckScheduler
from limelight.checks.spec import CheckSpec
from limelight.checks.state import COLLECTION
from limelight.model import Batch
from tests.alerts.receivers import Receiver, slack_reply

SECOND_NS = 1_000_000_000


class MemoryMeta:
    """The MetaStore protocol over a dict."""

    def __init__(self) -> None:
        self.docs: dict[str, dict[str, dict[str, Any]]] = {}

    def meta_get(self, collection: str, doc_id: str) -> dict[str, Any] | None:
        return self.docs.get(collection, {}).get(doc_id)

    def meta_list(self, collection: str) -> dict[str, dict[str, Any]]:
        return dict(self.docs.get(collection, {}))

    def meta_put(self, collection: str, doc_id: str, doc: dict[str, Any]) -> None:
        self.docs.setdefault(collection, {})[doc_id] = doc

    def meta_delete(self, collection: str, doc_id: str) -> bool:
        return self.docs.get(collection, {}).pop(doc_id, None) is not None

    def meta_replace(self, collection: str, prefix: str, docs: dict[str, dict[str, Any]]) -> None:
        kept = {k: v for k, v in self.docs.get(collection, {}).items() if not k.startswith(prefix)}
        self.docs[collection] = {**kept, **docs}


class Harness:
    def __init__(self, slack_url: str, concurrency: int = 20) -> None:
        self.store = MemoryMeta()
        self.now_ns = 1_000 * SECOND_NS
        self.up: dict[str, bool] = {}  # url -> answers well
        self.probed: list[str] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.gate: asyncio.Event | None = None
        self.rows: list[Batch] = []
        self.slack_url = slack_url
        self.scheduler = CheckScheduler(
            self.store, self.submit, Dispatcher(AlertRecords(self.store), attempts=1),
            self.probe, console_url="http://console", min_interval_ns=SECOND_NS,
            concurrency=concurrency, clock=lambda: self.now_ns)

    async def probe(self, spec: CheckSpec) -> ProbeResult:
        self.probed.append(spec.url)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        if self.gate is not None:
            await self.gate.wait()
        self.in_flight -= 1
        ok = self.up.get(spec.url, True)
        return ProbeResult(ok, self.now_ns // 1_000_000, 200 if ok else 500, 5.0,
                           None if ok else "status 500, expected 2xx")

    async def submit(self, batches: Sequence[Batch]) -> None:
        self.rows += batches

    def apply(self, checks: dict[str, dict[str, Any]], with_channel: bool = True) -> None:
        docs = {f"shop/{rid}": {"service": "shop", "id": rid, "type": "check",
                                "properties": props} for rid, props in checks.items()}
        if with_channel:
            docs["shop/chat"] = {"service": "shop", "id": "chat", "type": "channel",
                                 "properties": {"kind": "slack", "url": self.slack_url}}
        self.store.meta_replace("resources", "shop/", docs)

    async def tick(self, advance_s: float = 0) -> None:
        """Move the clock, tick, and let the runs started finish."""
        self.now_ns += int(advance_s * SECOND_NS)
        await self.scheduler.tick()
        while self.scheduler._running:
            await asyncio.sleep(0.001)


@pytest.fixture
def slack() -> Iterator[Receiver]:
    receiver = Receiver(slack_reply)
    yield receiver
    receiver.close()


def run(harness: Harness, scenario: Any) -> None:
    async def main() -> None:
        await harness.scheduler.dispatcher.start()
        try:
            await scenario()
        finally:
            await harness.scheduler.stop()
            await harness.scheduler.dispatcher.stop(grace_s=5)

    asyncio.run(main())


def test_a_check_runs_at_once_then_once_per_interval(slack: Receiver) -> None:
    harness = Harness(slack.url)

    async def scenario() -> None:
        harness.apply({"site": {"url": "http://a/", "interval": "10s", "timeout": "1s"}})
        await harness.tick()
        await harness.tick(advance_s=9.9)
        assert harness.probed == ["http://a/"]
        await harness.tick(advance_s=0.1)
        assert harness.probed == ["http://a/"] * 2

    run(harness, scenario)
    [batch, _] = harness.rows
    assert (batch.dataset, batch.size, batch.system["$kind"], batch.system["$service"]) == (
        "checks", 1, ["check"], ["shop"])
    assert {k: v[0] for k, v in batch.attr_values.items()} == {
        "check": "site", "url": "http://a/", "method": "GET", "ok": True, "status": 200,
        "latency_ms": 5.0}


def test_no_more_probes_than_the_concurrency_at_once(slack: Receiver) -> None:
    harness = Harness(slack.url, concurrency=2)

    async def scenario() -> None:
        harness.apply({f"c{i}": {"url": f"http://c{i}/"} for i in range(5)})
        harness.gate = asyncio.Event()
        await harness.scheduler.tick()
        await asyncio.sleep(0.05)
        assert (harness.in_flight, len(harness.probed)) == (2, 2)
        await harness.scheduler.tick()  # running checks are not started twice
        harness.gate.set()
        await harness.tick()

    run(harness, scenario)
    assert (harness.most_in_flight, len(harness.probed)) == (2, 5)


def test_a_down_check_resolves_when_disabled_and_when_removed(slack: Receiver) -> None:
    harness = Harness(slack.url)
    harness.up["http://a/"] = False
    site = {"url": "http://a/", "interval": "1s", "timeout": "1s", "failures": 1,
            "channels": ["chat"]}

    async def scenario() -> None:
        harness.apply({"site": site})
        await harness.tick()
        harness.apply({"site": {**site, "enabled": False}})
        await harness.tick(advance_s=1)
        assert harness.probed == ["http://a/"]
        harness.apply({"site": site})
        await harness.tick(advance_s=1)
        harness.apply({}, with_channel=False)  # the check and its channel go together
        await harness.tick(advance_s=1)
        await asyncio.sleep(0.2)

    run(harness, scenario)
    assert [b["text"].split(" ")[1] for b in slack.bodies()] == [
        "[FIRING]", "[RESOLVED]", "[FIRING]", "[RESOLVED]"]
    assert harness.store.meta_list(COLLECTION) == {}
