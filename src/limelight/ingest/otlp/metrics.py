"""OTLP metrics: a row per data point in the `metrics` dataset.

Gauges and sums carry `metric.value`; histograms carry count, sum, min, max and
their buckets as JSON (`metric.bounds`, `metric.bucket_counts`, one count more
than bounds: the last is above the last bound); exponential histograms are
converted to explicit bounds so both kinds are read the same way. A cumulative
point's start is `metric.start_time` (ISO 8601, nanoseconds).
"""

from __future__ import annotations

import sys
import time
from typing import Any

import msgspec
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)

from limelight.ingest.otlp.common import (
    Decoded,
    Target,
    flatten,
    namespace_for,
    parse_request,
    resource_context,
)
from limelight.model import AttrValue, Batch
from limelight.timeparse import format_ns

_TEMPORALITY = ("unspecified", "delta", "cumulative")
_LARGEST_EXPONENT = 1024  # 2.0 ** 1024 overflows a double
_encode_json = msgspec.json.Encoder().encode


def exponential_bounds(scale: int, offset: int, count: int) -> list[float]:
    """Upper bounds of `count` exponential buckets starting at index `offset`: bucket i
    ends at 2 ** ((i + 1) * 2 ** -scale), computed from that exponent (a power of the base
    drifts: 0.5000000000000007), and capped at the largest double."""
    step = 2.0 ** -scale
    return [_two_to_the((offset + i + 1) * step) for i in range(count)]


def _two_to_the(exponent: float) -> float:
    return sys.float_info.max if exponent >= _LARGEST_EXPONENT else 2.0 ** exponent


def _temporality(value: int) -> str:
    """Enums are open: a number this version does not know is `unspecified`, not a crash."""
    return _TEMPORALITY[value] if 0 <= value < len(_TEMPORALITY) else "unspecified"


def decode_metrics(body: bytes, content_type: str, target: Target) -> Decoded:
    request = parse_request(body, content_type, ExportMetricsServiceRequest)
    decoded = Decoded(Batch(target.dataset))
    now_ns = time.time_ns()
    for resource_metrics in request.resource_metrics:
        for scope_metrics in resource_metrics.scope_metrics:
            base, service = resource_context(resource_metrics.resource, scope_metrics.scope)
            namespace = namespace_for(base, service, target)
            for metric in scope_metrics.metrics:
                common = dict(base)
                common["metric.type"] = metric.WhichOneof("data") or "empty"
                if metric.unit:
                    common["metric.unit"] = metric.unit
                if metric.description:
                    common["metric.description"] = metric.description
                _decode_metric(metric, common, service, namespace, decoded, now_ns)
    return decoded


def _decode_metric(metric: Any, common: dict[str, AttrValue], service: str, namespace: str,
                   decoded: Decoded, now_ns: int) -> None:
    kind = common["metric.type"]
    if kind == "empty":
        decoded.reject(f"metric {metric.name!r} has no data")
        return
    data = getattr(metric, str(kind))
    if kind == "sum":
        common["metric.temporality"] = _temporality(data.aggregation_temporality)
        common["metric.monotonic"] = data.is_monotonic
    elif kind in ("histogram", "exponential_histogram"):
        common["metric.temporality"] = _temporality(data.aggregation_temporality)
    for point in data.data_points:
        attrs = dict(common)
        flatten(point.attributes, attrs)
        if kind in ("gauge", "sum"):
            which = point.WhichOneof("value")
            if which is None:
                decoded.reject(f"metric {metric.name!r}: data point without a value")
                continue
            attrs["metric.value"] = float(getattr(point, which))
        elif kind == "summary":
            attrs["metric.count"] = float(point.count)
            attrs["metric.sum"] = point.sum
            for quantile in point.quantile_values:
                attrs[f"metric.quantile.{quantile.quantile:g}"] = quantile.value
        else:
            _histogram_point(kind, point, attrs)
        if point.start_time_unix_nano:
            # As text: a double cannot hold epoch nanoseconds exactly.
            attrs["metric.start_time"] = format_ns(point.start_time_unix_nano)
        # A point without a time (the field is required) is taken as of its arrival.
        decoded.batch.add(point.time_unix_nano or now_ns, service, namespace, "metric",
                          name=metric.name, attrs=attrs)


def _histogram_point(kind: object, point: Any, attrs: dict[str, AttrValue]) -> None:
    attrs["metric.count"] = float(point.count)
    if point.HasField("sum"):
        attrs["metric.sum"] = point.sum
    if point.HasField("min"):
        attrs["metric.min"] = point.min
    if point.HasField("max"):
        attrs["metric.max"] = point.max
    if kind == "histogram":
        bounds = list(point.explicit_bounds)
        counts = list(point.bucket_counts)
    else:
        attrs["metric.scale"] = float(point.scale)
        attrs["metric.zero_count"] = float(point.zero_count)
        attrs["metric.zero_threshold"] = point.zero_threshold
        negative = point.negative
        positive = point.positive
        # Negative buckets mirror the positive ones: bucket i holds [-b(i), -b(i - 1)), so
        # its upper bound is minus the bound of the bucket before it.
        lower = exponential_bounds(point.scale, negative.offset - 1, len(negative.bucket_counts))
        bounds = [-b for b in reversed(lower)]
        counts = list(reversed(negative.bucket_counts))
        bounds.append(0.0)
        counts.append(point.zero_count)
        bounds += exponential_bounds(point.scale, positive.offset, len(positive.bucket_counts))
        counts += list(positive.bucket_counts)
        counts.append(0)  # as in explicit histograms: one count more than bounds (above the last)
    attrs["metric.bounds"] = _encode_json(bounds).decode()
    attrs["metric.bucket_counts"] = _encode_json(counts).decode()
