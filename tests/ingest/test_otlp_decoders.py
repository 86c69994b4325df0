"""The pure OTLP decoders: request bytes in, a Batch out (no server)."""

from __future__ import annotations

import base64
import json
import math
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest
from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from limelight.exceptions import BadRequest
from limelight.ingest.otlp.common import Decoded, Target
from limelight.ingest.otlp.logs import decode_logs, level_of
from limelight.ingest.otlp.metrics import decode_metrics, exponential_bounds
from limelight.ingest.otlp.traces import decode_traces
from limelight.model import Batch

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
TRACE_ID = bytes(range(1, 17))
SPAN_ID = bytes(range(1, 9))
T0 = 1_700_000_000_000_000_000


def any_value(value: Any) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, bytes):
        return AnyValue(bytes_value=value)
    if isinstance(value, list):
        result = AnyValue()
        result.array_value.values.extend(any_value(v) for v in value)
        return result
    if isinstance(value, dict):
        result = AnyValue()
        result.kvlist_value.values.extend(kvs(value))
        return result
    if value is None:
        return AnyValue()
    return AnyValue(string_value=value)


def kvs(attrs: dict[str, Any]) -> list[KeyValue]:
    return [KeyValue(key=k, value=any_value(v)) for k, v in attrs.items()]


def rows(batch: Batch) -> list[dict[str, Any]]:
    """Each event as one dict: its system fields (None left out) and its attributes."""
    out: list[dict[str, Any]] = [
        {name: column[i] for name, column in batch.system.items() if column[i] is not None}
        for i in range(batch.size)
    ]
    for key, indices in batch.attr_rows.items():
        for index, value in zip(indices, batch.attr_values[key], strict=True):
            out[index][key] = value
    return out


def span_request(resource: dict[str, Any] | None = None, scope: str = "lib",
                 **fields: Any) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.extend(kvs(resource or {"service.name": "svc"}))
    scope_spans = resource_spans.scope_spans.add()
    scope_spans.scope.name = scope
    span = scope_spans.spans.add(trace_id=TRACE_ID, span_id=SPAN_ID, name="op",
                                 start_time_unix_nano=T0, end_time_unix_nano=T0 + 2_500_000)
    for key, value in fields.items():
        if key == "attributes":
            span.attributes.extend(kvs(value))
        else:
            setattr(span, key, value)
    return request


def decode(decoder: Callable[[bytes, str, Target], Decoded], message: Message,
           target: Target | None = None) -> Decoded:
    return decoder(message.SerializeToString(), PROTOBUF, target or Target("ds"))


def log_request(resource: dict[str, Any] | None = None, **fields: Any) -> ExportLogsServiceRequest:
    request = ExportLogsServiceRequest()
    resource_logs = request.resource_logs.add()
    resource_logs.resource.attributes.extend(kvs(resource or {"service.name": "svc"}))
    record = resource_logs.scope_logs.add().log_records.add(time_unix_nano=T0)
    for key, value in fields.items():
        if key == "attributes":
            record.attributes.extend(kvs(value))
        elif key == "body":
            record.body.CopyFrom(any_value(value))
        else:
            setattr(record, key, value)
    return request


def metric_request(resource: dict[str, Any] | None = None) -> ExportMetricsServiceRequest:
    request = ExportMetricsServiceRequest()
    resource_metrics = request.resource_metrics.add()
    resource_metrics.resource.attributes.extend(kvs(resource or {"service.name": "svc"}))
    resource_metrics.scope_metrics.add()
    return request


def gauge_request(resource: dict[str, Any] | None = None) -> ExportMetricsServiceRequest:
    request = metric_request(resource)
    metric = request.resource_metrics[0].scope_metrics[0].metrics.add(name="m")
    metric.gauge.data_points.add(time_unix_nano=T0, as_double=1.0)
    return request


# -- resources, service and namespace (every signal) ----------------------------------------

RESOURCES: list[tuple[str, dict[str, Any], str | None, str, str]] = [
    ("service-and-faas", {"service.name": "svc", "faas.name": "fn"}, None, "svc", "fn"),
    ("service-only", {"service.name": "svc"}, None, "svc", "svc"),
    ("no-service", {"host.name": "h"}, None, "unknown_service", "unknown_service"),
    ("empty-service", {"service.name": ""}, None, "unknown_service", "unknown_service"),
    ("service-not-text", {"service.name": 5}, None, "unknown_service", "unknown_service"),
    ("empty-faas", {"service.name": "svc", "faas.name": ""}, None, "svc", "svc"),
    ("header-namespace", {"service.name": "svc", "faas.name": "fn"}, "route", "svc", "route"),
]
SIGNALS: dict[str, tuple[Callable[[bytes, str, Target], Decoded],
                         Callable[[dict[str, Any]], Message]]] = {
    "traces": (decode_traces, lambda r: span_request(r)),
    "logs": (decode_logs, lambda r: log_request(r)),
    "metrics": (decode_metrics, lambda r: gauge_request(r)),
}


@pytest.mark.parametrize("signal", list(SIGNALS))
@pytest.mark.parametrize(("resource", "namespace_header", "service", "namespace"),
                         [r[1:] for r in RESOURCES], ids=[r[0] for r in RESOURCES])
def test_resource_gives_service_and_namespace(
    signal: str, resource: dict[str, Any], namespace_header: str | None, service: str,
    namespace: str,
) -> None:
    decoder, build = SIGNALS[signal]
    decoded = decode(decoder, build(resource), Target("custom-ds", namespace_header))
    assert decoded.batch.dataset == "custom-ds"
    assert decoded.rejected == 0
    (row,) = rows(decoded.batch)
    assert (row["$service"], row["$namespace"]) == (service, namespace)
    for key, value in resource.items():  # resource attributes keep their own names
        assert row[key] == value


def test_scope_name_version_and_attributes_are_kept() -> None:
    request = span_request()
    scope = request.resource_spans[0].scope_spans[0].scope
    scope.version = "1.2.3"
    scope.attributes.extend(kvs({"scope.attr": "x"}))
    (row,) = rows(decode(decode_traces, request).batch)
    assert (row["otel.scope.name"], row["otel.scope.version"], row["scope.attr"]) == (
        "lib", "1.2.3", "x")


# -- traces ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "name"), [
    (0, "unspecified"), (1, "internal"), (2, "server"), (3, "client"), (4, "producer"),
    (5, "consumer"), (9, "unspecified"),
], ids=["unspecified", "internal", "server", "client", "producer", "consumer", "unknown"])
def test_span_kinds(kind: int, name: str) -> None:
    (row,) = rows(decode(decode_traces, span_request(kind=kind)).batch)
    assert row["span.kind"] == name


@pytest.mark.parametrize(("code", "message", "status", "error"), [
    (0, "", "ok", False), (1, "", "ok", False), (2, "card declined", "error", True),
    (2, "", "error", True),
], ids=["unset", "ok", "error-with-message", "error-without-message"])
def test_status_gives_error(code: int, message: str, status: str, error: bool) -> None:
    request = span_request()
    span = request.resource_spans[0].scope_spans[0].spans[0]
    span.status.code = code
    span.status.message = message
    (row,) = rows(decode(decode_traces, request).batch)
    assert (row["$status"], row["$error"], row.get("$message")) == (status, error,
                                                                     message or None)


def test_span_fields() -> None:
    request = span_request(parent_span_id=bytes(range(9, 17)), trace_state="k=v",
                           attributes={"http.status_code": 200})
    (row,) = rows(decode(decode_traces, request).batch)
    assert row == {
        "$timestamp": T0, "$service": "svc", "$namespace": "svc", "$kind": "span",
        "$name": "op", "$trace_id": TRACE_ID.hex(), "$span_id": SPAN_ID.hex(),
        "$parent_span_id": bytes(range(9, 17)).hex(), "$duration_ms": 2.5, "$status": "ok",
        "$error": False, "service.name": "svc", "otel.scope.name": "lib",
        "http.status_code": 200, "span.kind": "unspecified", "trace.state": "k=v",
    }


def test_end_before_start_is_zero_duration() -> None:
    (row,) = rows(decode(decode_traces, span_request(end_time_unix_nano=T0 - 5)).batch)
    assert row["$duration_ms"] == 0


def test_exception_and_other_span_events() -> None:
    request = span_request()
    span = request.resource_spans[0].scope_spans[0].spans[0]
    span.events.add(time_unix_nano=T0 + 7, name="exception", attributes=kvs({
        "exception.type": "ValueError", "exception.message": "bad input",
        "exception.stacktrace": "Traceback ..."}))
    span.events.add(name="cache.miss", attributes=kvs({"key": "k1"}))  # no time: span start
    span_row, exception, other = rows(decode(decode_traces, request).batch)
    assert span_row["$kind"] == "span"
    assert span_row["$error"] is False  # an exception event alone does not fail the span
    assert exception == {
        "$timestamp": T0 + 7, "$service": "svc", "$namespace": "svc", "$kind": "span_event",
        "$name": "exception", "$trace_id": TRACE_ID.hex(), "$span_id": SPAN_ID.hex(),
        "$status": "error", "$error": True, "$message": "bad input", "service.name": "svc",
        "otel.scope.name": "lib", "exception.type": "ValueError",
        "exception.message": "bad input", "exception.stacktrace": "Traceback ...",
    }
    assert (other["$kind"], other["$name"], other["$timestamp"], other["$error"]) == (
        "span_event", "cache.miss", T0, False)
    assert "$status" not in other and "$message" not in other
    assert other["key"] == "k1"


def test_links() -> None:
    request = span_request()
    span = request.resource_spans[0].scope_spans[0].spans[0]
    span.links.add(trace_id=bytes(16 * [0xAB]), span_id=bytes(8 * [0xCD]),
                   attributes=kvs({"link.reason": "retry"}))
    _, link = rows(decode(decode_traces, request).batch)
    assert link == {
        "$timestamp": T0, "$service": "svc", "$namespace": "svc", "$kind": "link",
        "$name": "op", "$trace_id": TRACE_ID.hex(), "$span_id": SPAN_ID.hex(), "$error": False,
        "service.name": "svc", "otel.scope.name": "lib", "link.reason": "retry",
        "link.trace_id": "ab" * 16, "link.span_id": "cd" * 8,
    }


BAD_IDS: list[tuple[str, dict[str, bytes], str]] = [
    ("short-trace-id", {"trace_id": b"\x01\x02"}, "trace_id must be 16 non-zero bytes"),
    ("zero-trace-id", {"trace_id": bytes(16)}, "trace_id must be 16 non-zero bytes"),
    ("missing-trace-id", {"trace_id": b""}, "trace_id must be 16 non-zero bytes"),
    ("long-trace-id", {"trace_id": bytes(range(1, 18))}, "trace_id must be 16 non-zero bytes"),
    ("short-span-id", {"span_id": b"\x01"}, "span_id must be 8 non-zero bytes"),
    ("zero-span-id", {"span_id": bytes(8)}, "span_id must be 8 non-zero bytes"),
    ("missing-span-id", {"span_id": b""}, "span_id must be 8 non-zero bytes"),
]


def test_a_span_without_a_start_time_is_rejected() -> None:
    request = span_request(start_time_unix_nano=0)
    request.resource_spans[0].scope_spans[0].spans.add(
        trace_id=TRACE_ID, span_id=bytes(range(2, 10)), name="timed", start_time_unix_nano=T0)
    decoded = decode(decode_traces, request)
    assert [row["$name"] for row in rows(decoded.batch)] == ["timed"]
    assert (decoded.rejected, decoded.error) == (1, "span 'op': start_time_unix_nano is missing")


def test_a_span_past_2262_is_rejected() -> None:
    decoded = decode(decode_traces, span_request(start_time_unix_nano=2**63,
                                                 end_time_unix_nano=2**63 + 5))
    assert decoded.batch.size == 0
    assert (decoded.rejected, decoded.error) == (1, "span 'op': start_time_unix_nano is past 2262")


@pytest.mark.parametrize(("ids", "reason"), [b[1:] for b in BAD_IDS], ids=[b[0] for b in BAD_IDS])
def test_bad_ids_are_rejected_and_the_rest_kept(ids: dict[str, bytes], reason: str) -> None:
    request = span_request()
    spans = request.resource_spans[0].scope_spans[0].spans
    for i in range(3):
        bad = spans.add(trace_id=TRACE_ID, span_id=SPAN_ID, name=f"bad{i}",
                        start_time_unix_nano=T0, end_time_unix_nano=T0)
        for field, value in ids.items():
            setattr(bad, field, value)
        bad.events.add(name="lost")
    spans.add(trace_id=TRACE_ID, span_id=bytes(range(2, 10)), name="good2",
              start_time_unix_nano=T0)
    decoded = decode(decode_traces, request)
    assert decoded.rejected == 3
    assert decoded.error == f"span 'bad0': {reason}"
    assert [r["$name"] for r in rows(decoded.batch)] == ["op", "good2"]


def test_attribute_values_flatten() -> None:
    attributes = {"text": "t", "int": 7, "double": 1.5, "flag": False, "raw": b"\x00\xff",
                  "list": ["a", 1, True, {"k": "v"}], "nested": {"a": {"b": 1}, "c": "d"},
                  "empty": None}
    (row,) = rows(decode(decode_traces, span_request(attributes=attributes)).batch)
    assert row["text"] == "t"
    assert row["int"] == 7
    assert row["double"] == 1.5
    assert row["flag"] is False
    assert row["raw"] == base64.b64encode(b"\x00\xff").decode()
    assert json.loads(row["list"]) == ["a", 1, True, {"k": "v"}]
    assert (row["nested.a.b"], row["nested.c"]) == (1, "d")
    assert "empty" not in row and "nested" not in row


def test_otlp_json_hex_ids_and_int_strings() -> None:
    body = json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [{
        "traceId": "5B8EFFF798038103D269B633813FC60C", "spanId": "eee19b7ec3c1b174",
        "parentSpanId": "EEE19B7EC3C1B173", "name": "op", "kind": "SPAN_KIND_CLIENT",
        "startTimeUnixNano": str(T0), "endTimeUnixNano": str(T0 + 1_000_000),
        "attributes": [{"key": "n", "value": {"intValue": "42"}}],
    }]}]}]}).encode()
    decoded = decode_traces(body, JSON, Target("otel"))
    (row,) = rows(decoded.batch)
    assert (row["$trace_id"], row["$span_id"], row["$parent_span_id"]) == (
        "5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174", "eee19b7ec3c1b173")
    assert (row["span.kind"], row["n"], row["$duration_ms"]) == ("client", 42, 1.0)


Decoder = Callable[[bytes, str, Target], Decoded]
BAD_BODIES: list[tuple[str, Decoder, bytes, str, str]] = [
    ("traces-bad-hex-id", decode_traces,
     b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz"}]}]}]}',
     JSON, "invalid OTLP/JSON: traceId 'zz' is not hex"),
    ("traces-time-not-a-number", decode_traces,
     b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"startTimeUnixNano": "abc"}]}]}]}',
     JSON, "invalid OTLP/JSON: Failed to parse resourceSpans field"),
    ("logs-bad-hex-id", decode_logs,
     b'{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"spanId": "12345"}]}]}]}',
     JSON, "invalid OTLP/JSON: spanId '12345' is not hex"),
    ("metrics-wrong-shape", decode_metrics, b'{"resourceMetrics": "x"}', JSON,
     "invalid OTLP/JSON: "),
    *[(f"{name}-{case}", decoder, body, content_type, message)
      for name, decoder in (("traces", decode_traces), ("logs", decode_logs),
                            ("metrics", decode_metrics))
      for case, body, content_type, message in (
          ("json-array", b"[1, 2]", JSON, "OTLP/JSON body must be a JSON object"),
          ("not-json", b"{nope", JSON, "invalid OTLP/JSON: "),
          ("not-protobuf", b"\xff\xff garbage", PROTOBUF, "invalid OTLP protobuf: "),
      )],
]


@pytest.mark.parametrize(("decoder", "body", "content_type", "message"),
                         [b[1:] for b in BAD_BODIES], ids=[b[0] for b in BAD_BODIES])
def test_bad_bodies_are_bad_requests(decoder: Decoder, body: bytes, content_type: str,
                                     message: str) -> None:
    with pytest.raises(BadRequest) as info:
        decoder(body, content_type, Target("ds"))
    assert str(info.value).startswith(message)


# -- logs -----------------------------------------------------------------------------------

SEVERITIES: list[tuple[int, str, str | None]] = [
    *[(n, "", band) for band, first in (("trace", 1), ("debug", 5), ("info", 9), ("warn", 13),
                                        ("error", 17), ("fatal", 21))
      for n in (first, first + 3)],
    (17, "info", "error"),  # the number wins over the text
    (0, "WARNING", "warn"), (0, "warn", "warn"), (0, " Information ", "info"),
    (0, "notice", "info"), (0, "err", "error"), (0, "Critical", "fatal"), (0, "crit", "fatal"),
    (0, "emergency", "fatal"), (0, "alert", "fatal"), (0, "DEBUG", "debug"),
    (0, "trace", "trace"), (0, "bogus", None), (0, "", None), (25, "", None),
    (25, "error", "error"),
]


@pytest.mark.parametrize(("number", "text", "level"), SEVERITIES,
                         ids=[f"{n}-{t.strip() or 'none'}" for n, t, _ in SEVERITIES])
def test_severity_mapping(number: int, text: str, level: str | None) -> None:
    assert level_of(number, text) == level
    (row,) = rows(decode(decode_logs, log_request(severity_number=number,
                                                  severity_text=text)).batch)
    assert row.get("$level") == level
    failed = level in ("error", "fatal")
    assert row["$error"] is failed
    assert row.get("$status") == ("error" if failed else None)
    assert row.get("severity_text") == (text or None)
    assert row.get("severity_number") == (number or None)


BODIES: list[tuple[str, Any, str | None, dict[str, Any]]] = [
    ("string", "hello world", "hello world", {}),
    ("int", 5, "5", {}),
    ("double", 1.5, "1.5", {}),
    ("bool", True, "true", {}),
    ("bytes", b"\x01", base64.b64encode(b"\x01").decode(), {}),
    ("array", ["a", 2], '["a",2]', {}),
    ("map-with-message", {"message": "m", "user": {"id": 3}}, "m", {"user.id": 3}),
    ("map-with-msg", {"msg": "m2", "k": "v"}, "m2", {"k": "v"}),
    ("map-without-message", {"k": "v"}, None, {"k": "v"}),
    ("map-message-not-text", {"message": 5, "k": "v"}, "5", {"k": "v"}),
    ("map-message-and-msg", {"message": "m", "msg": "other"}, "m", {}),
    ("absent", None, None, {}),
]


@pytest.mark.parametrize(("body", "message", "attrs"), [b[1:] for b in BODIES],
                         ids=[b[0] for b in BODIES])
def test_log_bodies(body: Any, message: str | None, attrs: dict[str, Any]) -> None:
    (row,) = rows(decode(decode_logs, log_request(body=body)).batch)
    assert row.get("$message") == message
    for key, value in attrs.items():
        assert row[key] == value
    assert "message" not in row and ("msg" not in row or body == {"message": "m", "msg": "other"})


def test_a_structured_body_never_takes_an_attribute_as_its_message() -> None:
    request = log_request(body={"msg": "from the body"}, attributes={"message": "an attribute"})
    (row,) = rows(decode(decode_logs, request).batch)
    assert row["$message"] == "from the body"
    assert row["message"] == "an attribute"


def test_all_zero_log_ids_are_no_ids() -> None:
    request = log_request(trace_id=bytes(16), span_id=bytes(8), body="b")
    (row,) = rows(decode(decode_logs, request).batch)
    assert "$trace_id" not in row and "$span_id" not in row


def test_log_fields() -> None:
    request = log_request(trace_id=TRACE_ID, span_id=SPAN_ID, body="b", severity_number=9,
                          attributes={"k": 1}, event_name="page.view")
    (row,) = rows(decode(decode_logs, request).batch)
    assert row == {
        "$timestamp": T0, "$service": "svc", "$namespace": "svc", "$kind": "log",
        "$name": "page.view", "$trace_id": TRACE_ID.hex(), "$span_id": SPAN_ID.hex(),
        "$level": "info", "$error": False, "$message": "b", "service.name": "svc", "k": 1,
        "severity_number": 9,
    }


def test_exception_attributes_make_an_error_log() -> None:
    request = log_request(severity_number=9, attributes={"exception.type": "KeyError"})
    (row,) = rows(decode(decode_logs, request).batch)
    assert (row["$level"], row["$error"], row["$status"]) == ("info", True, "error")


def test_log_timestamps_fall_back_to_observed_then_now() -> None:
    observed = log_request(time_unix_nano=0, observed_time_unix_nano=T0 + 9)
    assert rows(decode(decode_logs, observed).batch)[0]["$timestamp"] == T0 + 9
    before = time.time_ns()
    stamp = rows(decode(decode_logs, log_request(time_unix_nano=0)).batch)[0]["$timestamp"]
    assert before <= stamp <= time.time_ns()


# -- metrics --------------------------------------------------------------------------------

def test_a_point_without_a_time_is_taken_as_of_its_arrival() -> None:
    request, metric = one_metric()
    metric.gauge.data_points.add(as_int=1)
    before = time.time_ns()
    (row,) = rows(decode(decode_metrics, request).batch)
    assert before <= row["$timestamp"] <= time.time_ns()


def one_metric(**data: Any) -> tuple[ExportMetricsServiceRequest, Any]:
    request = metric_request()
    metric = request.resource_metrics[0].scope_metrics[0].metrics.add(name="m", **data)
    return request, metric


@pytest.mark.parametrize(("value", "expected"), [
    ({"as_int": 7}, 7.0), ({"as_double": 2.25}, 2.25), ({"as_int": -3}, -3.0),
], ids=["int", "double", "negative"])
def test_gauge_values(value: dict[str, Any], expected: float) -> None:
    request, metric = one_metric(unit="ms", description="d")
    metric.gauge.data_points.add(time_unix_nano=T0, attributes=kvs({"host": "a"}), **value)
    (row,) = rows(decode(decode_metrics, request).batch)
    assert row == {
        "$timestamp": T0, "$service": "svc", "$namespace": "svc", "$kind": "metric",
        "$name": "m", "$error": False, "service.name": "svc", "metric.type": "gauge",
        "metric.unit": "ms", "metric.description": "d", "host": "a", "metric.value": expected,
    }
    assert type(row["metric.value"]) is float


@pytest.mark.parametrize(("temporality", "name"), [
    (0, "unspecified"), (1, "delta"), (2, "cumulative"), (7, "unspecified"),
], ids=["unspecified", "delta", "cumulative", "unknown-number"])
def test_sum_temporality(temporality: int, name: str) -> None:
    request, metric = one_metric()
    metric.sum.aggregation_temporality = temporality
    metric.sum.is_monotonic = True
    metric.sum.data_points.add(time_unix_nano=T0, start_time_unix_nano=T0 - 10, as_int=4)
    decoded = decode(decode_metrics, request)
    (row,) = rows(decoded.batch)
    assert (row["metric.temporality"], row["metric.monotonic"], row["metric.value"]) == (
        name, True, 4.0)
    assert row["metric.start_time"] == "2023-11-14T22:13:19.999999990Z"  # to the nanosecond
    assert "metric.unit" not in row and "metric.description" not in row


def test_summary() -> None:
    request, metric = one_metric()
    point = metric.summary.data_points.add(time_unix_nano=T0, count=10, sum=55.5)
    point.quantile_values.add(quantile=0.5, value=4.0)
    point.quantile_values.add(quantile=0.99, value=9.5)
    (row,) = rows(decode(decode_metrics, request).batch)
    assert row["metric.type"] == "summary"
    assert (row["metric.count"], row["metric.sum"]) == (10.0, 55.5)
    assert (row["metric.quantile.0.5"], row["metric.quantile.0.99"]) == (4.0, 9.5)


def test_explicit_histogram() -> None:
    request, metric = one_metric()
    metric.histogram.aggregation_temporality = 2
    metric.histogram.data_points.add(time_unix_nano=T0, count=6, sum=21.0, min=0.5, max=12.0,
                                     explicit_bounds=[1.0, 5.0], bucket_counts=[1, 3, 2])
    metric.histogram.data_points.add(time_unix_nano=T0, count=0)  # no sum, min or max
    full, bare = rows(decode(decode_metrics, request).batch)
    assert full["metric.temporality"] == "cumulative"
    assert (full["metric.count"], full["metric.sum"], full["metric.min"], full["metric.max"]) == (
        6.0, 21.0, 0.5, 12.0)
    assert json.loads(full["metric.bounds"]) == [1.0, 5.0]
    assert json.loads(full["metric.bucket_counts"]) == [1, 3, 2]
    assert bare["metric.count"] == 0
    assert not {"metric.sum", "metric.min", "metric.max"} & set(bare)


def test_exponential_histogram_becomes_explicit_bounds() -> None:
    request, metric = one_metric()
    point = metric.exponential_histogram.data_points.add(
        time_unix_nano=T0, count=12, sum=3.0, scale=1, zero_count=2, zero_threshold=0.001)
    point.positive.offset = -1
    point.positive.bucket_counts.extend([1, 2])
    point.negative.offset = 0
    point.negative.bucket_counts.extend([3, 4])
    (row,) = rows(decode(decode_metrics, request).batch)
    root2 = math.sqrt(2)
    # scale 1: base sqrt(2). Negative index 1 is [-2, -sqrt2), index 0 [-sqrt2, -1);
    # then the zero bucket; positive index -1 is (1/sqrt2, 1], index 0 (1, sqrt2].
    bounds = json.loads(row["metric.bounds"])
    counts = json.loads(row["metric.bucket_counts"])
    assert bounds == [-root2, -1.0, 0.0, 1.0, root2]
    assert counts == [4, 3, 2, 1, 2, 0]
    assert len(counts) == len(bounds) + 1  # read the same way as explicit histograms
    assert sum(counts) == 12
    assert (row["metric.scale"], row["metric.zero_count"], row["metric.zero_threshold"]) == (
        1.0, 2.0, 0.001)
    assert row["metric.type"] == "exponential_histogram"


def test_exponential_histogram_of_the_coarsest_scale() -> None:
    request, metric = one_metric()
    point = metric.exponential_histogram.data_points.add(time_unix_nano=T0, count=3, scale=-10)
    point.positive.offset = -1
    point.positive.bucket_counts.extend([1, 2])
    point.negative.bucket_counts.extend([0])
    (row,) = rows(decode(decode_metrics, request).batch)
    big = sys.float_info.max  # bucket 0 ends at 2 ** 1024, past every double
    assert json.loads(row["metric.bounds"]) == [-1.0, 0.0, 1.0, big]
    assert json.loads(row["metric.bucket_counts"]) == [0, 0, 1, 2, 0]


@pytest.mark.parametrize(("scale", "offset", "count", "expected"), [
    (0, 0, 3, [2.0, 4.0, 8.0]),
    (0, -2, 2, [0.5, 1.0]),
    (1, 0, 2, [math.sqrt(2), 2.0]),
    (3, -9, 2, [2.0**-1, 2.0**-0.875]),
    (-1, 0, 2, [4.0, 16.0]),
    (-10, -1, 2, [1.0, sys.float_info.max]),  # 2 ** 1024 is past the largest double
    (20, -(2**20) - 1, 2, [0.5, 2.0 ** (-1 + 2.0**-20)]),
], ids=["scale0", "negative-offset", "scale1", "scale3", "scale-minus1", "scale-minus10",
        "scale20"])
def test_exponential_bounds(scale: int, offset: int, count: int,
                            expected: list[float]) -> None:
    assert exponential_bounds(scale, offset, count) == expected  # exactly: powers of two


def test_metrics_partial_rejection() -> None:
    request, metric = one_metric()
    metric.gauge.data_points.add(time_unix_nano=T0, as_int=1)
    metric.gauge.data_points.add(time_unix_nano=T0)  # no value
    request.resource_metrics[0].scope_metrics[0].metrics.add(name="empty")  # no data at all
    decoded = decode(decode_metrics, request)
    assert decoded.rejected == 2
    assert decoded.error == "metric 'm': data point without a value"
    assert [r["metric.value"] for r in rows(decoded.batch)] == [1.0]
    only_empty, _ = one_metric()
    nothing = decode(decode_metrics, only_empty)
    assert (nothing.rejected, nothing.error, nothing.batch.size) == (1, "metric 'm' has no data", 0)
