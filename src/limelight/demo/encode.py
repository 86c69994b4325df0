"""The shop's records as OTLP export requests, built directly from the protobuf classes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord as PbLogRecord
from opentelemetry.proto.logs.v1.logs_pb2 import SeverityNumber
from opentelemetry.proto.metrics.v1 import metrics_pb2
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import Span as PbSpan
from opentelemetry.proto.trace.v1.trace_pb2 import Status

from limelight import __version__
from limelight.demo.catalog import Attr, resource_attributes
from limelight.demo.records import SEVERITY_TEXT, LogRecord, MetricPoint, Span

SCOPE = InstrumentationScope(name="limelight.demo.shop", version=__version__)
CUMULATIVE = metrics_pb2.AGGREGATION_TEMPORALITY_CUMULATIVE

R = TypeVar("R", Span, LogRecord, MetricPoint)


def any_value(value: Attr) -> AnyValue:
    if isinstance(value, bool):  # before int: a bool is an int too
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    return AnyValue(string_value=str(value))


def key_values(attributes: dict[str, Attr]) -> list[KeyValue]:
    return [KeyValue(key=key, value=any_value(value)) for key, value in attributes.items()]


def _by_resource(records: Iterable[R]) -> dict[tuple[str, str | None], list[R]]:
    groups: dict[tuple[str, str | None], list[R]] = {}
    for record in records:
        groups.setdefault((record.service, record.function), []).append(record)
    return groups


def _resource(service: str, function: str | None) -> Resource:
    return Resource(attributes=key_values(resource_attributes(service, function)))


def traces_request(spans: Sequence[Span]) -> ExportTraceServiceRequest:
    """An ExportTraceServiceRequest with one ResourceSpans per service and function."""
    request = ExportTraceServiceRequest()
    for (service, function), group in _by_resource(spans).items():
        resource_spans = request.resource_spans.add(resource=_resource(service, function))
        scope_spans = resource_spans.scope_spans.add(scope=SCOPE)
        scope_spans.spans.extend(_span(span) for span in group)
    return request


def _span(span: Span) -> PbSpan:
    status = (Status(code=Status.STATUS_CODE_ERROR, message=span.error) if span.error is not None
              else Status())
    return PbSpan(
        trace_id=span.trace_id,
        span_id=span.span_id,
        parent_span_id=span.parent_span_id,
        name=span.name,
        kind=PbSpan.SpanKind.ValueType(span.kind),
        start_time_unix_nano=span.start_ns,
        end_time_unix_nano=span.end_ns,
        attributes=key_values(span.attributes),
        events=[PbSpan.Event(time_unix_nano=e.time_ns, name=e.name,
                             attributes=key_values(e.attributes)) for e in span.events],
        status=status,
    )


def logs_request(records: Sequence[LogRecord]) -> ExportLogsServiceRequest:
    """An ExportLogsServiceRequest; every record carries its span's trace and span id."""
    request = ExportLogsServiceRequest()
    for (service, function), group in _by_resource(records).items():
        resource_logs = request.resource_logs.add(resource=_resource(service, function))
        scope_logs = resource_logs.scope_logs.add(scope=SCOPE)
        scope_logs.log_records.extend(
            PbLogRecord(
                time_unix_nano=record.time_ns,
                observed_time_unix_nano=record.time_ns,
                severity_number=SeverityNumber.ValueType(record.severity),
                severity_text=SEVERITY_TEXT[record.severity],
                body=AnyValue(string_value=record.body),
                attributes=key_values(record.attributes),
                trace_id=record.trace_id,
                span_id=record.span_id,
                flags=1,
            )
            for record in group
        )
    return request


def metrics_request(
    points: Sequence[MetricPoint], start_ns: int, now_ns: int
) -> ExportMetricsServiceRequest:
    """An ExportMetricsServiceRequest; sums and histograms are cumulative since `start_ns`."""
    request = ExportMetricsServiceRequest()
    for (service, function), group in _by_resource(points).items():
        resource_metrics = request.resource_metrics.add(resource=_resource(service, function))
        scope_metrics = resource_metrics.scope_metrics.add(scope=SCOPE)
        metrics: dict[str, metrics_pb2.Metric] = {}
        for point in group:
            metric = metrics.get(point.name)
            if metric is None:
                metric = metrics[point.name] = scope_metrics.metrics.add(
                    name=point.name, unit=point.unit, description=point.description)
            _add_point(metric, point, start_ns, now_ns)
    return request


def _add_point(metric: metrics_pb2.Metric, point: MetricPoint, start_ns: int, now_ns: int) -> None:
    attributes = key_values(point.attributes)
    if point.kind == "gauge":
        metric.gauge.data_points.add(time_unix_nano=now_ns, as_double=point.value,
                                     attributes=attributes)
    elif point.kind == "sum":
        metric.sum.aggregation_temporality = CUMULATIVE
        metric.sum.is_monotonic = True
        metric.sum.data_points.add(start_time_unix_nano=start_ns, time_unix_nano=now_ns,
                                   as_double=point.value, attributes=attributes)
    elif point.kind == "histogram":
        metric.histogram.aggregation_temporality = CUMULATIVE
        metric.histogram.data_points.add(
            start_time_unix_nano=start_ns, time_unix_nano=now_ns, attributes=attributes,
            count=point.count, sum=point.total, min=point.minimum, max=point.maximum,
            explicit_bounds=list(point.bounds), bucket_counts=list(point.bucket_counts),
        )
    else:
        raise ValueError(f"unknown metric kind {point.kind!r}")
