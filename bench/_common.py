"""Shared by the benchmarks: a real `limelight serve` subprocess, OTLP span batches, tables.

Not a test module; nothing here runs as part of the test suite.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, Span, Status

ADMIN_KEY = "bench-admin-key"
DATABASE_FILE = "limelight.duckdb"

SERVICES = (
    "gateway", "checkout", "cart", "payment", "catalog",
    "users", "search", "shipping", "inventory", "email",
)
# Services that run as functions carry faas.name, which becomes their namespace.
SERVERLESS = {"payment": "charge-card", "email": "send-receipt", "shipping": "quote-rates"}
ROUTES = (
    "/api/cart", "/api/cart/{id}", "/api/checkout", "/api/orders", "/api/orders/{id}",
    "/api/products", "/api/products/{id}", "/api/search", "/api/users/{id}", "/api/login",
    "/api/shipping/quote", "/api/payment/charge",
)
DB_OPERATIONS = ("SELECT", "INSERT", "UPDATE", "DELETE")
TABLES = ("orders", "carts", "products", "users", "payments", "shipments", "stock")
STATUS_CODES = (200, 200, 200, 200, 200, 200, 201, 204, 301, 400, 401, 404, 409, 500, 503)
SPAN_KIND_SERVER, SPAN_KIND_CLIENT, SPAN_KIND_INTERNAL = 2, 3, 1


# -- the server as a subprocess ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def limelight_command() -> list[str]:
    beside = Path(sys.executable).parent / "limelight"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("limelight")
    if found is None:
        raise SystemExit("`limelight` is not installed; run `pip install -e .` first")
    return [found]


@dataclass
class Server:
    """`limelight serve` on a free port with its own data dir; stopped with SIGINT."""

    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    _log: TextIO | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def database(self) -> Path:
        return self.data_dir / DATABASE_FILE

    def start(self, timeout_s: float = 60.0) -> Server:
        self.port = free_port()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "LIMELIGHT_ADMIN_KEY": ADMIN_KEY, **self.env}
        self._log = (self.data_dir.parent / f"{self.data_dir.name}.log").open("w")
        self.process = subprocess.Popen(
            [*limelight_command(), "serve", "--port", str(self.port),
             "--data-dir", str(self.data_dir)],
            env=env, stdout=self._log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}; "
                                   f"see {self._log.name}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("server did not start in time")

    def client(self, timeout_s: float = 120.0) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"x-api-key": ADMIN_KEY},
                            timeout=timeout_s)

    def query(self, spec: dict[str, Any]) -> dict[str, Any]:
        with self.client() as client:
            response = client.post("/api/query", json=spec)
            response.raise_for_status()
            result: dict[str, Any] = response.json()
            return result

    def count(self, dataset: str = "otel") -> int:
        result = self.query({"datasets": [dataset], "calculations": ["COUNT"],
                             "from": "7d", "to": int(time.time() * 1000) + 3_600_000})
        return int(result["aggregates"][0]["values"]["COUNT"])

    def stop(self, timeout_s: float = 120.0) -> None:
        """Graceful stop: uvicorn finishes, the store commits, checkpoints and closes."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def rss_kib(pid: int) -> int:
    """VmRSS of a process and all its descendants, in KiB (0 once it is gone)."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
                    break
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


# -- realistic OTLP span batches ---------------------------------------------------------------


def _kv(key: str, value: str | int | float | bool) -> KeyValue:
    kv = KeyValue(key=key)
    if isinstance(value, bool):
        kv.value.bool_value = value
    elif isinstance(value, int):
        kv.value.int_value = value
    elif isinstance(value, float):
        kv.value.double_value = value
    else:
        kv.value.string_value = value
    return kv


def _resource_attributes(service: str, rng: random.Random) -> list[KeyValue]:
    attrs = [
        _kv("service.name", service),
        _kv("service.version", f"1.{rng.randrange(4)}.{rng.randrange(10)}"),
        _kv("deployment.environment", "production"),
        _kv("host.name", f"{service}-{rng.randrange(3)}.prod.internal"),
        _kv("telemetry.sdk.name", "opentelemetry"),
        _kv("telemetry.sdk.language", "python"),
        _kv("telemetry.sdk.version", "1.27.0"),
        _kv("cloud.region", "eu-west-1"),
    ]
    if service in SERVERLESS:
        attrs.append(_kv("faas.name", SERVERLESS[service]))
    return attrs


@dataclass
class _SpanDraft:
    service: str
    span: Span


class SpanFactory:
    """Traces of 3-8 spans across services: an HTTP root, downstream calls and database spans."""

    def __init__(self, seed: int = 7, start_ns: int | None = None,
                 spans_per_s: float = 2_000) -> None:
        self.rng = random.Random(seed)
        # Traces start one after another at about `spans_per_s`, as a busy system's would,
        # so an export holds the spans of the last moments (as an SDK's batch processor sends).
        self.clock_ns = start_ns if start_ns is not None else time.time_ns() - 3600 * 10**9
        self.trace_gap_ns = 5.5e9 / spans_per_s  # traces average 5.5 spans
        self.users = [f"user-{i:05d}" for i in range(5_000)]

    def _ids(self, n: int) -> bytes:
        return self.rng.getrandbits(8 * n).to_bytes(n, "big")

    def _duration_ns(self, median_ms: float) -> int:
        return int(self.rng.lognormvariate(0, 0.8) * median_ms * 1e6) + 1000

    def trace(self) -> list[_SpanDraft]:
        rng = self.rng
        trace_id = self._ids(16)
        self.clock_ns += int(rng.expovariate(1.0) * self.trace_gap_ns)
        start = self.clock_ns
        route = rng.choice(ROUTES)
        user = rng.choice(self.users)
        status_code = rng.choice(STATUS_CODES)
        method = "GET" if "{id}" in route or route.endswith("s") else "POST"
        root_duration = self._duration_ns(40)
        root = Span(
            trace_id=trace_id, span_id=self._ids(8), name=f"{method} {route}",
            kind=SPAN_KIND_SERVER, start_time_unix_nano=start,
            end_time_unix_nano=start + root_duration,
            attributes=[
                _kv("http.request.method", method), _kv("http.route", route),
                _kv("url.path", route.replace("{id}", str(rng.randrange(100_000)))),
                _kv("url.scheme", "https"), _kv("http.response.status_code", status_code),
                _kv("server.address", "shop.example.com"), _kv("server.port", 443),
                _kv("client.address", f"10.{rng.randrange(256)}.{rng.randrange(256)}.7"),
                _kv("user_agent.original", rng.choice(("Mozilla/5.0 (Macintosh)",
                                                       "Mozilla/5.0 (iPhone)", "okhttp/4.12"))),
                _kv("user.id", user),
            ],
        )
        if status_code >= 500:
            root.status.CopyFrom(Status(code=2, message=f"upstream failed with {status_code}"))
        drafts = [_SpanDraft("gateway", root)]
        for _ in range(rng.randrange(2, 8)):
            parent = rng.choice(drafts)
            service = rng.choice(SERVICES[1:])
            offset = rng.randrange(max(1, root_duration // 2))
            duration = self._duration_ns(8)
            if rng.random() < 0.5:
                table = rng.choice(TABLES)
                op = rng.choice(DB_OPERATIONS)
                span = Span(
                    trace_id=trace_id, span_id=self._ids(8), parent_span_id=parent.span.span_id,
                    name=f"{op} {table}", kind=SPAN_KIND_CLIENT,
                    start_time_unix_nano=start + offset,
                    end_time_unix_nano=start + offset + duration,
                    attributes=[
                        _kv("db.system", "postgresql"), _kv("db.name", "shop"),
                        _kv("db.operation", op), _kv("db.sql.table", table),
                        _kv("db.statement", f"{op} * FROM {table} WHERE id = $1"),
                        _kv("server.address", "db.prod.internal"), _kv("server.port", 5432),
                        _kv("db.rows_affected", rng.randrange(50)), _kv("user.id", user),
                    ],
                )
            else:
                target = rng.choice(ROUTES)
                span = Span(
                    trace_id=trace_id, span_id=self._ids(8), parent_span_id=parent.span.span_id,
                    name=f"{service}.{target.rsplit('/', 1)[-1].strip('{}')}",
                    kind=SPAN_KIND_INTERNAL if rng.random() < 0.3 else SPAN_KIND_SERVER,
                    start_time_unix_nano=start + offset,
                    end_time_unix_nano=start + offset + duration,
                    attributes=[
                        _kv("http.request.method", "GET"), _kv("http.route", target),
                        _kv("http.response.status_code", rng.choice(STATUS_CODES)),
                        _kv("rpc.system", "http"), _kv("peer.service", parent.service),
                        _kv("user.id", user), _kv("retry.count", rng.randrange(3)),
                        _kv("cache.hit", rng.random() < 0.7),
                        _kv("feature.flag", rng.choice(("new-checkout", "control"))),
                    ],
                )
            if rng.random() < 0.02:
                span.status.CopyFrom(Status(code=2, message="timeout talking to payment provider"))
            drafts.append(_SpanDraft(service, span))
        return drafts

    def request(self, spans: int = 1000) -> ExportTraceServiceRequest:
        """One export as a collector would send it: spans grouped under their services."""
        by_service: dict[str, list[Span]] = {}
        made = 0
        while made < spans:
            for draft in self.trace():
                if made == spans:
                    break
                by_service.setdefault(draft.service, []).append(draft.span)
                made += 1
        request = ExportTraceServiceRequest()
        for service, service_spans in by_service.items():
            rs: ResourceSpans = request.resource_spans.add()
            rs.resource.attributes.extend(_resource_attributes(service, self.rng))
            ss = rs.scope_spans.add()
            ss.scope.name = "opentelemetry.instrumentation.asgi"
            ss.scope.version = "0.48b0"
            ss.spans.extend(service_spans)
        return request


def make_bodies(count: int, spans_per_request: int = 1000, seed: int = 7) -> list[bytes]:
    factory = SpanFactory(seed)
    return [factory.request(spans_per_request).SerializeToString() for _ in range(count)]


# -- output --------------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (readable in a terminal, pasteable into BENCHMARKS.md)."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(cells[0], widths, strict=True)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
              for row in cells[1:]]
    return "\n".join(lines)
