"""Prometheus remote write 1.0 (`prometheus_pb.WriteRequest`, snappy block-compressed) as
gauge-shaped rows of dataset `metrics`, like the text exposition import. Pure functions.

Remote write carries samples without types: each becomes `metric.type = gauge` with
`metric.value`; `__name__` is `$name`; `job`, `service` or `service_name` gives
`$service`. Native histograms and exemplars are not stored (counted as skipped).
"""

from __future__ import annotations

from dataclasses import dataclass

from limelight.ingest import snappy
from limelight.ingest.prometheus import DATASET, DEFAULT_SERVICE, SERVICE_LABELS
from limelight.ingest.protos import Kind, message_class
from limelight.model import AttrValue, Batch

_ONE, _MANY = Kind.LABEL_OPTIONAL, Kind.LABEL_REPEATED
# prometheus.WriteRequest's fields that matter here (no Python package ships it); native
# histograms and exemplars are only counted, so they stay raw bytes.
WriteRequest = message_class("limelight.prometheus", {
    "Label": [("name", 1, Kind.TYPE_STRING, _ONE, ""), ("value", 2, Kind.TYPE_STRING, _ONE, "")],
    "Sample": [("value", 1, Kind.TYPE_DOUBLE, _ONE, ""),
               ("timestamp", 2, Kind.TYPE_INT64, _ONE, "")],
    "TimeSeries": [
        ("labels", 1, Kind.TYPE_MESSAGE, _MANY, ".limelight.prometheus.Label"),
        ("samples", 2, Kind.TYPE_MESSAGE, _MANY, ".limelight.prometheus.Sample"),
        ("exemplars", 3, Kind.TYPE_BYTES, _MANY, ""),
        ("histograms", 4, Kind.TYPE_BYTES, _MANY, "")],
    "WriteRequest": [
        ("timeseries", 1, Kind.TYPE_MESSAGE, _MANY, ".limelight.prometheus.TimeSeries")],
}, "WriteRequest")


@dataclass
class Decoded:
    batch: Batch
    skipped: int  # native histogram samples and exemplars, not stored


def decode_write(body: bytes, limit: int) -> Decoded:
    request = snappy.parse_message(WriteRequest, body, limit, "remote-write WriteRequest")
    batch = Batch(DATASET)
    skipped = 0
    for series in request.timeseries:
        labels = {label.name: label.value for label in series.labels}
        name = labels.pop("__name__", "")
        service = next((labels[k] for k in SERVICE_LABELS if labels.get(k)), DEFAULT_SERVICE)
        skipped += len(series.histograms) + len(series.exemplars)
        for sample in series.samples:
            attrs: dict[str, AttrValue] = {**labels, "metric.type": "gauge",
                                           "metric.value": sample.value}
            batch.add(sample.timestamp * 1_000_000, service, service, "metric", name=name,
                      attrs=attrs)
    return Decoded(batch, skipped)
