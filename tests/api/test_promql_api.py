"""The Prometheus query API as Grafana uses it: envelope, parameters (GET and form POST),
errors, auth, the editor's endpoints, and `prometheus_client` metrics imported then
queried."""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest

from tests.conftest import RunningServer

NOW_S = int(time.time()) // 60 * 60


@pytest.fixture(scope="module")
def loaded(shared_server: RunningServer) -> RunningServer:
    """Five minutes of a `prometheus_client` registry, imported every 15 s."""
    registry = CollectorRegistry()
    orders = Counter("shop_orders", "Orders", ["route"], registry=registry)
    latency = Histogram("shop_latency_seconds", "Latency", buckets=(0.1, 0.5),
                        registry=registry)
    with shared_server.client(shared_server.create_key("ingest")) as client:
        for step in range(21):
            orders.labels(route="/pay").inc(3)
            orders.labels(route="/cart").inc(1)
            latency.observe(0.05 if step % 2 else 0.3)
            stamp = (NOW_S - 300 + step * 15) * 1000
            response = client.post("/api/v1/import/prometheus", content=generate_latest(registry),
                                   params={"timestamp": stamp, "extra_label": "job=shop"})
            assert response.status_code == 204, response.text
    return shared_server


def _get(server: RunningServer, path: str, **params: Any) -> Any:
    with server.client() as client:
        response = client.get(path, params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "success"
        return body["data"]


def test_instant_query_of_imported_client_metrics(loaded: RunningServer) -> None:
    data = _get(loaded, "/api/v1/query", query="sum by (route) (rate(shop_orders_total[2m]))",
                time=NOW_S)
    assert data["resultType"] == "vector"
    rates = {item["metric"]["route"]: float(item["value"][1]) for item in data["result"]}
    assert rates == pytest.approx({"/pay": 0.2, "/cart": 1 / 15})
    assert all(item["value"][0] == NOW_S for item in data["result"])
    quantile = _get(loaded, "/api/v1/query", time=NOW_S,
                    query="histogram_quantile(0.5, rate(shop_latency_seconds_bucket[2m]))")
    [only] = quantile["result"]
    assert only["metric"] == {"job": "shop"} and 0.05 < float(only["value"][1]) <= 0.5


def test_opentelemetry_sdk_metrics_are_queryable(server: RunningServer) -> None:
    """The real SDK's cumulative counter and histogram, exported twice over OTLP."""
    exporter = OTLPMetricExporter(endpoint=f"{server.url}/v1/metrics", timeout=10,
                                  headers={"x-api-key": server.create_key("ingest")})
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
    provider = MeterProvider(metric_readers=[reader],
                             resource=Resource.create({"service.name": "checkout"}))
    meter = provider.get_meter("shop")
    orders = meter.create_counter("shop.orders")
    latency = meter.create_histogram("http.server.duration", unit="ms")
    for round_trip in range(2):
        for value in (5.0, 20.0, 70.0, 300.0):
            orders.add(1, {"http.route": "/pay"})
            latency.record(value + round_trip, {"http.route": "/pay"})
        assert provider.force_flush()
        time.sleep(1.1)
    provider.shutdown()
    now = time.time()
    rates = _get(server, "/api/v1/query", query="rate(shop_orders[1m])", time=now)["result"]
    [rate] = rates
    assert rate["metric"]["job"] == "checkout" and rate["metric"]["http_route"] == "/pay"
    assert float(rate["value"][1]) > 0
    median = _get(server, "/api/v1/query", time=now, query=(
        "histogram_quantile(0.5, sum by (le) (http_server_duration_bucket))"))["result"]
    assert 10 <= float(median[0]["value"][1]) <= 25  # in the SDK's (10, 25] bucket
    count = _get(server, "/api/v1/query", query="http_server_duration_count", time=now)
    assert [item["value"][1] for item in count["result"]] == ["8"]


def test_range_query_by_form_post(loaded: RunningServer) -> None:
    with loaded.client() as client:
        response = client.post("/api/v1/query_range", data={
            "query": 'shop_orders_total{route="/pay"}', "start": str(NOW_S - 60),
            "end": str(NOW_S), "step": "30s"})
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["resultType"] == "matrix"
    [series] = data["result"]
    assert series["metric"] == {"__name__": "shop_orders_total", "job": "shop", "route": "/pay"}
    assert [point[0] for point in series["values"]] == [NOW_S - 60, NOW_S - 30, NOW_S]
    assert [point[1] for point in series["values"]] == ["51", "57", "63"]


def test_grafana_save_and_test(loaded: RunningServer) -> None:
    assert _get(loaded, "/api/v1/query", query="1+1", time=NOW_S) == {
        "resultType": "scalar", "result": [NOW_S, "2"]}
    info = _get(loaded, "/api/v1/status/buildinfo")
    assert info["version"].startswith("2.") and "features" not in info
    with loaded.client(key=None) as anonymous:
        assert anonymous.get("/-/healthy").status_code == 200


def test_editor_endpoints(loaded: RunningServer) -> None:
    window = {"start": NOW_S - 600, "end": NOW_S}
    names = _get(loaded, "/api/v1/label/__name__/values", **window)
    assert {"shop_orders_total", "shop_latency_seconds_bucket",
            "shop_latency_seconds_count", "shop_latency_seconds_sum"} <= set(names)
    assert _get(loaded, "/api/v1/label/le/values", **window,
                **{"match[]": "shop_latency_seconds_bucket"}) == ["+Inf", "0.1", "0.5"]
    assert _get(loaded, "/api/v1/labels", **window, **{"match[]": "shop_orders_total"}) == [
        "__name__", "job", "route"]
    series = _get(loaded, "/api/v1/series", **window, **{"match[]": 'shop_orders_total'})
    assert sorted(s["route"] for s in series) == ["/cart", "/pay"]
    metadata = _get(loaded, "/api/v1/metadata")
    # The text import keeps no HELP lines.
    assert metadata["shop_orders_total"] == [{"type": "counter", "help": "", "unit": ""}]
    assert metadata["shop_latency_seconds"][0]["type"] == "histogram"
    assert _get(loaded, "/api/v1/query_exemplars", query="shop_orders_total") == []
    assert _get(loaded, "/api/v1/format_query", query="sum(x)by(a)") == "sum by (a) (x)"


@pytest.mark.parametrize(("path", "params", "status", "error_type", "message"), [
    ("/api/v1/query", {"query": "sum(rate(x[5m])"}, 400, "bad_data", "invalid parameter"),
    ("/api/v1/query", {"query": "x", "time": "yesterday"}, 400, "bad_data", "time"),
    ("/api/v1/query", {"query": "x{a=~\"(\"}"}, 400, "bad_data", "regex"),
    ("/api/v1/query", {"query": "histogram_count(x)"}, 400, "bad_data", "not supported"),
    ("/api/v1/query", {"query": 'label_replace(vector(1), "1x", "a", "b", "c")'}, 422,
     "execution", "invalid destination label name"),
    ("/api/v1/query_range", {"query": "x", "start": 0, "end": 100_000, "step": 1}, 400,
     "bad_data", "11,000 points"),
    ("/api/v1/query_range", {"query": "x", "start": 0, "end": 10, "step": "fast"}, 400,
     "bad_data", "step"),
    ("/api/v1/series", {}, 400, "bad_data", "no match[] parameter provided"),
    ("/api/v1/series", {"match[]": "rate(x[5m])"}, 400, "bad_data", "match[]"),
    ("/api/v1/label/1bad/values", {}, 400, "bad_data", "invalid label name"),
    # Thousands deep, the parser's stack overflowed and took the server down.
    ("/api/v1/query", {"query": "+".join(["1"] * 5000)}, 400, "bad_data",
     "4999 operators and parentheses; the most is 256"),
    ("/api/v1/query", {"query": "(" * 300 + "1" + ")" * 300}, 400, "bad_data", "the most is 256"),
], ids=["parse", "time", "regex", "unsupported", "execution", "points", "step", "no-match",
        "match-not-selector", "label-name", "too-deep", "too-many-parentheses"])
def test_errors_use_prometheus_envelope(shared_server: RunningServer, path: str,
                                        params: dict[str, Any], status: int, error_type: str,
                                        message: str) -> None:
    with shared_server.client() as client:
        response = client.get(path, params=params)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == "error" and body["errorType"] == error_type
    assert message in body["error"]


def test_regular_expressions_run_in_linear_time(shared_server: RunningServer) -> None:
    # (a+)+ against a's then "!" backtracks 2**30 times in Python's re: RE2 answers at once.
    query = ('label_replace(label_replace(vector(1), "a", "' + "a" * 30 + '!", "", ""), '
             '"b", "x", "a", "(a+)+")')
    data = _get(shared_server, "/api/v1/query", query=query)
    assert [sample["metric"].get("b") for sample in data["result"]] == [None]
    data = _get(shared_server, "/api/v1/query",
                query='label_replace(vector(1), "b", "$1-$2", "", "(?P<one>)()")')
    assert data["result"][0]["metric"]["b"] == "-"


def test_auth_bearer_basic_and_scopes(shared_server: RunningServer) -> None:
    query_key = shared_server.create_key("query")
    ingest_key = shared_server.create_key("ingest")
    basic = base64.b64encode(f"grafana:{query_key}".encode()).decode()
    params = {"query": "vector(1)"}
    with shared_server.client(key=None) as client:
        assert client.get("/api/v1/query", params=params).status_code == 401
        assert client.get("/api/v1/query", params=params,
                          headers={"Authorization": "Bearer nope"}).status_code == 401
        assert client.get("/api/v1/query", params=params,
                          headers={"Authorization": f"Bearer {ingest_key}"}).status_code == 403
        assert client.get("/api/v1/query", params=params,
                          headers={"Authorization": f"Bearer {query_key}"}).status_code == 200
        assert client.get("/api/v1/labels",
                          headers={"Authorization": f"Basic {basic}"}).status_code == 200
        # Remote write still lives beside the query API, for ingest keys only.
        assert client.post("/api/v1/write", content=b"",
                           headers={"Authorization": f"Bearer {query_key}"}).status_code == 403
