"""Ingest answers bad input precisely and never drops what it acknowledged."""

from __future__ import annotations

import gzip
import threading
import time

import httpx
import msgspec
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from tests.conftest import RunningServer

PROTOBUF = {"content-type": "application/x-protobuf"}


def trace_request(count: int, bad_ids: int = 0) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    spans = request.resource_spans.add().scope_spans.add().spans
    for i in range(count + bad_ids):
        span = spans.add()
        span.name = f"op{i}"
        span.trace_id = (i + 1).to_bytes(16, "big") if i < count else b"\x01\x02"
        span.span_id = (i + 1).to_bytes(8, "big")
        span.start_time_unix_nano = time.time_ns() - 1_000_000
        span.end_time_unix_nano = time.time_ns()
    return request


def count(server: RunningServer, dataset: str = "otel") -> int:
    result = server.query({"datasets": [dataset], "calculations": ["COUNT"], "from": "1d"})
    return int(result["aggregates"][0]["values"]["COUNT"])  # type: ignore[index]


def test_protobuf_and_gzip_are_accepted(server: RunningServer) -> None:
    body = trace_request(5).SerializeToString()
    with server.client() as client:
        plain = client.post("/v1/traces", content=body, headers=PROTOBUF)
        zipped = client.post("/v1/traces", content=gzip.compress(body),
                             headers={**PROTOBUF, "content-encoding": "gzip"})
    assert plain.status_code == zipped.status_code == 200
    assert plain.headers["content-type"] == "application/x-protobuf"
    assert count(server) == 10


def test_garbage_is_400_with_a_status_body(server: RunningServer) -> None:
    with server.client() as client:
        response = client.post("/v1/traces", content=b"\xff\xff not protobuf", headers=PROTOBUF)
    assert response.status_code == 400
    status = status_pb2.Status.FromString(response.content)
    assert "invalid OTLP protobuf" in status.message


def test_bad_json_is_400(server: RunningServer) -> None:
    with server.client() as client:
        response = client.post("/v1/logs", content=b"{not json",
                               headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert "invalid OTLP/JSON" in response.json()["message"]


def test_bad_gzip_is_400(server: RunningServer) -> None:
    with server.client() as client:
        response = client.post("/v1/traces", content=b"not gzip",
                               headers={**PROTOBUF, "content-encoding": "gzip"})
    assert response.status_code == 400


def test_every_gzip_member_is_stored(server: RunningServer) -> None:
    first, second = trace_request(3), trace_request(4)
    body = gzip.compress(first.SerializeToString()) + gzip.compress(second.SerializeToString())
    lines = [msgspec.json.encode({"n": i}) for i in range(10)]
    events = gzip.compress(b"\n".join(lines[:5])) + gzip.compress(b"\n" + b"\n".join(lines[5:]))
    with server.client() as client:
        spans = client.post("/v1/traces", content=body,
                            headers={**PROTOBUF, "content-encoding": "gzip"})
        posted = client.post("/v1/events/members", content=events,
                             headers={"content-type": "application/x-ndjson",
                                      "content-encoding": "gzip"})
    assert spans.status_code == 200 and posted.status_code == 202
    assert count(server) == 7
    assert count(server, "members") == 10


def test_truncated_or_padded_gzip_is_400_and_stores_nothing(server: RunningServer) -> None:
    zipped = gzip.compress(b"\n".join(msgspec.json.encode({"n": i}) for i in range(2000)))
    headers = {"content-type": "application/x-ndjson", "content-encoding": "gzip"}
    with server.client() as client:
        answers = [client.post("/v1/events/cut", content=body, headers=headers)
                   for body in (zipped[: len(zipped) // 2], zipped[:-8], zipped + b"junk")]
        client.post("/v1/events/cut", content=b'{"n": -1}', headers={
            "content-type": "application/json"})
    assert [a.status_code for a in answers] == [400, 400, 400]
    assert "not valid gzip" in answers[0].json()["message"]
    assert count(server, "cut") == 1


def test_unsupported_content_type_is_415_naming_supported_types(server: RunningServer) -> None:
    with server.client() as client:
        response = client.post("/v1/metrics", content=b"x", headers={"content-type": "text/csv"})
    assert response.status_code == 415
    message = response.json()["message"]
    assert "application/x-protobuf" in message and "application/json" in message


def test_too_big_is_413_even_after_decompression(server: RunningServer) -> None:
    limit = server.settings.max_request_bytes
    with server.client() as client:
        big = client.post("/v1/traces", content=b"\0" * (limit + 1), headers=PROTOBUF)
        bomb = client.post("/v1/traces", content=gzip.compress(b"\0" * (limit + 1)),
                           headers={**PROTOBUF, "content-encoding": "gzip"})
    assert big.status_code == 413
    assert bomb.status_code == 413


def test_partial_success_counts_rejected_spans(server: RunningServer) -> None:
    body = trace_request(3, bad_ids=2).SerializeToString()
    with server.client() as client:
        response = client.post("/v1/traces", content=body, headers=PROTOBUF)
    assert response.status_code == 200
    answer = ExportTraceServiceResponse.FromString(response.content)
    assert answer.partial_success.rejected_spans == 2
    assert "trace_id" in answer.partial_success.error_message
    assert count(server) == 3


def test_full_queue_answers_429_with_retry_after_and_keeps_acked_rows(
    server: RunningServer,
) -> None:
    runtime = server.server.config.app.state.limelight  # type: ignore[attr-defined]
    body = trace_request(1000).SerializeToString()
    results: list[int] = []
    with runtime.store._write_lock:  # hold the writer: requests pile up in the queue
        waiting = threading.Thread(
            target=lambda: results.append(
                httpx.post(f"{server.url}/v1/traces", content=body,
                           headers={**PROTOBUF, "x-api-key": server.admin_key}).status_code
            )
        )
        waiting.start()
        deadline = time.monotonic() + 10
        while runtime.queue.waiting_rows == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        runtime.queue._max_rows = 1500
        with server.client() as client:
            refused = client.post("/v1/traces", content=body, headers=PROTOBUF)
    waiting.join(timeout=30)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "1"
    assert results == [200]
    assert count(server) == 1000


def test_events_api_accepts_array_and_ndjson(server: RunningServer) -> None:
    with server.client() as client:
        array = client.post("/v1/events/app", json=[{"message": "a"}, {"message": "b"}],
                            headers={"x-service": "shop", "x-namespace": "checkout"})
        ndjson = client.post("/v1/events/app", content=b'{"message":"c"}\n{"message":"d"}\n')
    assert array.status_code == ndjson.status_code == 202
    assert array.json() == {"message": "Request Accepted"}
    result = server.query({"datasets": ["app"], "calculations": ["COUNT"],
                           "groupBys": ["$service", "$namespace"], "from": "1h"})
    groups = {tuple(a["groups"].values()): a["values"]["COUNT"]  # type: ignore[union-attr]
              for a in result["aggregates"]}  # type: ignore[union-attr]
    assert groups == {("shop", "checkout"): 2, ("default", "default"): 2}


def test_events_api_lists_invalid_events_and_keeps_the_good_ones(server: RunningServer) -> None:
    too_big = msgspec.json.encode({"message": "x" * (server.settings.max_event_bytes + 1)})
    body = b'{"message":"good"}\n[1,2]\n{broken\n' + too_big + b'\n{"message":"also good"}\n'
    with server.client() as client:
        response = client.post("/v1/events/app", content=body)
    assert response.status_code == 400
    answer = response.json()
    assert answer["accepted"] == 2
    assert [item["index"] for item in answer["invalid"]] == [1, 2, 3]
    assert "JSON object" in answer["invalid"][0]["error"]
    assert "bytes" in answer["invalid"][2]["error"]
    assert count(server, "app") == 2


def test_events_api_request_limit_is_413(server: RunningServer) -> None:
    body = b'{"m":"' + b"x" * server.settings.max_events_request_bytes + b'"}'
    with server.client() as client:
        response = client.post("/v1/events/app", content=body)
    assert response.status_code == 413


def test_events_api_rejects_a_bad_dataset_name(server: RunningServer) -> None:
    with server.client() as client:
        answers = [client.post(f"/v1/events/{name}", json=[{"message": "x"}])
                   for name in ("Bad%20Name", "trailing-newline%0A", "-dash", "x" * 64)]
    assert [a.status_code for a in answers] == [400] * 4
    assert all("dataset" in a.json()["message"] for a in answers)
    with server.client() as client:
        assert client.get("/api/datasets").json()["datasets"] == []


def test_events_field_mapping(server: RunningServer) -> None:
    event = {"timestamp": "2026-01-02T03:04:05.123Z", "msg": "paid", "level": "WARNING",
             "traceId": "ab" * 16, "duration": 12.5, "error": "card declined",
             "service": "billing", "order": {"total": 9.5, "items": [1, 2]}}
    with server.client() as client:
        assert client.post("/v1/events/app", json=[event]).status_code == 202
    result = server.query({"datasets": ["app"], "from": "2026-01-01T00:00:00Z",
                           "to": "2026-01-03T00:00:00Z"})
    (stored,) = result["events"]  # type: ignore[misc]
    assert stored["$timestamp"] == "2026-01-02T03:04:05.123000000Z"
    assert stored["$message"] == "paid"
    assert stored["$level"] == "warn"
    assert stored["$trace_id"] == "ab" * 16
    assert stored["$duration_ms"] == 12.5
    assert stored["$error"] is True
    assert stored["$service"] == "billing"
    assert stored["order.total"] == 9.5
    assert stored["order.items"] == "[1,2]"


def test_events_that_round_trip_through_the_query_api(server: RunningServer) -> None:
    sent = {"$timestamp": "2026-01-02T03:04:05.000000001Z", "$service": "billing",
            "$message": "paid", "$level": "error", "$duration_ms": 3.5, "$trace_id": "cd" * 16,
            "$dataset": "elsewhere", "$id": 42, "$custom": "kept", "amount": 2**63 + 5}
    with server.client() as client:
        assert client.post("/v1/events/again", json=[sent, {"message": "plain"}],
                           headers={"x-service": "shop"}).status_code == 202
    result = server.query({"datasets": ["again"], "from": "2026-01-01T00:00:00Z",
                           "to": "2026-01-03T00:00:00Z"})
    (stored,) = result["events"]  # type: ignore[misc]
    assert stored["$timestamp"] == sent["$timestamp"]
    for field in ("$service", "$message", "$level", "$duration_ms", "$trace_id"):
        assert stored[field] == sent[field], field
    assert stored["$dataset"] == "again" and stored["$id"] != 42
    assert stored["$custom"] == "kept"
    assert stored["amount"] == 2**63 + 5  # exactly, though no double holds it
    plain = server.query({"datasets": ["again"], "filters": ["$service = shop"], "from": "1h"})
    assert [e["$message"] for e in plain["events"]] == ["plain"]  # type: ignore[index, union-attr]


def test_events_with_a_time_that_cannot_be_stored_are_invalid(server: RunningServer) -> None:
    body = [{"timestamp": 10**19, "message": "far"}, {"message": "good"},
            {"timestamp": "9999-12-31T23:59:59Z"}, {"duration": 10**400}]
    with server.client() as client:
        response = client.post("/v1/events/times",
                               content=b"\n".join(msgspec.json.encode(e) for e in body))
    assert response.status_code == 400
    answer = response.json()
    assert answer["accepted"] == 1
    assert [item["index"] for item in answer["invalid"]] == [0, 2, 3]
    assert "2262" in answer["invalid"][0]["error"]
    assert count(server, "times") == 1


def test_a_bad_request_does_not_fail_the_others_committed_with_it(server: RunningServer) -> None:
    good = [{"message": f"good {i}"} for i in range(20)]
    bad = [{"big": 2**64 + 1, "": "empty key", "nul\u0000": 1, "$kind": "spoofed"}]
    results: list[int] = []

    def send(body: list[dict[str, object]]) -> None:
        with server.client() as client:
            results.append(client.post("/v1/events/mixed", json=body).status_code)

    threads = [threading.Thread(target=send, args=(bad if i % 3 == 0 else good,))
               for i in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [202] * 24
    assert count(server, "mixed") == 16 * 20 + 8
    spoofed = server.query({"datasets": ["mixed"], "filters": ["$kind = spoofed"],
                            "calculations": ["COUNT"], "from": "1h"})
    assert spoofed["aggregates"][0]["values"]["COUNT"] == 0  # type: ignore[index]


def test_json_nested_thousands_deep_is_400_everywhere(server: RunningServer) -> None:
    depth = 20_000
    deep = b'{"a":' * depth + b"1" + b"}" * depth
    targets = [
        ("/v1/events/deep", b"[" + deep + b"]", "application/json"),
        ("/v1/logs", b'{"resourceLogs": [' + deep + b"]}", "application/json"),
        ("/api/query", b'{"datasets": ["otel"], "filters": [' + deep + b"]}", "application/json"),
        ("/loki/api/v1/push", b'{"streams": [' + deep + b"]}", "application/json"),
        ("/api/1/store/", deep, "application/json"),
    ]
    with server.client() as client:
        for path, body, content_type in targets:
            answer = client.post(path, content=body, headers={"content-type": content_type})
            assert answer.status_code == 400, (path, answer.status_code, answer.text[:200])
        assert client.get("/healthz").status_code == 200


def test_a_number_written_in_other_digits_is_400_not_500(server: RunningServer) -> None:
    with server.client() as client:
        for path in ("/api/errors?offset=\u00b2", "/api/errors?limit=\u0663",
                     "/api/v1/metadata?limit=\u00b2"):
            answer = client.get(path)
            assert answer.status_code == 400, (path, answer.status_code, answer.text[:200])


def test_a_body_that_says_it_is_not_json_is_415(server: RunningServer) -> None:
    with server.client() as client:
        for path in ("/v1/events/typed", "/api/query"):
            for kind in ("application/xml", "application/x-protobuf"):
                answer = client.post(path, content=b"[]", headers={"content-type": kind})
                assert answer.status_code == 415, (path, kind, answer.text)
                assert "send application/json" in answer.json()["message"]
        for kind in ("application/json; charset=utf-8", "application/x-ndjson", "text/plain",
                     "application/x-www-form-urlencoded", ""):
            answer = client.post("/v1/events/typed", content=b'{"message": "ok"}',
                                 headers={"content-type": kind})
            assert answer.status_code == 202, (kind, answer.text)
