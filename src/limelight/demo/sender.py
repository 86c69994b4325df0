"""Sends the shop's telemetry to a Limelight server in real time, through the ingest endpoints."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import httpx
from google.protobuf.message import DecodeError
from google.rpc import status_pb2

from limelight.demo.encode import logs_request, metrics_request, traces_request
from limelight.demo.records import Event
from limelight.demo.resources import SERVICE, demo_resources
from limelight.demo.shop import Shop, Telemetry

log = logging.getLogger("limelight.demo")

PROTOBUF = "application/x-protobuf"
MAX_RETRY_AFTER_S = 5.0


class DemoError(Exception):
    """The demo cannot go on: the server is unreachable or refuses what it is sent."""


@dataclass
class DemoStats:
    requests: int = 0
    spans: int = 0
    logs: int = 0
    events: int = 0
    metric_points: int = 0
    errors: int = 0
    throttled: int = 0
    failed_posts: int = 0
    elapsed_s: float = 0.0
    last_error_trace: str | None = None
    last_trace: str | None = None


class DemoSender:
    """Runs a Shop in real time: every tick, the requests that finished since the last one.

    `strict` senders (the CLI) stop with a DemoError on the first failed post;
    others (inside the server) log it and carry on.
    """

    def __init__(
        self, url: str, api_key: str | None, *, rate: float = 20.0, seed: int | None = None,
        id_seed: int | None = None, tick_s: float = 1.0, metrics_every_s: float = 5.0,
        strict: bool = True, timeout_s: float = 10.0,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.url = url.rstrip("/")
        self.rate = rate
        self.tick_s = tick_s
        self.metrics_every_s = metrics_every_s
        self.strict = strict
        self.shop = Shop(seed, id_seed=id_seed)
        self.stats = DemoStats()
        self._stop = threading.Event()
        self._start_ns = time.time_ns()
        self._failing = False
        headers = {"x-api-key": api_key} if api_key else {}
        self._client = httpx.Client(base_url=self.url, headers=headers, timeout=timeout_s)

    def close(self) -> None:
        self._client.close()

    # -- readiness ----------------------------------------------------------------------------

    def check(self) -> None:
        """Raise DemoError unless the server answers its health probe."""
        try:
            response = self._client.get("/healthz")
        except httpx.HTTPError as exc:
            raise DemoError(f"cannot reach Limelight at {self.url}: {exc}. "
                            "Is `limelight serve` running?") from exc
        if response.status_code != 200:
            raise DemoError(f"{self.url}/healthz answered {response.status_code}; "
                            "is this a Limelight server?")

    def check_key(self) -> None:
        """Raise DemoError unless the key may ingest (an empty export stores nothing)."""
        try:
            response = self._client.post("/v1/traces", content=b"",
                                         headers={"content-type": PROTOBUF})
        except httpx.HTTPError as exc:
            raise DemoError(f"cannot reach Limelight at {self.url}: {exc}") from exc
        if response.status_code in (401, 403):
            raise DemoError(_refused(response))

    def apply_resources(self) -> bool:
        """Add the demo's queries, dashboard and alert; False when the key may not (not admin)."""
        try:
            response = self._client.put(f"/api/resources/{SERVICE}", json=demo_resources(self.url))
        except httpx.HTTPError as exc:
            raise DemoError(f"cannot reach Limelight at {self.url}: {exc}") from exc
        if response.status_code == 403:
            return False
        if response.status_code != 200:
            raise DemoError(f"applying the demo's resources failed: {_message(response)}")
        return True

    def wait_ready(self, stop: threading.Event, timeout_s: float = 60.0) -> bool:
        """Poll the health probe until it answers, `stop` is set or the time is up."""
        deadline = time.monotonic() + timeout_s
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                self.check()
                return True
            except DemoError:
                stop.wait(0.2)
        return False

    # -- the loop -----------------------------------------------------------------------------

    def run(
        self, duration_s: float | None = None, stop: threading.Event | None = None,
        on_tick: Callable[[DemoStats], None] | None = None,
    ) -> DemoStats:
        """Send until `duration_s` has passed (None or 0: until `stop` is set)."""
        self._stop = stop if stop is not None else threading.Event()
        started = time.monotonic()
        self._start_ns = last_ns = time.time_ns()
        end_ns = self._start_ns + int(duration_s * 1e9) if duration_s else None
        self.send_events(self.shop.deploy_events(self._start_ns))
        deadline = started + duration_s if duration_s else None
        next_metrics = started + self.metrics_every_s
        while True:
            wait = self.tick_s if deadline is None else min(self.tick_s,
                                                            deadline - time.monotonic())
            stopped = self._stop.wait(max(wait, 0.0))
            now_ns = time.time_ns() if end_ns is None else min(time.time_ns(), end_ns)
            finished = stopped or (deadline is not None and time.monotonic() >= deadline)
            if now_ns > last_ns:
                self.send_window(last_ns, now_ns)
                last_ns = now_ns
            if finished or time.monotonic() >= next_metrics:
                self.send_metrics(now_ns)
                next_metrics = time.monotonic() + self.metrics_every_s
            self.stats.elapsed_s = time.monotonic() - started
            if on_tick is not None:
                on_tick(replace(self.stats))
            if finished:
                return replace(self.stats)

    def send_window(self, start_ns: int, end_ns: int) -> Telemetry:
        telemetry = self.shop.window(start_ns, end_ns, self.rate)
        if not telemetry.requests:
            return telemetry
        spans, logs = telemetry.spans, telemetry.logs
        if self._post("/v1/traces", traces_request(spans).SerializeToString(), PROTOBUF):
            stats = self.stats
            stats.requests += len(telemetry.requests)
            stats.spans += len(spans)
            errors = telemetry.errors
            stats.errors += len(errors)
            stats.last_trace = telemetry.requests[-1].trace_id
            if errors:
                stats.last_error_trace = errors[-1].trace_id
        if self._post("/v1/logs", logs_request(logs).SerializeToString(), PROTOBUF):
            self.stats.logs += len(logs)
        self.send_events(telemetry.events)
        return telemetry

    def send_metrics(self, now_ns: int) -> None:
        points = self.shop.metrics()
        body = metrics_request(points, self._start_ns, now_ns).SerializeToString()
        if self._post("/v1/metrics", body, PROTOBUF):
            self.stats.metric_points += len(points)

    def send_events(self, events: list[Event]) -> None:
        by_dataset: dict[str, list[Event]] = {}
        for event in events:
            by_dataset.setdefault(event.dataset, []).append(event)
        for dataset, group in by_dataset.items():
            body = json.dumps([event.document() for event in group]).encode()
            if self._post(f"/v1/events/{dataset}", body, "application/json"):
                self.stats.events += len(group)

    # -- posting ------------------------------------------------------------------------------

    def _post(self, path: str, body: bytes, content_type: str) -> bool:
        """One ingest request; waits out 429/503 (Retry-After) a couple of times."""
        for attempt in range(3):
            try:
                response = self._client.post(path, content=body,
                                             headers={"content-type": content_type})
            except httpx.HTTPError as exc:
                return self._failed(f"cannot reach Limelight at {self.url}: {exc}. "
                                    "Is `limelight serve` running?", unreachable=True)
            status = response.status_code
            if status in (429, 503) and attempt < 2:
                self.stats.throttled += 1
                if self._stop.wait(_retry_after(response)):
                    break
                continue
            if status in (401, 403):
                return self._failed(_refused(response))
            if status >= 400:
                return self._failed(f"POST {path} answered {status}: {_message(response)}")
            self._failing = False
            return True
        return self._failed(f"POST {path}: the server stayed overloaded")

    def _failed(self, message: str, unreachable: bool = False) -> bool:
        self.stats.failed_posts += 1
        if self.strict:
            raise DemoError(message)
        if not self._failing and not self._stop.is_set():  # one warning per run of failures
            # Inside a server, its own server out of reach means it is stopping (Ctrl-C
            # closes the port before the demo is told to stop): not worth a warning.
            log.log(logging.INFO if unreachable else logging.WARNING, "demo: %s", message)
        self._failing = True
        return False


def _refused(response: httpx.Response) -> str:
    return (f"the server refused the API key ({response.status_code}: {_message(response)}). "
            "Pass an ingest or admin key with --api-key or LIMELIGHT_API_KEY.")


def _retry_after(response: httpx.Response) -> float:
    try:
        return min(max(float(response.headers.get("retry-after", "1")), 0.1), MAX_RETRY_AFTER_S)
    except ValueError:
        return 1.0


def _message(response: httpx.Response) -> str:
    if response.headers.get("content-type", "").startswith(PROTOBUF):
        status = status_pb2.Status()
        try:
            status.ParseFromString(response.content)
        except DecodeError:
            return f"{len(response.content)} bytes of protobuf"
        return str(status.message)
    try:
        data = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(data, dict) and "message" in data:
        return str(data["message"])
    return response.text[:200]
