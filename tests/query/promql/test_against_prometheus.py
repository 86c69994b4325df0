"""The same samples sent to the real Prometheus (Debian's 2.42, remote write receiver) and
to Limelight; every query must answer the same series with the same values (1e-9
relative), as instant and as range queries."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import RunningServer, start_server, stop_server
from tests.query.promql.dataset import (
    MINUTES,
    client_snapshots,
    exposition_as_series,
    remote_write_series,
)
from tests.query.promql.prometheus import REMOTE_WRITE_HEADERS, Prometheus, remote_write_body

pytestmark = pytest.mark.slow


@dataclass
class Both:
    prometheus: Prometheus
    limelight: httpx.Client
    start_ms: int
    end_ms: int  # just after the last sample

    def ask(self, path: str, params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        theirs = self.prometheus.get(path, params)
        ours = self.limelight.get(path, params=params)
        assert theirs.status_code == 200, theirs.text
        assert ours.status_code == 200, ours.text
        return ours.json(), theirs.json()


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Both]:
    workdir: Path = tmp_path_factory.mktemp("promql")
    now_ms = time.time_ns() // 1_000_000
    start_ms = (now_ms - (MINUTES + 3) * 60_000) // 60_000 * 60_000
    prometheus = Prometheus(workdir / "prometheus")
    server: RunningServer = start_server(workdir / "limelight")
    try:
        body = remote_write_body(remote_write_series(start_ms))
        prometheus.write(body)
        with server.client(server.create_key("ingest")) as ingest:
            written = ingest.post("/api/v1/write", content=body, headers=REMOTE_WRITE_HEADERS)
            assert written.status_code == 204, written.text
            snapshots = list(client_snapshots(start_ms))
            for stamp, text in snapshots:
                imported = ingest.post("/api/v1/import/prometheus", content=text,
                                       params={"timestamp": stamp, "extra_label": "job=app"})
                assert imported.status_code == 204, imported.text
        prometheus.write(remote_write_body(exposition_as_series(snapshots, "app")))
        reader = httpx.Client(base_url=server.url, timeout=60,
                              headers={"Authorization": "Bearer " + server.create_key("query")})
        yield Both(prometheus, reader, start_ms, start_ms + MINUTES * 60_000 + 7_300)
        reader.close()
    finally:
        stop_server(server)
        prometheus.close()


QUERIES = [
    # selectors and matchers
    'http_requests_total', 'http_requests_total{route=~"/pa.*"}',
    'http_requests_total{code!="200"}', 'http_requests_total{route!~"/c.*", code="200"}',
    '{__name__=~"queue_.*|temperature"}', 'temperature', 'up',
    'http_requests_total offset 10m', 'queue_depth offset 1m',
    # counters
    'rate(http_requests_total[5m])', 'irate(http_requests_total[5m])',
    'increase(http_requests_total[10m])', 'rate(http_requests_total[1m])',
    'rate(http_requests_total[5m] offset 5m)', 'resets(http_requests_total[30m])',
    'delta(queue_depth[5m])', 'idelta(queue_depth[5m])', 'changes(queue_depth[10m])',
    'deriv(queue_depth[10m])', 'predict_linear(queue_depth[10m], 600)',
    # over time
    'sum_over_time(queue_depth[10m])', 'avg_over_time(queue_depth[10m])',
    'min_over_time(queue_depth[10m])', 'max_over_time(queue_depth[10m])',
    'count_over_time(queue_depth[10m])', 'last_over_time(queue_depth[10m])',
    'stddev_over_time(queue_depth[10m])', 'stdvar_over_time(queue_depth[10m])',
    'quantile_over_time(0.75, queue_depth[10m])', 'present_over_time(temperature[10m])',
    'absent_over_time(temperature[5m])', 'last_over_time(up[15m])',
    # aggregations
    'sum by (route) (rate(http_requests_total[5m]))',
    'sum without (instance) (rate(http_requests_total[5m]))',
    'avg(queue_depth)', 'min(queue_depth)', 'max by (instance) (queue_depth)',
    'count(http_requests_total)', 'count by (code) (http_requests_total)',
    'stddev(queue_depth)', 'stdvar(rate(http_requests_total[5m]))',
    'group by (instance) (http_requests_total)', 'quantile(0.9, queue_depth)',
    'topk(2, rate(http_requests_total[5m]))', 'bottomk(1, queue_depth)',
    'topk by (instance) (1, http_requests_total)',
    'count_values("depth", floor(queue_depth / 25))',
    'sum(rate(http_requests_total[5m])) by (code) * 60',
    # histograms
    'histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))',
    'histogram_quantile(0.5, rate(http_request_duration_seconds_bucket[5m]))',
    'histogram_quantile(0.99, sum by (le, route) '
    '(increase(http_request_duration_seconds_bucket[10m])))',
    'rate(http_request_duration_seconds_sum[5m]) / rate(http_request_duration_seconds_count[5m])',
    # instant functions
    'abs(queue_depth - 50)', 'ceil(queue_depth / 7)', 'floor(queue_depth / 7)',
    'round(queue_depth, 5)', 'round(queue_depth)', 'clamp_min(queue_depth, 20)',
    'clamp_max(queue_depth, 20)', 'clamp(queue_depth, 10, 60)', 'sqrt(queue_depth)',
    'ln(queue_depth)', 'exp(queue_depth / 100)', 'sgn(queue_depth - 50)',
    'timestamp(queue_depth)', 'sort_desc(queue_depth)', '-queue_depth',
    'label_replace(queue_depth, "host", "$1", "instance", "(.*):.*")',
    'label_join(queue_depth, "where", "/", "job", "instance")',
    'absent(nonexistent{job="x"})', 'absent(queue_depth)',
    'time()', 'vector(1)', 'scalar(sum(queue_depth))', '1 + 1', '2 ^ 10', '"text"',
    'minute(timestamp(queue_depth))', 'hour()', 'day_of_week()', 'days_in_month()',
    # binary operators
    'queue_depth > 5', 'queue_depth > bool 30', '5 < queue_depth', '100 - queue_depth',
    'queue_depth % 7', 'queue_depth == bool queue_depth', 'queue_depth != 50',
    'rate(http_requests_total[5m]) / on(instance) group_left '
    'sum by (instance) (rate(http_requests_total[5m]))',
    'http_requests_total / ignoring(code) group_left http_requests_total{code="200"}',
    'queue_depth * on(instance) group_right sum by (instance, route) (http_requests_total)',
    'http_requests_total and on(instance) queue_depth > 5',
    'http_requests_total unless on(route) http_requests_total{code="500"}',
    'queue_depth or temperature', 'queue_depth or on() vector(0)',
    'sum(rate(http_requests_total[5m])) > bool 1',
    'http_requests_total{code="200"} - on(instance, route) http_requests_total{code="200"}',
    # subqueries
    'max_over_time(rate(http_requests_total[5m])[10m:1m])',
    'avg_over_time(sum(queue_depth)[15m:30s])',
    # prometheus_client exposition, imported into Limelight
    'app_requests_total', 'rate(app_requests_total[5m])', 'app_latency_seconds_bucket',
    'app_latency_seconds_count', 'app_queue_depth', 'app_payload_bytes_sum',
    'histogram_quantile(0.9, sum by (le) (rate(app_latency_seconds_bucket[5m])))',
    'rate(app_latency_seconds_sum[5m]) / rate(app_latency_seconds_count[5m])',
    'increase(app_payload_bytes_count[10m])',
]
INSTANT_ONLY = ['http_requests_total[5m]', 'queue_depth[2m] offset 3m', 'up[30m]']
# Queries whose answer is empty at the end of the data (checked too, just not for content).
EMPTY_AT_END = {'temperature', 'up', 'absent(queue_depth)', 'present_over_time(temperature[10m])'}


def _close(ours: str, theirs: str) -> bool:
    a, b = float(ours), float(theirs)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _by_labels(result: list[dict[str, Any]], key: str) -> dict[frozenset[tuple[str, str]], Any]:
    found = {frozenset(item["metric"].items()): item[key] for item in result}
    assert len(found) == len(result), "the same labels twice"
    return found


def assert_same(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    assert theirs["status"] == "success", theirs
    assert ours["status"] == "success", ours
    kind = theirs["data"]["resultType"]
    assert ours["data"]["resultType"] == kind
    mine, expected = ours["data"]["result"], theirs["data"]["result"]
    if kind in ("scalar", "string"):
        assert float(mine[0]) == float(expected[0])
        assert mine[1] == expected[1] if kind == "string" else _close(mine[1], expected[1])
        return
    key = "value" if kind == "vector" else "values"
    mine_by, expected_by = _by_labels(mine, key), _by_labels(expected, key)
    assert set(mine_by) == set(expected_by), (sorted(map(sorted, mine_by)),
                                              sorted(map(sorted, expected_by)))
    for labels, points in expected_by.items():
        got = mine_by[labels]
        pairs = [(got, points)] if kind == "vector" else list(zip(got, points, strict=False))
        assert len(got) == len(points) or kind == "vector", (dict(labels), got, points)
        for (t_mine, v_mine), (t_expected, v_expected) in pairs:
            assert float(t_mine) == float(t_expected), (dict(labels), got, points)
            assert _close(v_mine, v_expected), (dict(labels), t_expected, v_mine, v_expected)


@pytest.mark.parametrize("query", QUERIES + INSTANT_ONLY)
def test_instant_query_matches_prometheus(both: Both, query: str) -> None:
    ours, theirs = both.ask("/api/v1/query", {"query": query, "time": both.end_ms / 1000})
    assert_same(ours, theirs)
    if query not in EMPTY_AT_END and theirs["data"]["resultType"] in ("vector", "matrix"):
        assert theirs["data"]["result"], "a comparison of nothing proves nothing"


@pytest.mark.parametrize("query", [q for q in QUERIES if q != '"text"'])
@pytest.mark.parametrize("step", ["60", "37s"])
def test_range_query_matches_prometheus(both: Both, query: str, step: str) -> None:
    params = {"query": query, "start": (both.end_ms - 25 * 60_000) / 1000,
              "end": both.end_ms / 1000, "step": step}
    ours, theirs = both.ask("/api/v1/query_range", params)
    assert_same(ours, theirs)
    assert theirs["data"]["result"] or query.startswith("absent("), "nothing compared"


@pytest.mark.parametrize("template", [
    "http_requests_total @ {at}", "rate(http_requests_total[5m] @ {at})",
    "queue_depth @ start()", "max_over_time(queue_depth[10m] @ end())",
    "sum(queue_depth @ {at}) - sum(queue_depth)",
])
def test_at_modifier_matches_prometheus(both: Both, template: str) -> None:
    query = template.format(at=(both.end_ms - 12 * 60_000) / 1000)
    instant = both.ask("/api/v1/query", {"query": query, "time": both.end_ms / 1000})
    ranged = both.ask("/api/v1/query_range", {
        "query": query, "start": (both.end_ms - 20 * 60_000) / 1000, "end": both.end_ms / 1000,
        "step": 45})
    for ours, theirs in (instant, ranged):
        assert_same(ours, theirs)
        assert theirs["data"]["result"]


@pytest.mark.parametrize(("path", "params"), [
    ("/api/v1/series", {"match[]": ["http_requests_total", 'queue_depth{instance="a:80"}']}),
    ("/api/v1/series", {"match[]": ['{__name__=~"app_latency.*"}']}),
    ("/api/v1/labels", {}),
    ("/api/v1/labels", {"match[]": ["queue_depth"]}),
    ("/api/v1/label/__name__/values", {}),
    ("/api/v1/label/route/values", {}),
    ("/api/v1/label/le/values", {"match[]": ["app_latency_seconds_bucket"]}),
], ids=["series", "series-regex", "labels", "labels-match", "names", "route", "le"])
def test_metadata_endpoints_match_prometheus(both: Both, path: str,
                                             params: dict[str, Any]) -> None:
    window = {"start": both.start_ms / 1000, "end": both.end_ms / 1000}
    ours, theirs = both.ask(path, {**params, **window})
    assert ours["status"] == theirs["status"] == "success"
    if path.endswith("series"):
        assert sorted(map(sorted, (d.items() for d in ours["data"]))) == sorted(
            map(sorted, (d.items() for d in theirs["data"])))
    else:
        assert ours["data"] == theirs["data"]
    assert theirs["data"]


def test_range_query_errors_match_prometheus(both: Both) -> None:
    for params in ({"query": "up", "start": 100, "end": 10, "step": 1},
                   {"query": "up", "start": 0, "end": 20_000, "step": 1},
                   {"query": "up[5m]", "start": 0, "end": 10, "step": 1},
                   {"query": "sum(", "start": 0, "end": 10, "step": 1}):
        theirs = both.prometheus.get("/api/v1/query_range", params)
        ours = both.limelight.get("/api/v1/query_range", params=params)
        assert (ours.status_code, ours.json()["errorType"]) == (
            theirs.status_code, theirs.json()["errorType"]), (params, ours.text, theirs.text)
