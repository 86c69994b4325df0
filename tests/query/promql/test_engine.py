"""PromQL evaluation over an in-memory store: each case loads nothing new, runs one query
at one time and expects `{labels} value` lines (Prometheus' own test style, as a table)."""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator

import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)

from limelight.ingest.otlp.common import Target
from limelight.ingest.otlp.metrics import decode_metrics
from limelight.ingest.prometheus import decode_exposition
from limelight.model import Batch
from limelight.query.promql.engine import instant_query, range_query
from limelight.query.promql.errors import BadData, ExecutionError
from limelight.query.promql.functions import histogram_quantile
from limelight.query.promql.gomath import divide, modulo, power
from limelight.query.promql.values import Matrix, Scalar, Value, Vector, format_value
from limelight.store.duckdb import DuckDBStore

T0 = 1_700_000_000_000  # ms
MINUTE = 60_000
STALE = struct.unpack("<d", struct.pack("<Q", 0x7FF0000000000002))[0]


def _add(batch: Batch, name: str, labels: dict[str, str], samples: list[tuple[int, float]]
         ) -> None:
    for stamp, value in samples:
        batch.add(stamp * 1_000_000, "test", "test", "metric", name=name,
                  attrs={**labels, "metric.type": "gauge", "metric.value": value})


def _otlp_request() -> bytes:
    request = ExportMetricsServiceRequest()
    resource = request.resource_metrics.add()
    for key, value in (("service.name", "checkout"), ("service.namespace", "shop"),
                       ("service.instance.id", "pod-1")):
        attribute = resource.resource.attributes.add()
        attribute.key, attribute.value.string_value = key, value
    metrics = resource.scope_metrics.add().metrics
    histogram = metrics.add()
    histogram.name = "http.server.duration"
    histogram.histogram.aggregation_temporality = 2
    for stamp, counts in ((T0, [1, 2, 1]), (T0 + MINUTE, [3, 4, 1])):
        point = histogram.histogram.data_points.add()
        point.time_unix_nano = stamp * 1_000_000
        point.explicit_bounds.extend([0.1, 0.5])
        point.bucket_counts.extend(counts)
        point.count, point.sum = sum(counts), 1.5
        route = point.attributes.add()
        route.key, route.value.string_value = "http.route", "/pay"
    counter = metrics.add()
    counter.name = "orders"
    counter.sum.is_monotonic, counter.sum.aggregation_temporality = True, 2
    for stamp, value in ((T0, 5), (T0 + MINUTE, 11)):
        point = counter.sum.data_points.add()
        point.time_unix_nano, point.as_int = stamp * 1_000_000, value
    return request.SerializeToString()


@pytest.fixture(scope="module")
def store() -> Iterator[DuckDBStore]:
    memory = DuckDBStore(None)
    batch = Batch("metrics")
    _add(batch, "requests_total", {"job": "api", "code": "200"},
         [(T0 + i * 15_000, v) for i, v in enumerate([0, 10, 20, 30, 5, 15, 25])])
    _add(batch, "requests_total", {"job": "api", "code": "500"},
         [(T0 + i * 15_000, 2.0 * i) for i in range(7)])
    _add(batch, "temperature", {"room": "lab"}, [(T0, 20.0), (T0 + MINUTE, 21.0)])
    _add(batch, "up", {"job": "batch"}, [(T0, 1.0), (T0 + 15_000, STALE)])
    _add(batch, "other_total", {"job": "api", "code": "200"}, [(T0, 1.0), (T0 + MINUTE, 2.0)])
    memory.append([batch, decode_metrics(_otlp_request(), "application/x-protobuf",
                                         Target("metrics")).batch])
    summary = ("# TYPE rpc_seconds summary\n"
               'rpc_seconds{quantile="0.5"} 0.2\nrpc_seconds{quantile="0.9"} 0.7\n'
               "rpc_seconds_sum 12\nrpc_seconds_count 40\n")
    memory.append([decode_exposition(summary, {"job": "rpc"}, T0 * 1_000_000)])
    yield memory
    memory.close()


def _lines(value: Value) -> list[str]:
    if isinstance(value, Scalar):
        return [format_value(value.value)]
    if isinstance(value, Matrix):
        return sorted("{" + ",".join(f"{k}={v}" for k, v in s.labels) + "} "
                      + " ".join(format_value(v) for v in s.values) for s in value)
    assert isinstance(value, Vector)
    return sorted("{" + ",".join(f"{k}={v}" for k, v in s.labels) + "} "
                  + format_value(s.value) for s in value)


CASES = [
    ("last sample within the lookback", "temperature", T0 + 5 * MINUTE,
     ["{__name__=temperature,room=lab} 21"]),
    ("nothing after the lookback", "temperature", T0 + 6 * MINUTE + 1, []),
    ("stale marker ends a series at once", "up", T0 + 30_000, []),
    ("before the stale marker", "up", T0 + 14_999, ["{__name__=up,job=batch} 1"]),
    ("counter reset is counted", 'increase(requests_total{code="200"}[90s])', T0 + 90_000,
     ["{code=200,job=api} 55"]),
    ("regex is anchored", 'requests_total{code=~"5"}', T0 + MINUTE, []),
    ("negative regex", 'requests_total{code!~"2.."}', T0 + MINUTE,
     ["{__name__=requests_total,code=500,job=api} 8"]),
    ("name by regex", '{__name__=~".*_total", code="200"}', T0 + MINUTE,
     ["{__name__=other_total,code=200,job=api} 2", "{__name__=requests_total,code=200,job=api} 5"]),
    ("ignoring the name", "requests_total - ignoring(x) other_total", T0 + MINUTE,
     ["{code=200,job=api} 3"]),
    ("OTLP histogram as buckets", "http_server_duration_bucket", T0 + MINUTE, [
        "{__name__=http_server_duration_bucket,http_route=/pay,instance=pod-1,job=shop/checkout,"
        "le=+Inf,service_instance_id=pod-1,service_name=checkout,service_namespace=shop} 8",
        "{__name__=http_server_duration_bucket,http_route=/pay,instance=pod-1,job=shop/checkout,"
        "le=0.1,service_instance_id=pod-1,service_name=checkout,service_namespace=shop} 3",
        "{__name__=http_server_duration_bucket,http_route=/pay,instance=pod-1,job=shop/checkout,"
        "le=0.5,service_instance_id=pod-1,service_name=checkout,service_namespace=shop} 7"]),
    ("OTLP histogram quantile", "histogram_quantile(0.5, sum by (le, job) "
     "(http_server_duration_bucket))", T0 + MINUTE, ["{job=shop/checkout} 0.2"]),
    ("OTLP count and sum", "sum by (job) (http_server_duration_count + "
     "http_server_duration_sum)", T0, ["{job=shop/checkout} 5.5"]),
    ("OTLP counter", 'orders{job="shop/checkout"}', T0 + MINUTE, [
        "{__name__=orders,instance=pod-1,job=shop/checkout,service_instance_id=pod-1,"
        "service_name=checkout,service_namespace=shop} 11"]),
    ("summary quantiles", "rpc_seconds", T0, ['{__name__=rpc_seconds,job=rpc,quantile=0.5} 0.2',
                                              '{__name__=rpc_seconds,job=rpc,quantile=0.9} 0.7']),
    ("summary count", "rpc_seconds_count / rpc_seconds_sum", T0, ["{job=rpc} 3.3333333333333335"]),
    ("label_replace with a named group",
     'label_replace(temperature, "place", "in-${r}", "room", "(?P<r>l.*)")', T0,
     ["{__name__=temperature,place=in-lab,room=lab} 20"]),
    ("label_replace without a match keeps the labels",
     'label_replace(temperature, "place", "$1", "room", "x(.*)")', T0,
     ["{__name__=temperature,room=lab} 20"]),
    ("scalar of no sample is NaN", "scalar(missing)", T0, ["NaN"]),
    ("pi", "pi()", T0, ["3.141592653589793"]),
    ("division by zero", "temperature / 0", T0, ["{room=lab} +Inf"]),
    ("count_values", 'count_values("v", requests_total)', T0 + MINUTE,
     ["{v=5} 1", "{v=8} 1"]),
    ("subquery", "max_over_time(requests_total{code=\"200\"}[1m:15s])", T0 + 90_000,
     ["{code=200,job=api} 30"]),
    ("matrix", "temperature[1m]", T0 + MINUTE, ["{__name__=temperature,room=lab} 20 21"]),
]


@pytest.mark.parametrize(("query", "time_ms", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_instant_query(store: DuckDBStore, query: str, time_ms: int,
                       expected: list[str]) -> None:
    assert _lines(instant_query(store, query, time_ms)) == sorted(expected)


def test_range_query_steps_and_sorts(store: DuckDBStore) -> None:
    series = range_query(store, 'requests_total{job="api"}', T0, T0 + 30_000, 15_000)
    assert [dict(s.labels)["code"] for s in series] == ["200", "500"]
    assert series[0].times == [T0, T0 + 15_000, T0 + 30_000]
    assert series[0].values == [0, 10, 20]


ERRORS = [
    ("parse error", "sum(", BadData, "unclosed left parenthesis"),
    ("unsupported function", "histogram_count(temperature)", BadData,
     "not supported"),
    ("same labels twice", 'rate({__name__=~"requests_total|other_total"}[5m])',
     ExecutionError, "same labelset"),
    ("many to many", "requests_total * on(job) other_total", ExecutionError,
     "many-to-one matching must be explicit"),
    ("duplicate one side", "other_total * on(job) requests_total", ExecutionError,
     "found duplicate series for the match group"),
]


@pytest.mark.parametrize(("query", "error", "message"), [c[1:] for c in ERRORS],
                         ids=[c[0] for c in ERRORS])
def test_query_errors(store: DuckDBStore, query: str, error: type[Exception],
                      message: str) -> None:
    with pytest.raises(error, match=message):
        instant_query(store, query, T0 + MINUTE)


@pytest.mark.parametrize(("start", "end", "step", "message"), [
    (T0, T0 + 11_001_000, 1000, "11,000 points"),
    (T0 + 10, T0, 1000, "end timestamp must not be before start time"),
    (T0, T0 + 1000, 0, "zero or negative"),
])
def test_range_query_limits(store: DuckDBStore, start: int, end: int, step: int,
                            message: str) -> None:
    with pytest.raises(BadData, match=message):
        range_query(store, "up", start, end, step)


def test_range_query_refuses_a_range_vector(store: DuckDBStore) -> None:
    with pytest.raises(BadData, match='invalid expression type "range vector"'):
        range_query(store, "up[5m]", T0, T0 + 1000, 1000)


@pytest.mark.parametrize(("buckets", "q", "expected"), [
    ([(0.1, 1), (0.5, 3), (math.inf, 4)], 0.5, 0.3),
    ([(0.1, 1), (0.5, 3), (math.inf, 4)], 0.9, 0.5),
    ([(0.1, 0), (math.inf, 0)], 0.5, math.nan),
    ([(0.1, 1), (0.5, 3)], 0.5, math.nan),  # no +Inf bucket
    ([(0.5, 3), (0.1, 4), (math.inf, 4)], 0.5, 0.05),  # a falling count is raised
    ([(0.1, 1), (math.inf, 4)], -1, -math.inf),
    ([(-1, 2), (math.inf, 4)], 0.25, -1),
], ids=["middle", "top bucket", "empty", "no inf", "monotonic", "below zero", "negative bound"])
def test_histogram_quantile(buckets: list[tuple[float, float]], q: float,
                            expected: float) -> None:
    found = histogram_quantile(q, buckets)
    assert found == pytest.approx(expected, nan_ok=True)


@pytest.mark.parametrize(("value", "text"), [
    (1.0, "1"), (0.1, "0.1"), (1e21, "1000000000000000000000"), (1.5e-7, "0.00000015"),
    (math.inf, "+Inf"), (-math.inf, "-Inf"), (math.nan, "NaN"), (-2.5, "-2.5"),
])
def test_values_are_written_like_go(value: float, text: str) -> None:
    assert format_value(value) == text


@pytest.mark.parametrize(("result", "expected"), [
    (divide(1, 0), math.inf), (divide(-1, 0), -math.inf), (divide(0, 0), math.nan),
    (modulo(5, 0), math.nan), (modulo(-7, 3), -1.0), (power(0, -1), math.inf),
    (power(-8, 1 / 3), math.nan), (power(10, 400), math.inf), (power(-10, 401), -math.inf),
], ids=["div+", "div-", "div0", "mod0", "modneg", "pow0", "powfrac", "powbig", "powneg"])
def test_arithmetic_follows_ieee(result: float, expected: float) -> None:
    assert result == pytest.approx(expected, nan_ok=True)
