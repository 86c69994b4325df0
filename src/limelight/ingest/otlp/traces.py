"""OTLP traces: a span per row, plus a row per span event and per link (kinds span_event, link).

Spans are read through a variant of the request message that leaves each span's
attributes and status as bytes (common.raw_variant): attributes repeat across
spans, so each distinct KeyValue is decoded once and then found by its bytes.
Resource and scope attributes are the same for every row under them and are
added to the batch in bulk, after the rows.
"""

from __future__ import annotations

from bisect import bisect_left
from itertools import repeat
from typing import Any

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Status

from limelight.exceptions import BadRequest
from limelight.ingest.otlp.common import (
    Decoded,
    Target,
    flatten,
    namespace_for,
    parse_request,
    raw_attributes,
    raw_variant,
    resource_context,
)
from limelight.model import TIMESTAMP_MAX_NS, AttrValue, Batch

SPAN_KINDS = ("unspecified", "internal", "server", "client", "producer", "consumer")
STATUS_ERROR = 2
_NO_TRACE = bytes(16)
_NO_SPAN = bytes(8)

RawTraceRequest = raw_variant(
    ExportTraceServiceRequest, ("resource_spans", "scope_spans", "spans"), ("attributes", "status")
)


def decode_traces(body: bytes, content_type: str, target: Target) -> Decoded:
    if content_type == "application/json":
        request = RawTraceRequest.FromString(
            parse_request(body, content_type, ExportTraceServiceRequest).SerializeToString()
        )
    else:
        request = parse_request(body, content_type, RawTraceRequest)
    decoded = Decoded(Batch(target.dataset))
    for resource_spans in request.resource_spans:
        for scope_spans in resource_spans.scope_spans:
            base, service = resource_context(resource_spans.resource, scope_spans.scope)
            namespace = namespace_for(base, service, target)
            _add_spans(decoded, scope_spans.spans, base, service, namespace)
    return decoded


def _add_spans(decoded: Decoded, spans: Any, base: dict[str, AttrValue], service: str,
               namespace: str) -> None:
    """Rows for one scope's spans (and their events and links), appended to the batch."""
    batch = decoded.batch
    system = batch.system
    timestamps = system["$timestamp"].append
    kinds = system["$kind"].append
    names = system["$name"].append
    trace_ids = system["$trace_id"].append
    span_ids = system["$span_id"].append
    parent_ids = system["$parent_span_id"].append
    durations = system["$duration_ms"].append
    statuses = system["$status"].append
    errors = system["$error"].append
    messages = system["$message"].append
    own_attrs: list[dict[str, AttrValue]] = []  # per row, without the resource's
    row_attrs = own_attrs.append
    last_trace, tid = b"", ""
    for span in spans:
        trace_id, span_id = span.trace_id, span.span_id
        if len(trace_id) != 16 or trace_id == _NO_TRACE:
            decoded.reject(f"span {span.name!r}: trace_id must be 16 non-zero bytes")
            continue
        if len(span_id) != 8 or span_id == _NO_SPAN:
            decoded.reject(f"span {span.name!r}: span_id must be 8 non-zero bytes")
            continue
        if not 0 < span.start_time_unix_nano <= TIMESTAMP_MAX_NS:
            decoded.reject(f"span {span.name!r}: start_time_unix_nano is "
                           f"{'missing' if not span.start_time_unix_nano else 'past 2262'}")
            continue
        if trace_id != last_trace:  # spans of one trace usually come together
            last_trace, tid = trace_id, trace_id.hex()
        sid = span_id.hex()
        attrs = raw_attributes(span.attributes)
        kind = span.kind
        attrs["span.kind"] = SPAN_KINDS[kind] if 0 <= kind < 6 else "unspecified"
        if span.trace_state:
            attrs["trace.state"] = span.trace_state
        code, message = _status(span.status)
        failed = code == STATUS_ERROR
        start = span.start_time_unix_nano
        timestamps(start)
        kinds("span")
        names(span.name)
        trace_ids(tid)
        span_ids(sid)
        parent_ids(span.parent_span_id.hex() or None)
        durations(max(span.end_time_unix_nano - start, 0) / 1e6)
        statuses("error" if failed else "ok")
        errors(failed)
        messages(message or None)
        row_attrs(attrs)
        for event in span.events:
            event_attrs: dict[str, AttrValue] = {}
            flatten(event.attributes, event_attrs)
            is_exception = event.name == "exception"
            text = event_attrs.get("exception.message", base.get("exception.message"))
            timestamps(event.time_unix_nano or start)
            kinds("span_event")
            names(event.name)
            trace_ids(tid)
            span_ids(sid)
            parent_ids(None)
            durations(None)
            statuses("error" if is_exception else None)
            errors(is_exception)
            messages(text if isinstance(text, str) else None)
            row_attrs(event_attrs)
        for link in span.links:
            link_attrs: dict[str, AttrValue] = {}
            flatten(link.attributes, link_attrs)
            link_attrs["link.trace_id"] = link.trace_id.hex()
            link_attrs["link.span_id"] = link.span_id.hex()
            timestamps(start)
            kinds("link")
            names(span.name)
            trace_ids(tid)
            span_ids(sid)
            parent_ids(None)
            durations(None)
            statuses(None)
            errors(False)
            messages(None)
            row_attrs(link_attrs)
    count = len(own_attrs)
    system["$service"].extend(repeat(service, count))
    system["$namespace"].extend(repeat(namespace, count))
    system["$level"].extend(repeat(None, count))
    first = batch.size
    _add_attributes(batch, first, own_attrs, base)
    batch.size = first + count


def _status(raw: bytes) -> tuple[int, str]:
    if not raw:
        return 0, ""
    try:
        status = Status.FromString(raw)
    except DecodeError as exc:
        raise BadRequest(f"invalid OTLP protobuf: {exc}") from exc
    return status.code, status.message


def _add_attributes(batch: Batch, first: int, own_attrs: list[dict[str, AttrValue]],
                    base: dict[str, AttrValue]) -> None:
    """Rows from `first` on: each row's own attributes, then `base` on every row that does
    not set the key itself. Row numbers stay ascending in every key."""
    rows_of, values_of = batch.attr_rows, batch.attr_values
    for row, attrs in enumerate(own_attrs, first):
        for key, value in attrs.items():
            rows = rows_of.get(key)
            if rows is None:
                rows_of[key] = [row]
                values_of[key] = [value]
            else:
                rows.append(row)
                values_of[key].append(value)
    count = len(own_attrs)
    for key, value in base.items():
        rows = rows_of.get(key)
        if rows is None:
            rows_of[key] = list(range(first, first + count))
            values_of[key] = [value] * count
        elif not rows or rows[-1] < first:
            rows.extend(range(first, first + count))
            values_of[key].extend(repeat(value, count))
        else:  # some rows set this resource key themselves: theirs wins
            values = values_of[key]
            cut = bisect_left(rows, first)
            own = dict(zip(rows[cut:], values[cut:], strict=True))
            del rows[cut:], values[cut:]
            rows.extend(range(first, first + count))
            values.extend(own.get(row, value) for row in range(first, first + count))
