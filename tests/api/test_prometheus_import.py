"""Prometheus into the server: the real prometheus_client's exposition through
POST /api/v1/import/prometheus, and remote write through POST /api/v1/write."""

from __future__ import annotations

import json

import cramjam
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Summary
from prometheus_client.exposition import generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as om_latest

from tests.conftest import RunningServer
from tests.ingest.test_remote_write import write_body

IMPORT = "/api/v1/import/prometheus"


def test_prometheus_client_metrics_land_in_the_metrics_dataset(server: RunningServer) -> None:
    registry = CollectorRegistry()
    requests = Counter("shop_requests", "Requests", ["route"], registry=registry)
    requests.labels(route="/pay").inc(7)
    requests.labels(route="/cart").inc(2)
    Gauge("shop_queue_depth", "Queue", registry=registry).set(42)
    latency = Histogram("shop_latency_seconds", "Latency", buckets=(0.1, 0.5),
                        registry=registry)
    for value in (0.05, 0.2, 0.3, 0.9):
        latency.observe(value)
    Summary("shop_payload_bytes", "Payload", registry=registry).observe(512)
    ingest_key = server.create_key("ingest")
    with server.client(ingest_key) as client:
        response = client.post(IMPORT, content=generate_latest(registry),
                               params={"extra_label": "job=shop"})
        assert response.status_code == 204, response.text
        garbage = client.post(IMPORT, content=b'broken{label="x} 1\n')
        bad_label = client.post(IMPORT, content=b"a 1\n", params={"extra_label": "x"})
    with server.client(server.create_key("query")) as reader:
        refused = reader.post(IMPORT, content=b"a 1\n")
    assert garbage.status_code == 400 and "not Prometheus text" in garbage.json()["message"]
    assert bad_label.status_code == 400 and "name=value" in bad_label.json()["message"]
    assert refused.status_code == 403

    result = server.query({"datasets": ["metrics"], "from": "10m", "limit": 100})
    by_name: dict[str, list[dict[str, object]]] = {}
    for event in result["events"]:  # type: ignore[union-attr]
        by_name.setdefault(str(event["$name"]), []).append(event)
    counters = {e["route"]: e["metric.value"] for e in by_name["shop_requests_total"]}
    assert counters == {"/pay": 7, "/cart": 2}
    assert by_name["shop_requests_total"][0]["metric.type"] == "sum"
    assert by_name["shop_requests_total"][0]["$service"] == "shop"
    [gauge] = by_name["shop_queue_depth"]
    assert gauge["metric.value"] == 42 and gauge["metric.type"] == "gauge"
    [histogram] = by_name["shop_latency_seconds"]
    assert histogram["metric.type"] == "histogram" and histogram["metric.count"] == 4
    assert json.loads(str(histogram["metric.bounds"])) == [0.1, 0.5]
    assert json.loads(str(histogram["metric.bucket_counts"])) == [1, 2, 1]
    [summary] = by_name["shop_payload_bytes"]
    assert (summary["metric.count"], summary["metric.sum"]) == (1, 512)
    # One query reads them like OTLP metrics: the sum of a counter by route.
    totals = server.query({"datasets": ["metrics"], "calculations": ["SUM(metric.value)"],
                           "filters": ["$name = shop_requests_total"], "from": "10m"})
    assert totals["aggregates"][0]["values"]["SUM(metric.value)"] == 9  # type: ignore[index]


def test_remote_write_from_prometheus(server: RunningServer) -> None:
    headers = {"content-type": "application/x-protobuf", "content-encoding": "snappy",
               "x-prometheus-remote-write-version": "0.1.0"}
    bomb = bytes(cramjam.snappy.compress_raw(b"\0" * (server.settings.max_request_bytes + 1)))
    with server.client(server.create_key("ingest")) as client:
        written = client.post("/api/v1/write", content=write_body(), headers=headers)
        garbage = client.post("/api/v1/write", content=b"\x05junk", headers=headers)
        too_big = client.post("/api/v1/write", content=bomb, headers=headers)
        wrong = client.post("/api/v1/write", content=b"x",
                            headers={"content-type": "application/json"})
        version_1 = client.post("/api/v1/write", content=write_body(), headers={
            **headers, "content-type": "application/x-protobuf;proto=prometheus.WriteRequest"})
        version_2 = client.post("/api/v1/write", content=write_body(), headers={
            **headers, "x-prometheus-remote-write-version": "2.0.0",
            "content-type": "application/x-protobuf;proto=io.prometheus.write.v2.Request"})
    assert written.status_code == 204, written.text
    assert version_1.status_code == 204
    assert version_2.status_code == 415 and "remote write 1.0" in version_2.json()["message"]
    assert garbage.status_code == 400 and "snappy" in garbage.json()["message"]
    assert too_big.status_code == 413
    assert wrong.status_code == 415
    result = server.query({"datasets": ["metrics"], "calculations": ["MAX(metric.value)"],
                           "filters": ["$name = http_requests_total", "job = shop"],
                           "from": "2023-11-14T00:00:00Z", "to": "2023-11-16T00:00:00Z"})
    assert result["aggregates"][0]["values"]["MAX(metric.value)"] == 1030  # type: ignore[index]


def test_times_no_store_keeps_are_400_naming_them(server: RunningServer) -> None:
    with server.client(server.create_key("ingest")) as client:
        infinite = client.post(IMPORT, content=b'ex_inf{job="x"} 1 +Inf\n')
        far = client.post(IMPORT, content=b"ex_far 1 99999999999999999999\n")
        fine = client.post(IMPORT, content=b"ex_fine 1\n")
    assert infinite.status_code == 400
    assert "sample ex_inf: timestamp inf is not a time" in infinite.json()["message"]
    assert far.status_code == 400 and "1677-09-21 to 2262-04-11" in far.json()["message"]
    assert fine.status_code == 204


def test_openmetrics_summaries_and_broken_histograms(server: RunningServer) -> None:
    registry = CollectorRegistry()
    Counter("om_requests", "Requests", registry=registry).inc(3)
    Summary("om_payload_bytes", "Payload", registry=registry).observe(512)
    openmetrics = {"content-type": "application/openmetrics-text; version=1.0.0"}
    not_cumulative = (b'# TYPE h histogram\nh_bucket{le="1"} 5\nh_bucket{le="2"} 3\n'
                      b'h_bucket{le="+Inf"} 5\nh_count 5\nh_sum 7\n')
    with server.client(server.create_key("ingest")) as client:
        sent = client.post(IMPORT, content=om_latest(registry), headers=openmetrics)
        classic = client.post(IMPORT, content=generate_latest(registry))
        broken = client.post(IMPORT, content=not_cumulative)
    assert sent.status_code == classic.status_code == 204, sent.text
    assert broken.status_code == 400
    assert "histogram h: bucket le=2 counts 3, fewer than le=1's 5" in broken.json()["message"]
    result = server.query({"datasets": ["metrics"], "from": "10m", "limit": 100})
    events = result["events"]  # type: ignore[union-attr]
    counters = [e for e in events if e["$name"] == "om_requests_total"]
    assert len(counters) == 2 and all(e["metric.type"] == "sum" for e in counters)
    summaries = [e for e in events if e["$name"] == "om_payload_bytes"]
    assert len(summaries) == 2
    assert all((e["metric.type"], e["metric.count"], e["metric.sum"]) == ("summary", 1, 512)
               and "metric.bounds" not in e for e in summaries)
