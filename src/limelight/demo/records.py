"""Plain records the simulated shop produces: spans, logs, free-form events, metric points."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from limelight.demo.catalog import Attrs

# OTLP span kinds and log severity numbers.
INTERNAL, SERVER, CLIENT, PRODUCER, CONSUMER = 1, 2, 3, 4, 5
INFO, WARN, ERROR = 9, 13, 17
SEVERITY_TEXT = {INFO: "INFO", WARN: "WARN", ERROR: "ERROR"}


@dataclass
class SpanEvent:
    name: str
    time_ns: int
    attributes: Attrs


@dataclass
class Span:
    trace_id: bytes
    span_id: bytes
    parent_span_id: bytes  # empty for a root span
    service: str
    function: str | None
    name: str
    kind: int
    start_ns: int
    end_ns: int
    attributes: Attrs
    error: str | None = None  # the status message of a failed span
    events: list[SpanEvent] = field(default_factory=list)


@dataclass
class LogRecord:
    service: str
    function: str | None
    time_ns: int
    severity: int
    body: str
    attributes: Attrs
    trace_id: bytes
    span_id: bytes


@dataclass
class Event:
    """A free-form event for the Events API; `body` is the JSON document without a timestamp."""

    dataset: str
    time_ns: int
    body: dict[str, Any]

    def document(self) -> dict[str, Any]:
        return {"timestamp": self.time_ns // 1_000_000, **self.body}


@dataclass(frozen=True)
class MetricPoint:
    """One data point; sums are cumulative and monotonic since the shop started."""

    service: str
    function: str | None
    name: str
    kind: str  # "sum" | "gauge" | "histogram"
    unit: str
    description: str
    attributes: Attrs
    value: float = 0.0
    count: int = 0
    total: float = 0.0
    minimum: float = 0.0
    maximum: float = 0.0
    bounds: tuple[float, ...] = ()
    bucket_counts: tuple[int, ...] = ()


class TraceBuilder:
    """Collects one request's spans, logs and events with times relative to its start."""

    def __init__(self, ids: random.Random) -> None:
        self._ids = ids
        self.trace_id = (ids.getrandbits(128) or 1).to_bytes(16, "big")
        self.spans: list[Span] = []
        self.logs: list[LogRecord] = []
        self.events: list[Event] = []

    def span_id(self) -> bytes:
        return (self._ids.getrandbits(64) or 1).to_bytes(8, "big")

    def uuid(self) -> str:
        return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    def hex_id(self, prefix: str, bits: int = 48) -> str:
        return f"{prefix}_{self._ids.getrandbits(bits):0{bits // 4}x}"

    def span(self, parent: Span | None, service: str, function: str | None, name: str,
             kind: int, at: int, attributes: Attrs) -> Span:
        span = Span(
            trace_id=self.trace_id, span_id=self.span_id(),
            parent_span_id=parent.span_id if parent is not None else b"",
            service=service, function=function, name=name, kind=kind,
            start_ns=at, end_ns=at, attributes=attributes,
        )
        self.spans.append(span)
        return span

    def log(self, span: Span, at: int, severity: int, body: str,
            attributes: Attrs | None = None) -> LogRecord:
        record = LogRecord(span.service, span.function, at, severity, body,
                           dict(attributes or {}), span.trace_id, span.span_id)
        self.logs.append(record)
        return record

    def event(self, dataset: str, at: int, body: dict[str, Any]) -> Event:
        event = Event(dataset, at, body)
        self.events.append(event)
        return event

    def shift_to(self, end_ns: int) -> None:
        """Move everything in time so the last thing to happen happens at `end_ns`."""
        last = max([s.end_ns for s in self.spans] + [r.time_ns for r in self.logs]
                   + [e.time_ns for e in self.events])
        delta = end_ns - last
        for span in self.spans:
            span.start_ns += delta
            span.end_ns += delta
            for span_event in span.events:
                span_event.time_ns += delta
        for record in self.logs:
            record.time_ns += delta
        for event in self.events:
            event.time_ns += delta
