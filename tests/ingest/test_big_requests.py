"""Big OTLP requests take the decoder-process path; what they store must match small requests."""

from __future__ import annotations

import time

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.conftest import RunningServer
from tests.errors.helpers import settled

PROTOBUF = {"content-type": "application/x-protobuf"}


def request(spans: int, offset: int = 0) -> ExportTraceServiceRequest:
    message = ExportTraceServiceRequest()
    resource_spans = message.resource_spans.add()
    for key, value in (("service.name", "checkout"), ("faas.name", "pay-fn"),
                       ("shared.key", "from-resource")):
        attribute = resource_spans.resource.attributes.add()
        attribute.key, attribute.value.string_value = key, value
    scope_spans = resource_spans.scope_spans.add()
    now = time.time_ns()
    for i in range(offset, offset + spans):
        span = scope_spans.spans.add()
        span.trace_id = (i // 4 + 1).to_bytes(16, "big")
        span.span_id = (i + 1).to_bytes(8, "big")
        span.name = f"op-{i % 7}"
        span.start_time_unix_nano = now - 10_000_000 + i
        span.end_time_unix_nano = now - 10_000_000 + i + 1_000_000 * (i % 13)
        span.status.code = 2 if i % 11 == 0 else 0
        for key, value in (("http.route", f"/r/{i % 5}"), ("shared.key", f"span-{i % 3}")):
            attribute = span.attributes.add()
            attribute.key, attribute.value.string_value = key, value
        number = span.attributes.add()
        number.key, number.value.int_value = "http.response.status_code", 200 + i % 3
    return message


def stored(server: RunningServer, dataset: str) -> list[dict[str, object]]:
    result = server.query({"datasets": [dataset], "from": "1h", "limit": 10_000})
    events: list[dict[str, object]] = result["events"]  # type: ignore[assignment]
    rows = [{k: v for k, v in e.items() if k not in ("$id", "$dataset")} for e in events]
    return sorted(rows, key=lambda e: str(e["$span_id"]))


def test_a_big_request_stores_the_same_rows_as_small_ones(server: RunningServer) -> None:
    big = request(2000)
    assert big.ByteSize() > 64 * 1024  # over the threshold for decoding in worker processes
    with server.client() as client:
        for _ in range(3):  # the first big request starts the workers; later ones use them
            response = client.post("/v1/traces", content=big.SerializeToString(),
                                   headers={**PROTOBUF, "x-limelight-dataset": "big"})
            assert response.status_code == 200
        for offset in range(0, 2000, 100):
            small = request(100, offset)
            response = client.post("/v1/traces", content=small.SerializeToString(),
                                   headers={**PROTOBUF, "x-limelight-dataset": "small"})
            assert response.status_code == 200
    big_rows = stored(server, "big")
    small_rows = stored(server, "small")
    assert len(big_rows) == 6000 and len(small_rows) == 2000
    unique_big = list({str(r["$span_id"]): r for r in big_rows}.values())
    for a, b in zip(unique_big, small_rows, strict=True):
        assert {k: v for k, v in a.items() if k != "$timestamp"} == {
            k: v for k, v in b.items() if k != "$timestamp"}
    first = small_rows[0]
    assert first["shared.key"] == "span-0"  # a span attribute wins over the resource's
    assert first["$namespace"] == "pay-fn"
    assert first["http.response.status_code"] == 200


def with_exceptions(message: ExportTraceServiceRequest, salt: str) -> ExportTraceServiceRequest:
    """Every failed span gets an `exception` event (one bug per span name)."""
    for span in message.resource_spans[0].scope_spans[0].spans:
        if span.status.code == 2:
            event = span.events.add()
            event.name, event.time_unix_nano = "exception", span.end_time_unix_nano
            for key, value in (("exception.type", f"Op{span.name[-1]}Error"),
                               ("exception.message", f"{span.name} failed {salt}")):
                attribute = event.attributes.add()
                attribute.key, attribute.value.string_value = key, value
    return message


def test_big_requests_feed_error_groups_and_dataset_policies(server: RunningServer) -> None:
    """Requests decoded in worker processes arrive as columnar tables: error tracking and
    dataset policies must see their rows all the same."""
    with server.client() as client:
        for n in range(3):  # the first creates the columns; later ones come back prepared
            body = with_exceptions(request(2000), f"#{n}").SerializeToString()
            response = client.post("/v1/traces", content=body, headers=PROTOBUF)
            assert response.status_code == 200
        settled(server)
        found = client.get("/api/errors", params={"limit": 100}).json()["errors"]
        assert len(found) == 7  # one group per span name, whatever the request
        assert sum(g["count"] for g in found) == 3 * len(range(0, 2000, 11))

        policy = {"blocked_keys": ["shared.key"], "obfuscated_keys": ["http.route"]}
        applied = client.put("/api/resources/shop", json={
            "otel": {"type": "dataset", "properties": policy}})
        assert applied.status_code == 200
        response = client.post("/v1/traces", content=request(2000, 5000).SerializeToString(),
                               headers=PROTOBUF)
        assert response.status_code == 200
    latest = server.query({"datasets": ["otel"], "filters": ["$span_id = 0000000000001389"],
                           "from": "1h"})["events"]
    [span] = latest  # type: ignore[misc]
    assert "shared.key" not in span
    assert str(span["http.route"]).startswith("obf:")
