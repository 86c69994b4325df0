"""OTLP traces: a span per row, plus a row per span event and per link (kinds span_event, link)."""

from __future__ import annotations

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from limelight.ingest.otlp.common import (
    Decoded,
    Target,
    flatten,
    namespace_for,
    parse_request,
    resource_context,
)
from limelight.model import AttrValue, Batch

SPAN_KINDS = ("unspecified", "internal", "server", "client", "producer", "consumer")
STATUS_ERROR = 2


def decode_traces(body: bytes, content_type: str, target: Target) -> Decoded:
    request = parse_request(body, content_type, ExportTraceServiceRequest)
    decoded = Decoded(Batch(target.dataset))
    add = decoded.batch.add
    for resource_spans in request.resource_spans:
        for scope_spans in resource_spans.scope_spans:
            base, service = resource_context(resource_spans.resource, scope_spans.scope)
            namespace = namespace_for(base, service, target)
            for span in scope_spans.spans:
                trace_id, span_id = span.trace_id, span.span_id
                if len(trace_id) != 16 or not any(trace_id):
                    decoded.reject(f"span {span.name!r}: trace_id must be 16 non-zero bytes")
                    continue
                if len(span_id) != 8 or not any(span_id):
                    decoded.reject(f"span {span.name!r}: span_id must be 8 non-zero bytes")
                    continue
                tid, sid = trace_id.hex(), span_id.hex()
                attrs: dict[str, AttrValue] = dict(base)
                flatten(span.attributes, attrs)
                attrs["span.kind"] = SPAN_KINDS[span.kind] if span.kind < 6 else "unspecified"
                if span.trace_state:
                    attrs["trace.state"] = span.trace_state
                failed = span.status.code == STATUS_ERROR
                start = span.start_time_unix_nano
                add(
                    start, service, namespace, "span",
                    name=span.name,
                    trace_id=tid,
                    span_id=sid,
                    parent_span_id=span.parent_span_id.hex() or None,
                    duration_ms=max(span.end_time_unix_nano - start, 0) / 1e6,
                    status="error" if failed else "ok",
                    error=failed,
                    message=span.status.message or None,
                    attrs=attrs,
                )
                for event in span.events:
                    event_attrs: dict[str, AttrValue] = dict(base)
                    flatten(event.attributes, event_attrs)
                    is_exception = event.name == "exception"
                    message = event_attrs.get("exception.message")
                    add(
                        event.time_unix_nano or start, service, namespace, "span_event",
                        name=event.name,
                        trace_id=tid,
                        span_id=sid,
                        error=is_exception,
                        status="error" if is_exception else None,
                        message=message if isinstance(message, str) else None,
                        attrs=event_attrs,
                    )
                for link in span.links:
                    link_attrs: dict[str, AttrValue] = dict(base)
                    flatten(link.attributes, link_attrs)
                    link_attrs["link.trace_id"] = link.trace_id.hex()
                    link_attrs["link.span_id"] = link.span_id.hex()
                    add(start, service, namespace, "link", name=span.name, trace_id=tid,
                        span_id=sid, attrs=link_attrs)
    return decoded
