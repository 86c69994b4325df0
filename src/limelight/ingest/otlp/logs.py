"""OTLP logs: a row per log record with level, message and trace correlation."""

from __future__ import annotations

import time

import msgspec
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

from limelight.ingest.otlp.common import (
    Decoded,
    Target,
    any_value,
    flatten,
    namespace_for,
    parse_request,
    resource_context,
)
from limelight.model import AttrValue, Batch

_encode_json = msgspec.json.Encoder().encode
# Severity numbers 1-24 in bands of four (OTLP logs data model).
_BANDS = ("trace", "debug", "info", "warn", "error", "fatal")
_TEXT_LEVELS = {
    "trace": "trace", "debug": "debug", "info": "info", "information": "info", "notice": "info",
    "warn": "warn", "warning": "warn", "error": "error", "err": "error", "critical": "fatal",
    "fatal": "fatal", "emergency": "fatal", "alert": "fatal", "crit": "fatal",
}


def level_of(severity_number: int, severity_text: str) -> str | None:
    if 1 <= severity_number <= 24:
        return _BANDS[(severity_number - 1) // 4]
    return _TEXT_LEVELS.get(severity_text.strip().lower()) if severity_text else None


def _body_text(value: AttrValue | None) -> str | None:
    """A scalar body as the message: text as is, other values as JSON writes them."""
    if value is None or isinstance(value, str):
        return value
    return _encode_json(value).decode()


def _id(raw: bytes) -> str | None:
    """A trace or span id as hex; None when absent or all zero bytes (OTLP's "no id")."""
    return raw.hex() if raw.strip(b"\0") else None


def decode_logs(body: bytes, content_type: str, target: Target) -> Decoded:
    request = parse_request(body, content_type, ExportLogsServiceRequest)
    decoded = Decoded(Batch(target.dataset))
    add = decoded.batch.add
    now_ns = time.time_ns()
    for resource_logs in request.resource_logs:
        for scope_logs in resource_logs.scope_logs:
            base, service = resource_context(resource_logs.resource, scope_logs.scope)
            namespace = namespace_for(base, service, target)
            for record in scope_logs.log_records:
                attrs: dict[str, AttrValue] = dict(base)
                flatten(record.attributes, attrs)
                message: str | None
                if record.body.WhichOneof("value") == "kvlist_value":
                    # A structured body: its "message" (or "msg") is the message, whatever
                    # its type, and the rest are attributes; never another attribute's.
                    fields: dict[str, AttrValue] = {}
                    flatten(record.body.kvlist_value.values, fields)
                    picked = fields.pop("message", None)
                    message = _body_text(fields.pop("msg", None) if picked is None else picked)
                    attrs.update(fields)
                else:
                    message = _body_text(any_value(record.body))
                if record.severity_text:
                    attrs["severity_text"] = record.severity_text
                if record.severity_number:
                    attrs["severity_number"] = float(record.severity_number)
                level = level_of(record.severity_number, record.severity_text)
                failed = level in ("error", "fatal") or "exception.type" in attrs
                event_name = getattr(record, "event_name", "")
                add(
                    record.time_unix_nano or record.observed_time_unix_nano or now_ns,
                    service, namespace, "log",
                    name=event_name or None,
                    trace_id=_id(record.trace_id),
                    span_id=_id(record.span_id),
                    level=level,
                    status="error" if failed else None,
                    error=failed,
                    message=message,
                    attrs=attrs,
                )
    return decoded
