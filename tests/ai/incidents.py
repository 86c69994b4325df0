"""Incidents with known causes, sent over HTTP to a running server."""

from __future__ import annotations

import random
import time
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.conftest import RunningServer

MINUTE_MS = 60_000
ROUTES = ["/products", "/cart", "/checkout", "/search"]
PROVIDERS = ["acme", "stripe", "adyen"]


def send_events(server: RunningServer, dataset: str, events: list[dict[str, Any]]) -> None:
    with server.client() as client:
        for start in range(0, len(events), 2000):
            response = client.post(f"/v1/events/{dataset}", json=events[start : start + 2000])
            assert response.status_code == 202, response.text


def payment_outage(server: RunningServer, extra: dict[str, Any] | None = None) -> None:
    """An hour of requests; in the last 5 minutes acme payments on /checkout fail.

    `extra` attributes are added to the failing requests of the outage only.
    """
    rng = random.Random(7)
    now_ms = time.time_ns() // 1_000_000
    events = []
    for minute in range(60, 0, -1):
        for _ in range(40):
            route, provider = rng.choice(ROUTES), rng.choice(PROVIDERS)
            outage = minute <= 5 and route == "/checkout" and provider == "acme"
            failed = outage or rng.random() < 0.01
            events.append({
                "timestamp": now_ms - minute * MINUTE_MS + rng.randrange(MINUTE_MS),
                "service": "shop", "message": "payment timed out" if failed else "request done",
                "http.route": route, "payment.provider": provider, "error": failed,
                "region": rng.choice(["eu", "us"]), "duration": rng.uniform(20, 80),
                **((extra or {}) if outage else {}),
            })
        if minute <= 5:  # the outage adds retries on the broken path
            for _ in range(30):
                events.append({
                    "timestamp": now_ms - minute * MINUTE_MS + rng.randrange(MINUTE_MS),
                    "service": "shop", "message": "payment timed out", "http.route": "/checkout",
                    "payment.provider": "acme", "error": True, "region": rng.choice(["eu", "us"]),
                    "duration": rng.uniform(3000, 5000), **(extra or {}),
                })
    send_events(server, "requests", events)


def new_log_pattern_after_deploy(server: RunningServer) -> None:
    rng = random.Random(3)
    now_ms = time.time_ns() // 1_000_000
    events = []
    for minute in range(60, 0, -1):
        for _ in range(20):
            user = rng.randrange(1000)
            events.append({"timestamp": now_ms - minute * MINUTE_MS + rng.randrange(MINUTE_MS),
                           "service": "cart", "level": "info",
                           "message": rng.choice([f"cart updated for user {user}",
                                                  f"cart loaded in {rng.randrange(5, 50)} ms",
                                                  f"price cache hit for sku {user}"])})
        if minute <= 6:
            for _ in range(25):
                events.append({
                    "timestamp": now_ms - minute * MINUTE_MS + rng.randrange(MINUTE_MS),
                    "service": "cart", "level": "error", "version": "2.4.1",
                    "message": f"redis connection refused on redis-{rng.randrange(3)}:6379 "
                               f"after {rng.randrange(1, 4)} retries",
                })
    send_events(server, "logs", events)


def slow_dependency_trace(server: RunningServer, failing: bool = False) -> str:
    """A checkout trace where one database call takes most of the time."""
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    attribute = resource_spans.resource.attributes.add()
    attribute.key, attribute.value.string_value = "service.name", "checkout"
    spans = resource_spans.scope_spans.add().spans
    trace_id = bytes(range(1, 17))
    start = time.time_ns() - 2_000_000_000

    def span(span_id: int, parent: int, name: str, begin_ms: float, end_ms: float) -> Any:
        item = spans.add()
        item.trace_id, item.span_id = trace_id, span_id.to_bytes(8, "big")
        if parent:
            item.parent_span_id = parent.to_bytes(8, "big")
        item.name = name
        item.start_time_unix_nano = start + int(begin_ms * 1e6)
        item.end_time_unix_nano = start + int(end_ms * 1e6)
        return item

    span(1, 0, "POST /checkout", 0, 1000)
    span(2, 1, "load cart", 10, 60)
    span(3, 1, "SELECT inventory", 70, 950)
    span(4, 1, "render", 955, 990)
    if failing:
        for failed_id in (1, 4):
            spans[failed_id - 1].status.code = 2
        charge = span(5, 4, "charge card", 960, 985)
        charge.status.code = 2
        event = charge.events.add()
        event.name, event.time_unix_nano = "exception", start + 980_000_000
        for key, value in (("exception.type", "TimeoutError"),
                           ("exception.message", "acme did not answer in 25 ms")):
            item = event.attributes.add()
            item.key, item.value.string_value = key, value
    with server.client() as client:
        response = client.post("/v1/traces", content=request.SerializeToString(),
                               headers={"content-type": "application/x-protobuf"})
        assert response.status_code == 200
    return trace_id.hex()
