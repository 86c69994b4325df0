"""Prometheus text exposition decoded into metric rows shaped like OTLP's."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from limelight.ingest.prometheus import decode_exposition, parse_extra_labels
from limelight.model import Batch

NOW_NS = 1_800_000_000_000_000_000


def rows(batch: Batch) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"$name": n, "$service": s, "$timestamp": t} for n, s, t in zip(
        batch.system["$name"], batch.system["$service"], batch.system["$timestamp"],
        strict=True)]
    for key, found in batch.attr_rows.items():
        for row, value in zip(found, batch.attr_values[key], strict=True):
            out[row][key] = value
    return out


def test_counters_gauges_and_timestamps() -> None:
    text = ("# TYPE http_requests_total counter\n"
            'http_requests_total{job="shop",code="200"} 1027 1700000000123\n'
            "# TYPE temperature gauge\n"
            "temperature 21.5\n"
            "untyped_thing 3\n")
    counter, gauge, untyped = rows(decode_exposition(text, {}, NOW_NS))
    assert counter == {"$name": "http_requests_total", "$service": "shop",
                       "$timestamp": 1_700_000_000_123_000_000, "job": "shop", "code": "200",
                       "metric.value": 1027.0, "metric.type": "sum", "metric.monotonic": True,
                       "metric.temporality": "cumulative"}
    assert gauge["metric.type"] == "gauge" and gauge["metric.value"] == 21.5
    assert gauge["$timestamp"] == NOW_NS and gauge["$service"] == "prometheus"
    assert untyped["metric.type"] == "gauge" and untyped["$name"] == "untyped_thing"


def test_histogram_buckets_become_per_bucket_counts() -> None:
    text = ("# TYPE latency_seconds histogram\n"
            'latency_seconds_bucket{le="0.1"} 2\n'
            'latency_seconds_bucket{le="0.5"} 5\n'
            'latency_seconds_bucket{le="+Inf"} 6\n'
            "latency_seconds_sum 1.7\n"
            "latency_seconds_count 6\n")
    [row] = rows(decode_exposition(text, {"env": "prod"}, NOW_NS))
    assert row["$name"] == "latency_seconds" and row["metric.type"] == "histogram"
    assert json.loads(row["metric.bounds"]) == [0.1, 0.5]
    assert json.loads(row["metric.bucket_counts"]) == [2, 3, 1]
    assert (row["metric.count"], row["metric.sum"], row["env"]) == (6.0, 1.7, "prod")


def test_victoriametrics_vmrange_buckets() -> None:
    text = ('request_duration_bucket{vmrange="1.000e-01...1.136e-01"} 3\n'
            'request_duration_bucket{vmrange="1.136e-01...1.292e-01"} 4\n'
            "request_duration_sum 0.8\n"
            "request_duration_count 7\n")
    [row] = rows(decode_exposition(text, {}, NOW_NS))
    assert row["$name"] == "request_duration" and row["metric.type"] == "histogram"
    assert json.loads(row["metric.bounds"]) == [0.1136, 0.1292]
    assert json.loads(row["metric.bucket_counts"]) == [3, 4, 0]
    assert row["metric.count"] == 7.0


def test_summaries_keep_their_quantiles() -> None:
    text = ("# TYPE rpc_seconds summary\n"
            'rpc_seconds{quantile="0.5"} 0.05\n'
            'rpc_seconds{quantile="0.99"} 0.4\n'
            "rpc_seconds_sum 12.5\n"
            "rpc_seconds_count 100\n")
    [row] = rows(decode_exposition(text, {}, NOW_NS))
    assert row["metric.type"] == "summary"
    assert (row["metric.quantile.0.5"], row["metric.quantile.0.99"]) == (0.05, 0.4)
    assert (row["metric.count"], row["metric.sum"]) == (100.0, 12.5)


@pytest.mark.parametrize(("text", "line"), [
    ("this is not { exposition\n", "line 1: 'this is not { exposition': "),
    ('ok 1\n# a comment\nmetric{label="x} 1\n', "line 3: 'metric{label=\"x} 1': "),
])
def test_garbage_names_the_line(text: str, line: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(line)):
        decode_exposition(text, {}, NOW_NS)


@pytest.mark.parametrize(("text", "message"), [
    ('# TYPE h histogram\nh_bucket{le="abc"} 1\n', "sample h_bucket: le='abc' is not a number"),
    ('h_bucket{vmrange="abc...1"} 1\n', "sample h_bucket: vmrange='abc' is not a number"),
    ('# TYPE s summary\ns{quantile="x"} 1\n', "sample s: quantile='x' is not a number"),
], ids=["le", "vmrange", "quantile"])
def test_bucket_labels_that_are_not_numbers_name_the_sample(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        decode_exposition(text, {}, NOW_NS)


def test_extra_labels() -> None:
    assert parse_extra_labels(["env=prod", "team=a=b"]) == {"env": "prod", "team": "a=b"}
    with pytest.raises(ValueError, match="write name=value"):
        parse_extra_labels(["nolabel"])
