"""The simulated shop: trace shapes, ids, failure rates, log correlation, metrics, encoding."""

from __future__ import annotations

from collections import Counter

import pytest

from limelight.demo.encode import logs_request, metrics_request, traces_request
from limelight.demo.records import CONSUMER, ERROR, SERVER, WARN, Span
from limelight.demo.shop import Shop, SimRequest
from limelight.ingest.otlp.common import Target
from limelight.ingest.otlp.logs import decode_logs
from limelight.ingest.otlp.metrics import decode_metrics
from limelight.ingest.otlp.traces import decode_traces

NOW = 1_800_000_000_000_000_000
PROTOBUF = "application/x-protobuf"
# With this seed, the first request already fails (an acme outage): used by the e2e tests.
EARLY_ERROR_SEED = 54


@pytest.fixture(scope="module")
def requests() -> list[SimRequest]:
    shop = Shop(7, id_seed=7)
    return shop.window(NOW - 60 * 10**9, NOW, 20.0).requests


def depth(span: Span, by_id: dict[bytes, Span]) -> int:
    levels = 0
    while span.parent_span_id:
        span = by_id[span.parent_span_id]
        levels += 1
    return levels


def test_a_window_holds_rate_times_seconds_requests_ending_inside_it(
    requests: list[SimRequest],
) -> None:
    assert len(requests) == 1200
    start = NOW - 60 * 10**9
    for request in requests:
        last = max([s.end_ns for s in request.spans] + [r.time_ns for r in request.logs])
        assert start <= last <= NOW
    assert {r.route.route for r in requests} == {"/products", "/products/{id}", "/cart",
                                                 "/checkout"}


def test_every_request_is_one_valid_tree(requests: list[SimRequest]) -> None:
    for request in requests:
        by_id = {span.span_id: span for span in request.spans}
        assert len(by_id) == len(request.spans), "span ids repeat within a trace"
        assert len({span.trace_id for span in request.spans}) == 1
        roots = [span for span in request.spans if not span.parent_span_id]
        assert len(roots) == 1
        root = roots[0]
        assert root.service == "api-gateway" and root.kind == SERVER
        assert root.name == f"{request.route.method} {request.route.route}"
        assert root.attributes["http.route"] == request.route.route
        assert root.attributes["http.response.status_code"] == request.status
        for span in request.spans:
            assert span.end_ns >= span.start_ns
            if span.parent_span_id:
                parent = by_id[span.parent_span_id]  # KeyError: a dangling parent
                assert span.start_ns >= parent.start_ns
                if span.kind != CONSUMER:  # only the queue consumer outlives its parent
                    assert span.end_ns <= parent.end_ns
        assert {span.service for span in request.spans} - {"api-gateway"}, "no function ran"


def test_checkouts_span_several_services_and_levels(requests: list[SimRequest]) -> None:
    placed = [r for r in requests if r.route.route == "/checkout" and r.status == 201]
    assert placed
    for request in placed:
        by_id = {span.span_id: span for span in request.spans}
        services = {span.service for span in request.spans}
        assert {"api-gateway", "checkout", "payments", "notifications"} <= services
        assert max(depth(span, by_id) for span in request.spans) >= 4
        db = [s for s in request.spans if s.attributes.get("db.system") == "postgresql"]
        assert db and all(str(s.attributes["db.statement"]).startswith(
            ("SELECT", "INSERT", "UPDATE")) for s in db)
        functions = [s for s in request.spans if s.function is not None and s.kind in
                     (SERVER, CONSUMER) and s.name == s.function]
        assert all("faas.coldstart" in s.attributes for s in functions)


def test_ids_are_well_formed_and_unique(requests: list[SimRequest]) -> None:
    trace_ids = [request.spans[0].trace_id for request in requests]
    span_ids = [span.span_id for request in requests for span in request.spans]
    assert all(len(t) == 16 and any(t) for t in trace_ids)
    assert all(len(s) == 8 and any(s) for s in span_ids)
    assert len(set(trace_ids)) == len(trace_ids)
    assert len(set(span_ids)) == len(span_ids)
    assert all(len(r.trace_id) == 32 and int(r.trace_id, 16) for r in requests)


def test_acme_times_out_at_its_configured_rate() -> None:
    shop = Shop(2024, id_seed=1)
    checkouts = [shop.request(NOW, "POST /checkout") for _ in range(4000)]
    by_provider: dict[str, list[SimRequest]] = {}
    for request in checkouts:
        assert request.provider is not None
        by_provider.setdefault(request.provider, []).append(request)
    acme = by_provider["acme"]
    acme_rate = sum(r.error for r in acme) / len(acme)
    stripe_rate = sum(r.error for r in by_provider["stripe"]) / len(by_provider["stripe"])
    assert 0.06 <= acme_rate <= 0.10, acme_rate
    assert stripe_rate < 0.02
    # Only checkouts fail with a 5xx; the other routes stay healthy.
    others = [shop.request(NOW, route) for route in ("/products", "/products/{id}", "/cart")
              for _ in range(300)]
    assert not any(r.error for r in others)


def test_a_failed_checkout_has_exceptions_error_statuses_and_error_logs() -> None:
    shop = Shop(EARLY_ERROR_SEED)
    failed = next(r for r in (shop.request(NOW) for _ in range(200)) if r.error)
    assert failed.status == 502 and failed.provider == "acme"
    root = next(s for s in failed.spans if not s.parent_span_id)
    assert root.error and root.attributes["error.type"] == "502"
    errored = {s.service for s in failed.spans if s.error is not None}
    assert {"api-gateway", "checkout", "payments"} <= errored
    exceptions = [e for s in failed.spans for e in s.events if e.name == "exception"]
    assert {"PaymentFailedError", "payments.errors.ProviderTimeout"} <= {
        str(e.attributes["exception.type"]) for e in exceptions}
    for event in exceptions:
        assert event.attributes["exception.message"]
        assert event.attributes["exception.stacktrace"]
    error_logs = [r for r in failed.logs if r.severity == ERROR]
    assert any("exception.stacktrace" in r.attributes for r in error_logs)
    assert any(r.severity == WARN and "retrying" in r.body for r in failed.logs)
    business = [e.document() for e in failed.events if e.dataset == "business"]
    assert business[0]["event"] == "order.payment_failed"
    assert business[0]["error"] and business[0]["traceId"] == failed.trace_id


def test_logs_carry_the_ids_of_their_spans(requests: list[SimRequest]) -> None:
    for request in requests:
        spans = {(s.trace_id, s.span_id): s for s in request.spans}
        assert request.logs, "every request logs at least its access line"
        for record in request.logs:
            span = spans[record.trace_id, record.span_id]
            assert (span.service, span.function) == (record.service, record.function)
            assert span.start_ns <= record.time_ns <= span.end_ns


def test_same_seed_same_requests_however_windows_are_cut() -> None:
    one, two = Shop(5), Shop(5)
    first = one.window(NOW, NOW + 10 * 10**9, 10).requests
    second = [r for start in range(10)
              for r in two.window(NOW + start * 10**9, NOW + (start + 1) * 10**9, 10).requests]

    def shape(r: SimRequest) -> tuple[object, ...]:
        return (r.route, r.status, r.provider,
                tuple((s.name, s.end_ns - s.start_ns) for s in r.spans))

    assert [shape(r) for r in first] == [shape(r) for r in second]
    assert {r.trace_id for r in first}.isdisjoint({r.trace_id for r in second})


def test_encoded_requests_decode_with_resources_and_correlation(
    requests: list[SimRequest],
) -> None:
    sample = requests[:100]
    spans = [s for r in sample for s in r.spans]
    traces = decode_traces(traces_request(spans).SerializeToString(), PROTOBUF, Target("otel"))
    assert traces.rejected == 0
    kinds = Counter(traces.batch.system["$kind"])
    assert kinds["span"] == len(spans)
    namespaces = set(traces.batch.system["$namespace"])
    assert {"api-gateway", "catalog-list-products"} <= namespaces
    logs = [record for r in sample for record in r.logs]
    decoded_logs = decode_logs(logs_request(logs).SerializeToString(), PROTOBUF, Target("logs"))
    assert decoded_logs.batch.size == len(logs)
    span_traces = set(traces.batch.system["$trace_id"])
    assert set(decoded_logs.batch.system["$trace_id"]) <= span_traces
    assert set(decoded_logs.batch.system["$level"]) >= {"info"}


def test_metrics_count_what_happened() -> None:
    shop = Shop(3)
    telemetry = shop.window(NOW - 10 * 10**9, NOW, 30)
    points = shop.metrics()
    requests = [p for p in points if p.name == "http.server.requests"]
    assert sum(p.value for p in requests) == len(telemetry.requests) == 300
    histograms = [p for p in points if p.name == "http.server.request.duration"]
    assert sum(p.count for p in histograms) == 300
    assert all(sum(p.bucket_counts) == p.count for p in histograms)
    assert any(p.name == "messaging.queue.depth" and p.kind == "gauge" for p in points)
    cold = {p.function: p.value for p in points if p.name == "faas.coldstarts"}
    assert cold and all(value >= 1 for value in cold.values())
    body = metrics_request(points, NOW - 10 * 10**9, NOW).SerializeToString()
    decoded = decode_metrics(body, PROTOBUF, Target("metrics"))
    assert decoded.rejected == 0 and decoded.batch.size == len(points)
