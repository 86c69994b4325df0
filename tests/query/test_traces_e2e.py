"""GET /api/traces/{id}: a trace sent with the OpenTelemetry SDK comes back as a tree, with its
span events, links and exception, and the logs that share its trace id, in time order."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from opentelemetry import trace
from opentelemetry._logs import SeverityNumber
from opentelemetry.trace import (
    Link,
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
)

from limelight.timeparse import format_ns
from tests.conftest import RunningServer, start_server, stop_server
from tests.query.sdk import finish, finish_logs, logger_provider, tracer_provider

MS = 1_000_000


@dataclass
class Sent:
    trace_id: str
    other_trace_id: str
    orphan_trace_id: str
    span_ids: dict[str, str]
    base: int


def hex_id(value: int, width: int) -> str:
    return f"{value:0{width}x}"


@pytest.fixture(scope="module", params=["table", "sealed"])
def layout(request: pytest.FixtureRequest) -> str:
    """Where the rows are when queried: in the DuckDB tables, or all sealed into segments."""
    return str(request.param)


@pytest.fixture(scope="module")
def trace_server(layout: str,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp(layout) / "data")
    yield running
    stop_server(running)


@pytest.fixture(scope="module")
def sent(trace_server: RunningServer, layout: str) -> Sent:
    key = trace_server.create_key("ingest")
    base = (time.time_ns() // MS - 5 * 60_000) * MS
    checkout, checkout_exporter = tracer_provider(
        trace_server, key, {"service.name": "checkout", "faas.name": "checkout-fn"})
    payments, payments_exporter = tracer_provider(trace_server, key,
                                                  {"service.name": "payments"})
    shop = checkout.get_tracer("shop")
    pay = payments.get_tracer("pay")

    other = shop.start_span("enqueue", start_time=base - 30 * MS)
    root = shop.start_span("POST /checkout", kind=SpanKind.SERVER, start_time=base,
                           attributes={"http.route": "/checkout"})
    in_root = trace.set_span_in_context(root)
    # Started second but earlier: children are ordered by start time, not by arrival.
    charge = pay.start_span("charge card", context=in_root, start_time=base + 50 * MS)
    load = shop.start_span("load cart", context=in_root, start_time=base + 5 * MS,
                           links=[Link(other.get_span_context(), {"link.reason": "batch"})])
    provider_call = pay.start_span("POST /v1/charges", context=trace.set_span_in_context(charge),
                                   kind=SpanKind.CLIENT, start_time=base + 60 * MS)
    provider_call.record_exception(TimeoutError("provider timed out"),
                                   attributes={"attempt": 1}, timestamp=base + 150 * MS)
    provider_call.set_status(Status(StatusCode.ERROR, "provider timed out"))
    provider_call.end(end_time=base + 160 * MS)
    charge.add_event("retry", {"attempt": 2}, timestamp=base + 165 * MS)
    charge.end(end_time=base + 200 * MS)
    root.end(end_time=base + 250 * MS)  # ends before "load cart": arrival order is not tree order
    load.end(end_time=base + 40 * MS)
    other.end(end_time=base - 20 * MS)

    # A span whose parent was never sent.
    missing_parent = SpanContext(trace_id=0xABC, span_id=0xDEF, is_remote=True,
                                 trace_flags=TraceFlags(TraceFlags.SAMPLED))
    orphan = shop.start_span("orphan", start_time=base,
                             context=trace.set_span_in_context(NonRecordingSpan(missing_parent)))
    orphan.end(end_time=base + MS)

    # "charge card" is stored before "load cart", which starts earlier.
    finish(payments, payments_exporter, 2)
    finish(checkout, checkout_exporter, 4)

    logs, log_exporter = logger_provider(trace_server, key, {"service.name": "checkout"})
    logger = logs.get_logger("shop.logs")
    emitted = [  # deliberately not in time order
        (base + 240 * MS, root, SeverityNumber.WARN, "checkout failed"),
        (base + 30 * MS, load, SeverityNumber.INFO, "cart loaded"),
        (base + 155 * MS, provider_call, SeverityNumber.ERROR, "payment provider timeout"),
        (base + 55 * MS, charge, SeverityNumber.DEBUG, "charging card"),
        (base - 25 * MS, other, SeverityNumber.INFO, "queued"),
    ]
    for stamp, span, severity, body in emitted:
        logger.emit(timestamp=stamp, context=trace.set_span_in_context(span),
                    severity_number=severity, severity_text=severity.name, body=body,
                    attributes={"component": "shop"})
    finish_logs(logs, log_exporter, len(emitted))

    if layout == "sealed":
        store = trace_server.server.config.app.state.limelight.store  # type: ignore[attr-defined]
        assert all(store.seal(name) for name in ("otel", "logs"))

    ids = {name: hex_id(span.get_span_context().span_id, 16) for name, span in [
        ("root", root), ("load", load), ("charge", charge), ("call", provider_call),
        ("other", other), ("orphan", orphan)]}
    return Sent(hex_id(root.get_span_context().trace_id, 32),
                hex_id(other.get_span_context().trace_id, 32), hex_id(0xABC, 32), ids, base)


@pytest.fixture(scope="module")
def client(trace_server: RunningServer) -> Iterator[httpx.Client]:
    with trace_server.client(trace_server.create_key("query")) as query_client:
        yield query_client


def get_trace(client: httpx.Client, trace_id: str) -> dict[str, Any]:
    response = client.get(f"/api/traces/{trace_id}")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_summary(client: httpx.Client, sent: Sent) -> None:
    got = get_trace(client, sent.trace_id)
    assert got["trace_id"] == sent.trace_id
    assert got["span_count"] == 4
    assert got["services"] == ["checkout", "payments"]
    assert got["errors"] == 1
    assert got["start"] == format_ns(sent.base)
    assert got["duration_ms"] == pytest.approx(250)


def test_tree_shape_and_children_order(client: httpx.Client, sent: Sent) -> None:
    got = get_trace(client, sent.trace_id)
    (root,) = got["spans"]
    assert root["$name"] == "POST /checkout"
    assert root["$span_id"] == sent.span_ids["root"]
    assert "$parent_span_id" not in root
    assert root["span.kind"] == "server"
    assert root["$duration_ms"] == 250
    load, charge = root["children"]
    assert [load["$name"], charge["$name"]] == ["load cart", "charge card"]
    assert load["$parent_span_id"] == charge["$parent_span_id"] == sent.span_ids["root"]
    assert (load["$service"], charge["$service"]) == ("checkout", "payments")
    assert load["$namespace"] == "checkout-fn"
    assert load["children"] == []
    (call,) = charge["children"]
    assert call["$name"] == "POST /v1/charges"
    assert call["$parent_span_id"] == sent.span_ids["charge"]
    assert call["span.kind"] == "client"
    assert call["children"] == []
    assert (call["$status"], call["$error"], call["$message"]) == (
        "error", True, "provider timed out")
    assert (root["$status"], root["$error"]) == ("ok", False)
    for span in (root, load, charge, call):
        assert span["$kind"] == "span"
        assert span["$trace_id"] == sent.trace_id
        assert span["$dataset"] == "otel"


def test_exception_and_span_events_are_attached_to_their_span(client: httpx.Client,
                                                              sent: Sent) -> None:
    root = get_trace(client, sent.trace_id)["spans"][0]
    load, charge = root["children"]
    call = charge["children"][0]
    (exception,) = call["events"]
    assert exception["$name"] == "exception"
    assert exception["$kind"] == "span_event"
    assert (exception["$error"], exception["$status"]) == (True, "error")
    assert exception["$message"] == "provider timed out"
    assert exception["exception.type"] == "TimeoutError"
    assert exception["exception.message"] == "provider timed out"
    assert exception["attempt"] == 1
    assert exception["$span_id"] == sent.span_ids["call"]
    assert exception["$timestamp"] == format_ns(sent.base + 150 * MS)
    (retry,) = charge["events"]
    assert (retry["$name"], retry["attempt"], retry["$error"]) == ("retry", 2, False)
    assert retry["$timestamp"] == format_ns(sent.base + 165 * MS)
    assert root["events"] == load["events"] == []
    assert call["links"] == charge["links"] == root["links"] == []


def test_links_are_attached_to_their_span(client: httpx.Client, sent: Sent) -> None:
    load = get_trace(client, sent.trace_id)["spans"][0]["children"][0]
    (link,) = load["links"]
    assert link["$kind"] == "link"
    assert link["$span_id"] == sent.span_ids["load"]
    assert link["link.trace_id"] == sent.other_trace_id
    assert link["link.span_id"] == sent.span_ids["other"]
    assert link["link.reason"] == "batch"


def test_logs_of_the_trace_sorted_by_time(client: httpx.Client, sent: Sent) -> None:
    logs = get_trace(client, sent.trace_id)["logs"]
    assert [log["$message"] for log in logs] == [
        "cart loaded", "charging card", "payment provider timeout", "checkout failed"]
    assert [log["$timestamp"] for log in logs] == [
        format_ns(sent.base + ms * MS) for ms in (30, 55, 155, 240)]
    assert [log["$span_id"] for log in logs] == [
        sent.span_ids[name] for name in ("load", "charge", "call", "root")]
    assert [log["$level"] for log in logs] == ["info", "debug", "error", "warn"]
    assert [log["$error"] for log in logs] == [False, False, True, False]
    for log in logs:
        assert log["$kind"] == "log"
        assert log["$dataset"] == "logs"
        assert log["$trace_id"] == sent.trace_id
        assert log["component"] == "shop"


def test_spans_whose_parent_is_missing_are_roots(client: httpx.Client, sent: Sent) -> None:
    got = get_trace(client, sent.orphan_trace_id)
    (orphan,) = got["spans"]
    assert orphan["$name"] == "orphan"
    assert orphan["$parent_span_id"] == hex_id(0xDEF, 16)
    assert got["logs"] == []


def test_another_trace_has_only_its_own_events(client: httpx.Client, sent: Sent) -> None:
    got = get_trace(client, sent.other_trace_id)
    assert [s["$name"] for s in got["spans"]] == ["enqueue"]
    assert [log["$message"] for log in got["logs"]] == ["queued"]
    assert got["services"] == ["checkout"]
    assert got["errors"] == 0


def test_trace_id_is_case_insensitive(client: httpx.Client, sent: Sent) -> None:
    assert get_trace(client, sent.trace_id.upper()) == get_trace(client, sent.trace_id)


def test_unknown_trace_is_404(client: httpx.Client, sent: Sent) -> None:
    unknown = "0123456789abcdef0123456789abcdef"
    response = client.get(f"/api/traces/{unknown}")
    assert response.status_code == 404
    assert response.json()["message"] == f"no events with trace id {unknown}"


@pytest.mark.parametrize("bad", ["xyz", "0123456789abcdef", "g" * 32, "0" * 33],
                         ids=["word", "too-short", "not-hex", "too-long"])
def test_malformed_trace_id_is_400(client: httpx.Client, sent: Sent, bad: str) -> None:
    response = client.get(f"/api/traces/{bad}")
    assert response.status_code == 400
    assert response.json()["message"] == f"trace id {bad!r} is not 32 hex characters"


def test_a_huge_trace_id_is_not_echoed_whole(client: httpx.Client, sent: Sent) -> None:
    response = client.get(f"/api/traces/{'a' * 5000}")
    assert response.status_code == 400
    assert response.json()["message"] == f"trace id {'a' * 64 + '…'!r} is not 32 hex characters"


def test_an_ingest_key_cannot_read_traces(trace_server: RunningServer, sent: Sent) -> None:
    with trace_server.client(trace_server.create_key("ingest")) as ingest_only:
        assert ingest_only.get(f"/api/traces/{sent.trace_id}").status_code == 403
