"""The simulated serverless shop: each request becomes a trace with its logs and events.

Pure apart from its random generators: nothing here does I/O or reads the
clock. With a seed, the sequence of requests (routes, users, latencies,
failures) is the same on every run, however the time windows are cut;
trace and span ids come from their own generator so repeated runs against
one server never collide (pass `id_seed` to fix them too).
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from limelight.demo.catalog import (
    AUTHORS,
    COUNTRIES,
    FUNCTIONS,
    GATEWAY,
    PROVIDERS,
    REGION,
    ROUTES,
    SERVICES,
    SHOP_HOST,
    TIERS,
    USER_AGENTS,
    Attrs,
    Provider,
    Route,
)
from limelight.demo.flows import Flows, Outcome
from limelight.demo.records import (
    ERROR,
    INFO,
    SERVER,
    WARN,
    Event,
    LogRecord,
    MetricPoint,
    Span,
    TraceBuilder,
)

DURATION_BOUNDS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5,
                   10.0)


@dataclass
class SimRequest:
    """One request through the shop: a whole trace, its logs and its events."""

    route: Route
    status: int
    spans: list[Span]
    logs: list[LogRecord]
    events: list[Event]
    provider: str | None = None

    @property
    def trace_id(self) -> str:
        return self.spans[0].trace_id.hex()

    @property
    def error(self) -> bool:
        return self.status >= 500


@dataclass
class Telemetry:
    """What a time window produced."""

    requests: list[SimRequest]

    @property
    def spans(self) -> list[Span]:
        return [span for request in self.requests for span in request.spans]

    @property
    def logs(self) -> list[LogRecord]:
        return [record for request in self.requests for record in request.logs]

    @property
    def events(self) -> list[Event]:
        return [event for request in self.requests for event in request.events]

    @property
    def errors(self) -> list[SimRequest]:
        return [request for request in self.requests if request.error]


@dataclass
class _Histogram:
    counts: list[int]
    count: int = 0
    total: float = 0.0
    minimum: float = math.inf
    maximum: float = 0.0

    def add(self, value: float) -> None:
        index = next((i for i, b in enumerate(DURATION_BOUNDS) if value <= b), len(DURATION_BOUNDS))
        self.counts[index] += 1
        self.count += 1
        self.total += value
        self.minimum = min(self.minimum, value)
        self.maximum = max(self.maximum, value)


def _seeded(seed: int | None, offset: int) -> random.Random:
    return random.Random(None if seed is None else seed * 7919 + offset)


class Shop:
    def __init__(self, seed: int | None = None, *, id_seed: int | None = None) -> None:
        self.rng = random.Random(seed)  # what happens
        self._ids = random.Random(id_seed)  # trace, span and order ids
        self._clock = _seeded(seed, 1)  # where in a window requests end
        self._aux = _seeded(seed, 2)  # gauges and deploys
        self.flows = Flows(self.rng, lambda function: self._faas[function])
        self._carry = 0.0
        self._requests: defaultdict[tuple[str, str, int], int] = defaultdict(int)
        self._durations: dict[str, _Histogram] = {}
        self._faas: defaultdict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        self._published_seen = 0
        self._queue_depth = 0.0
        self._handlers: dict[str, Callable[[TraceBuilder, Span, int], Outcome]] = {
            "/products": self.flows.list_products,
            "/products/{id}": self.flows.get_product,
            "/cart": self.flows.add_to_cart,
            "/checkout": self.flows.checkout,
        }

    # -- requests ---------------------------------------------------------------------------

    def window(self, start_ns: int, end_ns: int, rate: float) -> Telemetry:
        """The requests that finish in [start_ns, end_ns) at `rate` per second."""
        expected = rate * max(end_ns - start_ns, 0) / 1e9 + self._carry
        count = int(expected)
        self._carry = expected - count
        ends = sorted(int(self._clock.uniform(start_ns, end_ns)) for _ in range(count))
        return Telemetry([self.request(end) for end in ends])

    def request(self, end_ns: int, route: str | None = None) -> SimRequest:
        """One request whose last span, log or event happens at `end_ns`."""
        spec = self._pick_route() if route is None else _route(route)
        rng = self.rng
        trace = TraceBuilder(self._ids)
        user = f"user-{rng.randint(1, 800):04d}" if spec.method == "POST" or rng.random() < 0.7 \
            else None
        attrs: Attrs = {
            "http.request.method": spec.method,
            "http.route": spec.route,
            "url.path": spec.route,
            "url.scheme": "https",
            "server.address": SHOP_HOST,
            "client.address": f"203.0.113.{rng.randint(2, 254)}",
            "user_agent.original": rng.choice(USER_AGENTS),
        }
        if user is not None:
            attrs["user.id"] = user
        root = trace.span(None, GATEWAY, None, f"{spec.method} {spec.route}", SERVER, 0, attrs)
        outcome = self._handlers[spec.route](trace, root, self.flows.ms(1.5))
        root.end_ns = outcome.end + self.flows.ms(0.8)
        root.attributes["http.response.status_code"] = outcome.status
        if outcome.status >= 500:
            root.error = outcome.error or f"HTTP {outcome.status}"
            root.attributes["error.type"] = str(outcome.status)
        elapsed_ms = (root.end_ns - root.start_ns) / 1e6
        level = ERROR if outcome.status >= 500 else WARN if outcome.status >= 400 else INFO
        log_attrs: Attrs = {k: root.attributes[k] for k in (
            "http.request.method", "http.route", "url.path", "http.response.status_code",
            "client.address") if k in root.attributes}
        log_attrs["duration_ms"] = round(elapsed_ms, 2)
        if user is not None:
            log_attrs["user.id"] = user
        trace.log(root, root.end_ns, level,
                  f"{spec.method} {root.attributes['url.path']} {outcome.status} "
                  f"{elapsed_ms:.0f}ms", log_attrs)
        self._record(spec, outcome.status, elapsed_ms / 1000)
        if user is not None:
            for event in trace.events:
                event.body.setdefault("customer", self._customer(user))
        trace.shift_to(end_ns)
        return SimRequest(spec, outcome.status, trace.spans, trace.logs, trace.events,
                          outcome.provider)

    def _pick_route(self) -> Route:
        return self.rng.choices(ROUTES, weights=[r.weight for r in ROUTES])[0]

    def _customer(self, user: str) -> dict[str, str]:
        number = int(user.rsplit("-", 1)[1])
        return {"id": user, "country": COUNTRIES[number % len(COUNTRIES)],
                "tier": TIERS[number % len(TIERS)]}

    def _record(self, route: Route, status: int, seconds: float) -> None:
        self._requests[route.method, route.route, status] += 1
        histogram = self._durations.setdefault(
            route.route, _Histogram([0] * (len(DURATION_BOUNDS) + 1)))
        histogram.add(seconds)

    # -- metrics and deploys ----------------------------------------------------------------

    def metrics(self) -> list[MetricPoint]:
        """Cumulative counters, duration histograms and a queue depth gauge, as of now."""
        points: list[MetricPoint] = []
        for (method, route, status), count in sorted(self._requests.items()):
            points.append(MetricPoint(
                GATEWAY, None, "http.server.requests", "sum", "{request}",
                "Requests answered by the API gateway",
                {"http.request.method": method, "http.route": route,
                 "http.response.status_code": status},
                value=float(count)))
        for route, hist in sorted(self._durations.items()):
            method = next(r.method for r in ROUTES if r.route == route)
            points.append(MetricPoint(
                GATEWAY, None, "http.server.request.duration", "histogram", "s",
                "Duration of HTTP server requests",
                {"http.request.method": method, "http.route": route},
                count=hist.count, total=hist.total, minimum=hist.minimum, maximum=hist.maximum,
                bounds=DURATION_BOUNDS, bucket_counts=tuple(hist.counts)))
        for function, (invocations, cold, errors) in sorted(self._faas.items()):
            service = FUNCTIONS[function][0]
            for name, value, description in (
                ("faas.invocations", invocations, "Function invocations"),
                ("faas.coldstarts", cold, "Invocations that started a new instance"),
                ("faas.errors", errors, "Invocations that failed"),
            ):
                points.append(MetricPoint(service, function, name, "sum", "{invocation}",
                                          description, {"faas.trigger": "http"},
                                          value=float(value)))
        published = self.flows.published - self._published_seen
        self._published_seen = self.flows.published
        self._queue_depth = max(0.0, self._queue_depth * 0.6 + published * 0.4
                                + self._aux.gauss(0.0, 1.5))
        points.append(MetricPoint(
            "notifications", "notifications-send-receipt", "messaging.queue.depth", "gauge",
            "{message}", "Messages waiting in the queue",
            {"messaging.system": "aws_sqs", "messaging.destination.name": "order-events"},
            value=float(round(self._queue_depth))))
        return points

    def deploy_events(self, at_ns: int) -> list[Event]:
        """A deploy marker per service, as CI would send when the shop was last released."""
        events = []
        for index, service in enumerate(SERVICES.values()):
            events.append(Event("deploys", at_ns - (len(SERVICES) - index) * 1_000_000_000, {
                "message": f"deployed {service.name} {service.version}",
                "service": service.name,
                "version": service.version,
                "commit": f"{self._aux.getrandbits(40):010x}",
                "author": self._aux.choice(AUTHORS),
                "deploy": {"strategy": self._aux.choice(["canary", "all-at-once", "linear"]),
                           "duration_s": self._aux.randint(20, 180), "region": REGION,
                           "pipeline": {"name": "shop-release", "run": self._aux.randint(100,
                                                                                         999)}},
            }))
        return events


def _route(text: str) -> Route:
    """A route from "POST /checkout" or "/checkout"."""
    for route in ROUTES:
        if text in (route.route, f"{route.method} {route.route}"):
            return route
    raise ValueError(f"unknown route {text!r}; known: {[r.route for r in ROUTES]}")


def provider_named(name: str) -> Provider:
    return next(p for p in PROVIDERS if p.name == name)
