"""The samples both Prometheus and Limelight receive: half an hour of counters (with
resets), gauges, classic histogram buckets, a series that ends and one that goes stale,
as remote write; and `prometheus_client` metrics, as text exposition for Limelight and
the same samples as remote write for Prometheus."""

from __future__ import annotations

import random
import struct
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Summary
from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from tests.query.promql.prometheus import SeriesSamples

STEP_MS = 15_000
MINUTES = 30
STALE_NAN = struct.unpack("<d", struct.pack("<Q", 0x7FF0000000000002))[0]
BUCKETS = ("0.1", "0.25", "0.5", "1", "2.5", "+Inf")
CLIENT_BUCKETS = (0.1, 0.25, 0.5, 2.5)


def _times(rng: random.Random, start_ms: int, count: int) -> list[int]:
    """Every 15 s with a scrape's jitter, never on a whole second."""
    return [start_ms + i * STEP_MS + rng.randint(1, 1500) for i in range(count)]


def _counter(rng: random.Random, times: list[int], resets: tuple[int, ...]) -> list[
        tuple[int, float]]:
    value, samples = float(rng.randint(0, 50)), []
    for i, stamp in enumerate(times):
        value = float(rng.randint(0, 3)) if i in resets else value + rng.randint(0, 12)
        samples.append((stamp, value))
    return samples


def remote_write_series(start_ms: int) -> list[SeriesSamples]:
    rng = random.Random(20240607)
    count = MINUTES * 60_000 // STEP_MS + 1
    series: list[SeriesSamples] = []
    for instance, route, code, resets in (
        ("a:80", "/pay", "200", (60,)), ("a:80", "/pay", "500", ()),
        ("a:80", "/cart", "200", (30, 95)), ("b:80", "/pay", "200", ()),
        ("b:80", "/cart", "200", (110,)),
    ):
        labels = {"__name__": "http_requests_total", "job": "shop", "instance": instance,
                  "route": route, "code": code}
        series.append((labels, _counter(rng, _times(rng, start_ms, count), resets)))
    for instance in ("a:80", "b:80"):
        samples = [(t, round(rng.uniform(0, 100), 2)) for t in _times(rng, start_ms, count)]
        series.append(({"__name__": "queue_depth", "job": "shop", "instance": instance},
                       samples))
    for route in ("/pay", "/cart"):
        series += _histogram(rng, start_ms, count, route)
    # Ends after ten minutes: gone from instant vectors five minutes later.
    ended = [(t, round(rng.uniform(18, 24), 1)) for t in _times(rng, start_ms, 41)]
    series.append(({"__name__": "temperature", "job": "lab", "room": "a"}, ended))
    # A target that went away: a stale marker ends it at once, before the lookback would.
    batch = [(t, 1.0) for t in _times(rng, start_ms, count - 40)]
    batch.append((batch[-1][0] + STEP_MS, STALE_NAN))
    series.append(({"__name__": "up", "job": "batch", "instance": "c:80"}, batch))
    return series


def _histogram(rng: random.Random, start_ms: int, count: int,
               route: str) -> list[SeriesSamples]:
    bounds = [float(b) for b in BUCKETS]
    cumulative = [0.0] * len(bounds)
    total = 0.0
    buckets: list[list[tuple[int, float]]] = [[] for _ in bounds]
    sums: list[tuple[int, float]] = []
    counts: list[tuple[int, float]] = []
    for stamp in _times(rng, start_ms, count):
        for _ in range(rng.randint(0, 20)):
            observed = rng.expovariate(3.0)
            total += observed
            for index, bound in enumerate(bounds):
                if observed <= bound:
                    cumulative[index] += 1
        for index in range(len(bounds)):
            buckets[index].append((stamp, cumulative[index]))
        sums.append((stamp, round(total, 6)))
        counts.append((stamp, cumulative[-1]))
    base = {"job": "shop", "instance": "a:80", "route": route}
    name = "http_request_duration_seconds"
    found: list[SeriesSamples] = [
        ({**base, "__name__": name + "_bucket", "le": le}, samples)
        for le, samples in zip(BUCKETS, buckets, strict=True)]
    found.append(({**base, "__name__": name + "_sum"}, sums))
    found.append(({**base, "__name__": name + "_count"}, counts))
    return found


def client_snapshots(start_ms: int) -> Iterator[tuple[int, bytes]]:
    """prometheus_client's exposition every 30 s, with the time it stands for."""
    rng = random.Random(7)
    registry = CollectorRegistry()
    requests = Counter("app_requests", "Requests", ["route"], registry=registry)
    queue = Gauge("app_queue_depth", "Queue depth", registry=registry)
    latency = Histogram("app_latency_seconds", "Latency", ["route"], buckets=CLIENT_BUCKETS,
                        registry=registry)
    payload = Summary("app_payload_bytes", "Payload", registry=registry)
    for step in range(MINUTES * 2 + 1):
        for route in ("/pay", "/cart"):
            requests.labels(route=route).inc(rng.randint(0, 9))
            for _ in range(rng.randint(0, 8)):
                latency.labels(route=route).observe(rng.expovariate(4.0))
        queue.set(rng.randint(0, 40))
        payload.observe(rng.randint(100, 900))
        yield start_ms + step * 30_000 + 500, generate_latest(registry)


def exposition_as_series(snapshots: list[tuple[int, bytes]], job: str) -> list[SeriesSamples]:
    """The samples Prometheus would have scraped from the same expositions."""
    found: dict[tuple[tuple[str, str], ...], SeriesSamples] = {}
    for stamp, text in snapshots:
        for family in text_string_to_metric_families(text.decode()):
            for sample in family.samples:
                if sample.name.endswith("_created"):
                    continue
                labels = {**sample.labels, "__name__": sample.name, "job": job}
                key = tuple(sorted(labels.items()))
                found.setdefault(key, (labels, []))[1].append((stamp, float(sample.value)))
    return list(found.values())
