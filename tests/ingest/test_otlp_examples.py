"""The OTLP/JSON examples published with the protocol are accepted as they are, and every
value in them comes back out of a query."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from limelight.timeparse import format_ns
from tests.conftest import RunningServer

EXAMPLES = Path(__file__).resolve().parents[3] / "shared" / "data" / "otlp-examples"
if not EXAMPLES.is_dir():  # a clone with shared/ beside it, or the usual workspace
    EXAMPLES = Path("/work/shared/data/otlp-examples")
FILES = {"trace.json": "/v1/traces", "logs.json": "/v1/logs", "metrics.json": "/v1/metrics",
         "events.json": "/v1/logs"}
WINDOW = {"from": "2018-12-13T14:00:00Z", "to": "2018-12-13T16:00:00Z"}
TRACE_ID = "5b8efff798038103d269b633813fc60c"


def example(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EXAMPLES / name).read_text())
    return document


def attribute_values(kvs: list[dict[str, Any]], prefix: str = "") -> dict[str, Any]:
    """OTLP/JSON attributes as the flat, typed values a query should return."""
    out: dict[str, Any] = {}
    for kv in kvs:
        key, value = prefix + kv["key"], kv["value"]
        if "kvlistValue" in value:
            out.update(attribute_values(value["kvlistValue"]["values"], key + "."))
        elif "arrayValue" in value:
            items = [plain(v) for v in value["arrayValue"]["values"]]
            out[key] = json.dumps(items, separators=(",", ":"))
        else:
            out[key] = plain(value)
    return out


def plain(value: dict[str, Any]) -> Any:
    (kind, raw), = value.items()
    return {"stringValue": str, "boolValue": bool, "intValue": int,
            "doubleValue": float}[kind](raw)


def resource_and_scope(resource: dict[str, Any], scope: dict[str, Any]) -> dict[str, Any]:
    return {
        **attribute_values(resource["attributes"]),
        "otel.scope.name": scope["name"],
        "otel.scope.version": scope["version"],
        **attribute_values(scope["attributes"]),
    }


@pytest.fixture(scope="module")
def client(shared_server: RunningServer) -> Iterator[httpx.Client]:
    with shared_server.client() as admin:
        for name, path in FILES.items():
            response = admin.post(path, content=(EXAMPLES / name).read_bytes(),
                                  headers={"content-type": "application/json"})
            assert response.status_code == 200, (name, response.text)
            assert response.headers["content-type"] == "application/json"
            assert response.json().get("partialSuccess", {}) == {}, (name, response.text)
        yield admin


def events(client: httpx.Client, dataset: str, **spec: Any) -> list[dict[str, Any]]:
    response = client.post("/api/query", json={"datasets": [dataset], **WINDOW, **spec})
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["events"]
    for event in found:
        assert isinstance(event.pop("$id"), int)
        assert event.pop("$dataset") == dataset
    return found


def test_examples_are_where_the_test_reads_them() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.json")) == sorted(FILES)


def test_trace_example(client: httpx.Client) -> None:
    doc = example("trace.json")["resourceSpans"][0]
    scope = doc["scopeSpans"][0]
    span = scope["spans"][0]
    (event,) = events(client, "otel")
    assert event == {
        **resource_and_scope(doc["resource"], scope["scope"]),
        **attribute_values(span["attributes"]),
        "$timestamp": format_ns(int(span["startTimeUnixNano"])),
        "$service": "my.service",
        "$namespace": "my.service",
        "$kind": "span",
        "$name": span["name"],
        "$trace_id": span["traceId"].lower(),
        "$span_id": span["spanId"].lower(),
        "$parent_span_id": span["parentSpanId"].lower(),
        "$duration_ms": (int(span["endTimeUnixNano"]) - int(span["startTimeUnixNano"])) / 1e6,
        "$status": "ok",
        "$error": False,
        "span.kind": "server",  # kind 2
    }
    assert event["my.span.attr"] == "some value"
    assert event["$duration_ms"] == 1000


def test_trace_example_by_trace_id(client: httpx.Client) -> None:
    response = client.get(f"/api/traces/{TRACE_ID.upper()}")
    assert response.status_code == 200
    trace = response.json()
    # The span's parent was never sent, so it is the root; the log record shares the trace.
    assert [s["$name"] for s in trace["spans"]] == ["I'm a server span"]
    assert [log["$message"] for log in trace["logs"]] == ["Example log record"]


def test_logs_example(client: httpx.Client) -> None:
    doc = example("logs.json")["resourceLogs"][0]
    scope = doc["scopeLogs"][0]
    record = scope["logRecords"][0]
    (event,) = events(client, "logs", filters=["$message EXISTS"])
    assert event == {
        **resource_and_scope(doc["resource"], scope["scope"]),
        **attribute_values(record["attributes"]),
        "$timestamp": format_ns(int(record["timeUnixNano"])),
        "$service": "my.service",
        "$namespace": "my.service",
        "$kind": "log",
        "$trace_id": record["traceId"].lower(),
        "$span_id": record["spanId"].lower(),
        "$level": "info",  # severity number 10
        "$error": False,
        "$message": record["body"]["stringValue"],
        "severity_text": record["severityText"],
        "severity_number": record["severityNumber"],
    }
    assert record["observedTimeUnixNano"] == record["timeUnixNano"]
    # Every value type of the example, spelled out.
    assert event["string.attribute"] == "some string"
    assert event["boolean.attribute"] is True
    assert event["int.attribute"] == 10
    assert event["double.attribute"] == 637.704
    assert json.loads(event["array.attribute"]) == ["many", "values"]
    assert event["map.attribute.some.map.key"] == "some value"


def test_events_example(client: httpx.Client) -> None:
    doc = example("events.json")["resourceLogs"][0]
    scope = doc["scopeLogs"][0]
    record = scope["logRecords"][0]
    (event,) = events(client, "logs", filters=[f"$name = {record['eventName']}"])
    assert event == {
        **resource_and_scope(doc["resource"], scope["scope"]),
        **attribute_values(record["attributes"]),
        **attribute_values(record["body"]["kvlistValue"]["values"]),
        "$timestamp": format_ns(int(record["timeUnixNano"])),
        "$service": "my.service",
        "$namespace": "my.service",
        "$kind": "log",
        "$name": "browser.page_view",
        "$level": "info",  # severity number 9
        "$error": False,
        "severity_text": "test severity text",
        "severity_number": 9,
    }
    assert (event["type"], event["title"]) == (0, "Free Online GUID Generator")


def test_metrics_example(client: httpx.Client) -> None:
    doc = example("metrics.json")["resourceMetrics"][0]
    scope = doc["scopeMetrics"][0]
    common = resource_and_scope(doc["resource"], scope["scope"])
    found = {e["$name"]: e for e in events(client, "metrics")}
    assert sorted(found) == sorted(m["name"] for m in scope["metrics"])
    for metric in scope["metrics"]:
        kind = next(k for k in ("sum", "gauge", "histogram", "exponentialHistogram") if k in metric)
        (point,) = metric[kind]["dataPoints"]
        event = found[metric["name"]]
        expected: dict[str, Any] = {
            **common,
            **attribute_values(point["attributes"]),
            "$timestamp": format_ns(int(point["timeUnixNano"])),
            "$service": "my.service",
            "$namespace": "my.service",
            "$kind": "metric",
            "$name": metric["name"],
            "$error": False,
            "metric.type": {"exponentialHistogram": "exponential_histogram"}.get(kind, kind),
            "metric.unit": metric["unit"],
            "metric.description": metric["description"],
        }
        if "startTimeUnixNano" in point:
            expected["metric.start_time"] = format_ns(int(point["startTimeUnixNano"]))
        if "aggregationTemporality" in metric[kind]:
            assert metric[kind]["aggregationTemporality"] == 1
            expected["metric.temporality"] = "delta"
        if kind == "sum":
            expected["metric.monotonic"] = metric[kind]["isMonotonic"]
        if kind in ("sum", "gauge"):
            expected["metric.value"] = point["asDouble"]
        else:
            expected.update({"metric.count": int(point["count"]), "metric.sum": point["sum"],
                             "metric.min": point["min"], "metric.max": point["max"]})
        bounds = event.pop("metric.bounds", None)
        counts = event.pop("metric.bucket_counts", None)
        if kind == "histogram":
            assert json.loads(bounds) == point["explicitBounds"]
            assert json.loads(counts) == [int(c) for c in point["bucketCounts"]]
        elif kind == "exponentialHistogram":
            expected.update({"metric.scale": point["scale"],
                             "metric.zero_count": int(point["zeroCount"]),
                             "metric.zero_threshold": point["zeroThreshold"]})
            # scale 0: base 2; positive buckets from index 1 are (2, 4] and (4, 8];
            # the zero bucket ends at 0; nothing lies above the last bound.
            assert json.loads(bounds) == [0, 4, 8]
            assert json.loads(counts) == [1, 0, 2, 0]
            offset = point["positive"]["offset"]
            assert [int(c) for c in point["positive"]["bucketCounts"]] == json.loads(counts)[1:3]
            assert 2 ** (offset + 1) == json.loads(bounds)[1]
        else:
            assert bounds is None and counts is None
        assert event == expected, metric["name"]


def test_examples_answer_calculations(client: httpx.Client) -> None:
    def run(spec: dict[str, Any]) -> list[dict[str, Any]]:
        response = client.post("/api/query", json={**WINDOW, **spec})
        assert response.status_code == 200, response.text
        rows: list[dict[str, Any]] = response.json()["aggregates"]
        return rows

    assert run({"datasets": ["metrics"], "calculations": ["SUM(metric.value)", "COUNT",
                                                          "MAX(metric.max)"]}) == [
        {"groups": {}, "values": {"SUM(metric.value)": 15, "COUNT": 4, "MAX(metric.max)": 5}}]
    assert run({"datasets": ["logs"], "calculations": ["COUNT"], "groupBys": ["$name"],
                "orderBy": {"value": "$name", "order": "ASC"}}) == [
        {"groups": {"$name": "browser.page_view"}, "values": {"COUNT": 1}},
        {"groups": {"$name": None}, "values": {"COUNT": 1}},
    ]
    assert run({"datasets": ["otel", "logs"], "calculations": ["COUNT"],
                "groupBys": ["$dataset"], "filters": [f"$trace_id = {TRACE_ID}"],
                "orderBy": {"value": "$dataset", "order": "ASC"}}) == [
        {"groups": {"$dataset": "logs"}, "values": {"COUNT": 1}},
        {"groups": {"$dataset": "otel"}, "values": {"COUNT": 1}},
    ]
    assert run({"datasets": ["logs"], "calculations": ["AVG(double.attribute)"],
                "filters": ["boolean.attribute = true", "int.attribute >= 10"]}) == [
        {"groups": {}, "values": {"AVG(double.attribute)": 637.704}}]
