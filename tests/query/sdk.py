"""Sending telemetry to a test server with the real OpenTelemetry SDK and its OTLP exporters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from opentelemetry.exporter.otlp.json.http.trace_exporter import (
    OTLPSpanExporter as JsonSpanExporter,
)
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider, ReadableLogRecord
from opentelemetry.sdk._logs.export import (
    BatchLogRecordProcessor,
    LogRecordExporter,
    LogRecordExportResult,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from tests.conftest import RunningServer

Encoding = Literal["protobuf", "json"]


class RecordingSpanExporter(SpanExporter):
    """Delegates to a real exporter and keeps every result, so a test can prove delivery."""

    def __init__(self, inner: SpanExporter) -> None:
        self.inner = inner
        self.results: list[SpanExportResult] = []
        self.exported = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        result = self.inner.export(spans)
        self.results.append(result)
        self.exported += len(spans)
        return result

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return bool(self.inner.force_flush(timeout_millis))


class RecordingLogExporter(LogRecordExporter):
    def __init__(self, inner: LogRecordExporter) -> None:
        self.inner = inner
        self.results: list[LogRecordExportResult] = []
        self.exported = 0

    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        result = self.inner.export(batch)
        self.results.append(result)
        self.exported += len(batch)
        return result

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return bool(self.inner.force_flush(timeout_millis))


def tracer_provider(
    server: RunningServer,
    key: str,
    resource: dict[str, Any],
    encoding: Encoding = "protobuf",
    dataset: str | None = None,
) -> tuple[TracerProvider, RecordingSpanExporter]:
    headers = {"x-api-key": key}
    if dataset:
        headers["x-limelight-dataset"] = dataset
    endpoint = f"{server.url}/v1/traces"
    inner: SpanExporter
    if encoding == "json":
        inner = JsonSpanExporter(endpoint=endpoint, headers=headers, timeout=10)
    else:
        inner = OTLPSpanExporter(endpoint=endpoint, headers=headers, timeout=10)
    exporter = RecordingSpanExporter(inner)
    provider = TracerProvider(resource=Resource.create(resource))
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=60_000))
    return provider, exporter


def finish(provider: TracerProvider, exporter: RecordingSpanExporter, expected: int) -> None:
    """Flush every span, stop the provider, and insist the server took all of them."""
    assert provider.force_flush(30_000)
    provider.shutdown()
    assert exporter.exported == expected, f"{exporter.exported} spans exported, not {expected}"
    assert exporter.results
    assert all(r is SpanExportResult.SUCCESS for r in exporter.results), exporter.results


def logger_provider(
    server: RunningServer, key: str, resource: dict[str, Any]
) -> tuple[LoggerProvider, RecordingLogExporter]:
    exporter = RecordingLogExporter(
        OTLPLogExporter(endpoint=f"{server.url}/v1/logs", headers={"x-api-key": key}, timeout=10)
    )
    provider = LoggerProvider(resource=Resource.create(resource))
    provider.add_log_record_processor(BatchLogRecordProcessor(exporter,
                                                              schedule_delay_millis=60_000))
    return provider, exporter


def finish_logs(provider: LoggerProvider, exporter: RecordingLogExporter, expected: int) -> None:
    assert provider.force_flush(30_000)
    provider.shutdown()
    assert exporter.exported == expected, f"{exporter.exported} logs exported, not {expected}"
    assert all(r is LogRecordExportResult.SUCCESS for r in exporter.results), exporter.results
