"""Prometheus text exposition (what `prometheus_client` and exporters print, with optional
timestamps) as rows of dataset `metrics`, shaped like the OTLP metrics decoder's rows so one
query reads both. Pure functions.

- counters: `metric.type = sum`, monotonic and cumulative; gauges and untyped samples:
  `metric.type = gauge`; each sample's name (e.g. `requests_total`) is `$name`;
- histograms: one row per series and time with `metric.count`, `metric.sum`,
  `metric.bounds` and `metric.bucket_counts` (per bucket, not cumulative), as OTLP;
  VictoriaMetrics `vmrange` buckets (`name_bucket{vmrange="0.1...0.2"}`) likewise;
- summaries: `metric.count`, `metric.sum` and `metric.quantile.<q>`.

Labels become attributes; `job`, `service` or `service_name` gives `$service`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from limelight.model import AttrValue, Batch

DATASET = "metrics"
SERVICE_LABELS = ("service", "service_name", "job")
DEFAULT_SERVICE = "prometheus"
_encode_json = msgspec.json.Encoder().encode


@dataclass
class _Histogram:
    """The samples of one histogram series at one time."""

    name: str
    labels: dict[str, str]
    time_ns: int
    cumulative: dict[float, float] = field(default_factory=dict)  # le -> count so far
    ranges: dict[tuple[float, float], float] = field(default_factory=dict)  # vmrange
    count: float | None = None
    total: float | None = None
    summary: bool = False  # a summary, with or without quantiles


def decode_exposition(text: str, extra_labels: Mapping[str, str], now_ns: int,
                      openmetrics: bool = False) -> Batch:
    """Every sample of `text` (Prometheus text, or OpenMetrics text, whose counters' samples
    end in _total) as a metric row; raises ValueError naming a bad line."""
    batch = Batch(DATASET)
    histograms: dict[tuple[str, str, int], _Histogram] = {}
    try:
        if openmetrics:
            families = list(openmetrics_families(text))  # type: ignore[no-untyped-call]
        else:
            families = list(text_string_to_metric_families(text))
    except ValueError as exc:
        raise ValueError((None if openmetrics else _bad_line(text)) or str(exc)) from exc
    # VictoriaMetrics histograms come untyped: their _sum and _count join the buckets.
    ranged = {f.name.removesuffix("_bucket") for f in families
              if any("vmrange" in sample.labels for sample in f.samples)}
    for family in families:
        for sample in family.samples:
            labels = {**sample.labels, **extra_labels}
            time_ns = _time_ns(sample, now_ns)
            base = sample.name.removesuffix("_sum").removesuffix("_count")
            if base in ranged and base != sample.name:
                _histogram_part(histograms, base + "_bucket", sample, labels, time_ns)
            elif family.type in ("histogram", "gaugehistogram") or "vmrange" in labels:
                _histogram_part(histograms, family.name, sample, labels, time_ns)
            elif family.type == "summary":
                _summary_part(histograms, family.name, sample, labels, time_ns)
            elif not sample.name.endswith("_created"):
                attrs: dict[str, AttrValue] = {**labels, "metric.value": float(sample.value)}
                if family.type == "counter":
                    attrs |= {"metric.type": "sum", "metric.monotonic": True,
                              "metric.temporality": "cumulative"}
                else:
                    attrs["metric.type"] = "gauge"
                _add(batch, time_ns, sample.name, attrs)
    for histogram in histograms.values():
        _add(batch, histogram.time_ns, histogram.name, _histogram_attrs(histogram))
    return batch


def _bad_line(text: str) -> str | None:
    """Which line the parser refuses, said so a person can find it (the parser only says
    what it could not convert)."""
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        try:
            list(text_string_to_metric_families(line + "\n"))
        except ValueError as exc:
            return f"line {number}: {line[:120]!r}: {exc}"
    return None


def _time_ns(sample: Sample, now_ns: int) -> int:
    """The parser gives seconds as a float; the text had whole milliseconds."""
    if sample.timestamp is None:
        return now_ns
    seconds = float(sample.timestamp)
    if not math.isfinite(seconds):
        raise ValueError(f"sample {sample.name}: timestamp {sample.timestamp} is not a time")
    return round(seconds * 1000) * 1_000_000


def _series(histograms: dict[tuple[str, str, int], _Histogram], name: str,
            labels: dict[str, str], time_ns: int) -> _Histogram:
    own = {k: v for k, v in labels.items() if k not in ("le", "vmrange", "quantile")}
    key = (name, _encode_json(sorted(own.items())).decode(), time_ns)
    if key not in histograms:
        histograms[key] = _Histogram(name, own, time_ns)
    return histograms[key]


def _histogram_part(histograms: dict[tuple[str, str, int], _Histogram], family: str,
                    sample: Sample, labels: dict[str, str], time_ns: int) -> None:
    name = family.removesuffix("_bucket")
    series = _series(histograms, name, labels, time_ns)
    value = float(sample.value)
    if sample.name.endswith("_bucket") and "vmrange" in labels:
        low, _, high = labels["vmrange"].partition("...")
        series.ranges[(_bound(sample, "vmrange", low), _bound(sample, "vmrange", high))] = value
    elif sample.name.endswith("_bucket") and "le" in labels:
        series.cumulative[_bound(sample, "le", labels["le"])] = value
    elif sample.name.endswith("_count"):
        series.count = value
    elif sample.name.endswith("_sum"):
        series.total = value


def _summary_part(histograms: dict[tuple[str, str, int], _Histogram], family: str,
                  sample: Sample, labels: dict[str, str], time_ns: int) -> None:
    series = _series(histograms, family, labels, time_ns)
    series.summary = True
    if sample.name.endswith("_count"):
        series.count = float(sample.value)
    elif sample.name.endswith("_sum"):
        series.total = float(sample.value)
    elif "quantile" in labels:
        series.ranges[(_bound(sample, "quantile", labels["quantile"]), math.nan)] = float(
            sample.value)


def _bound(sample: Sample, label: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"sample {sample.name}: {label}={text!r} is not a number") from None


def _histogram_attrs(histogram: _Histogram) -> dict[str, AttrValue]:
    attrs: dict[str, AttrValue] = dict(histogram.labels)
    if histogram.count is not None:
        attrs["metric.count"] = histogram.count
    if histogram.total is not None:
        attrs["metric.sum"] = histogram.total
    quantiles = {q: v for (q, upper), v in histogram.ranges.items() if math.isnan(upper)}
    if histogram.summary:
        attrs["metric.type"] = "summary"
        for quantile, value in sorted(quantiles.items()):
            attrs[f"metric.quantile.{quantile:g}"] = value
        return attrs
    attrs["metric.type"] = "histogram"
    bounds, counts = _buckets(histogram)
    attrs["metric.bounds"] = _encode_json(bounds).decode()
    attrs["metric.bucket_counts"] = _encode_json(counts).decode()
    if histogram.count is None:
        attrs["metric.count"] = float(sum(counts))
    return attrs


def _buckets(histogram: _Histogram) -> tuple[list[float], list[float]]:
    """Explicit bounds and per-bucket counts (one more count than bounds), as OTLP has."""
    if histogram.ranges:
        ordered = sorted(histogram.ranges.items())
        bounds = [upper for (_, upper), _ in ordered]
        return bounds, [*(count for _, count in ordered), 0.0]
    ordered_le = sorted(histogram.cumulative.items())
    bounds = [le for le, _ in ordered_le if not math.isinf(le)]
    counts, before, last_le = [], 0.0, -math.inf
    for le, so_far in ordered_le:
        if so_far < before:
            raise ValueError(f"histogram {histogram.name}: bucket le={le:g} counts {so_far:g}, "
                             f"fewer than le={last_le:g}'s {before:g} (buckets count "
                             "every value up to their bound)")
        counts.append(so_far - before)
        before, last_le = so_far, le
    if len(counts) == len(bounds):  # no +Inf bucket was sent
        counts.append(0.0)
    return bounds, counts


def _add(batch: Batch, time_ns: int, name: str, attrs: dict[str, AttrValue]) -> None:
    service = next((str(attrs[k]) for k in SERVICE_LABELS if attrs.get(k)), DEFAULT_SERVICE)
    batch.add(time_ns, service, service, "metric", name=name, attrs=attrs)


def parse_extra_labels(values: Iterable[str]) -> dict[str, Any]:
    """`?extra_label=k=v` (repeatable), as VictoriaMetrics takes it."""
    labels = {}
    for value in values:
        key, sep, label_value = value.partition("=")
        if not sep or not key:
            raise ValueError(f"extra_label {value!r}: write name=value")
        labels[key] = label_value
    return labels
