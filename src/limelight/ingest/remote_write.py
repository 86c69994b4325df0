"""Prometheus remote write 1.0 (`prometheus_pb.WriteRequest`, snappy block-compressed) as
gauge-shaped rows of dataset `metrics`, like the text exposition import. Pure functions.

Remote write carries samples without types: each becomes `metric.type = gauge` with
`metric.value`; `__name__` is `$name`; `job`, `service` or `service_name` gives
`$service`. Native histograms and exemplars are not stored (counted as skipped).
"""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError, Message

from limelight.ingest import snappy
from limelight.ingest.prometheus import DATASET, DEFAULT_SERVICE, SERVICE_LABELS
from limelight.model import AttrValue, Batch


def _write_request_class() -> type[Message]:
    """prometheus.WriteRequest's fields that matter here, declared (no Python package ships
    it); unknown fields such as metadata are skipped by the parser."""
    file = descriptor_pb2.FileDescriptorProto(
        name="limelight/prometheus/remote.proto", package="limelight.prometheus",
        syntax="proto3")
    kinds = descriptor_pb2.FieldDescriptorProto
    repeated, optional = kinds.LABEL_REPEATED, kinds.LABEL_OPTIONAL

    def declare(name: str, *fields: tuple[str, int, int, int, str]) -> None:
        declared = file.message_type.add(name=name)
        for field_name, number, kind, label, type_name in fields:
            declared.field.add(name=field_name, number=number, type=kind, label=label,
                               type_name=type_name or None)

    declare("Label", ("name", 1, kinds.TYPE_STRING, optional, ""),
            ("value", 2, kinds.TYPE_STRING, optional, ""))
    declare("Sample", ("value", 1, kinds.TYPE_DOUBLE, optional, ""),
            ("timestamp", 2, kinds.TYPE_INT64, optional, ""))
    declare("TimeSeries",
            ("labels", 1, kinds.TYPE_MESSAGE, repeated, ".limelight.prometheus.Label"),
            ("samples", 2, kinds.TYPE_MESSAGE, repeated, ".limelight.prometheus.Sample"),
            ("exemplars", 3, kinds.TYPE_BYTES, repeated, ""),
            ("histograms", 4, kinds.TYPE_BYTES, repeated, ""))
    declare("WriteRequest",
            ("timeseries", 1, kinds.TYPE_MESSAGE, repeated, ".limelight.prometheus.TimeSeries"))
    pool = descriptor_pool.Default()
    try:
        found = pool.FindMessageTypeByName("limelight.prometheus.WriteRequest")
    except KeyError:
        pool.Add(file)
        found = pool.FindMessageTypeByName("limelight.prometheus.WriteRequest")
    result: type[Message] = message_factory.GetMessageClass(found)
    return result


WriteRequest = _write_request_class()


@dataclass
class Decoded:
    batch: Batch
    skipped: int  # native histogram samples and exemplars, not stored


def decode_write(body: bytes, limit: int) -> Decoded:
    raw = snappy.decompress(body, limit)
    request = WriteRequest()
    try:
        request.ParseFromString(raw)
    except DecodeError as exc:
        raise ValueError(f"body is not a remote-write WriteRequest: {exc}") from exc
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
