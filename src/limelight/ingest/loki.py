"""Loki push bodies (what Promtail, Grafana Alloy and Fluent Bit's `loki` output send) as
rows of dataset `logs`. Pure functions.

JSON: `{"streams": [{"stream": {labels}, "values": [["<ns>", "line", {metadata}?]]}]}`.
Protobuf: `logproto.PushRequest`, snappy block-compressed. Labels and structured
metadata become attributes; `service_name`, `service`, `app` or `job` gives `$service`
(in that order); `level`, `severity` or `detected_level` gives `$level`; a `trace_id`
gives `$trace_id`, so the line shows in its trace.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from google.protobuf import timestamp_pb2

from limelight.ingest import snappy
from limelight.ingest.events import (
    LEVEL_KEYS,
    MESSAGE_KEYS,
    SPAN_KEYS,
    TRACE_KEYS,
    flatten_json,
    pop_first,
)
from limelight.ingest.protos import Kind, message_class
from limelight.model import LEVELS, TRACE_ID, AttrValue, Batch

DATASET = "logs"
SERVICE_LABELS = ("service_name", "service", "app", "job")
LEVEL_LABELS = ("level", "severity", "detected_level")
DEFAULT_SERVICE = "unknown_service"
# Structured metadata that links a line to its trace (the console shows it in the trace).
TRACE_LABELS = ("trace_id", "traceID", "traceId")
_LEVEL_ALIASES = {"warning": "warn", "err": "error", "critical": "fatal", "crit": "fatal",
                  "dbug": "debug", "information": "info", "notice": "info", "eror": "error"}
_LABEL = re.compile(r'([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*"((?:[^"\\]|\\.)*)"')
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_decode_line = msgspec.json.Decoder().decode
_encode_json = msgspec.json.Encoder().encode


_STRING, _MESSAGE = Kind.TYPE_STRING, Kind.TYPE_MESSAGE
_ONE, _MANY = Kind.LABEL_OPTIONAL, Kind.LABEL_REPEATED
# logproto.PushRequest (Loki publishes no Python package for it).
PushRequest = message_class("limelight.loki", {
    "LabelPair": [("name", 1, _STRING, _ONE, ""), ("value", 2, _STRING, _ONE, "")],
    "Entry": [("timestamp", 1, _MESSAGE, _ONE, ".google.protobuf.Timestamp"),
              ("line", 2, _STRING, _ONE, ""),
              ("structured_metadata", 3, _MESSAGE, _MANY, ".limelight.loki.LabelPair")],
    "Stream": [("labels", 1, _STRING, _ONE, ""),
               ("entries", 2, _MESSAGE, _MANY, ".limelight.loki.Entry")],
    "PushRequest": [("streams", 1, _MESSAGE, _MANY, ".limelight.loki.Stream")],
}, "PushRequest", [timestamp_pb2.DESCRIPTOR.name])


def parse_labels(text: str) -> dict[str, str]:
    """`{job="api", level="info"}` as a dict; raises ValueError when it is not that."""
    inner = text.strip()
    if not (inner.startswith("{") and inner.endswith("}")):
        raise ValueError(f"labels {text[:80]!r} are not {{name=\"value\", ...}}")
    found = {m.group(1): _ESCAPE.sub(_unescape, m.group(2)) for m in _LABEL.finditer(inner)}
    if _LABEL.sub("", inner[1:-1]).replace(",", "").strip():  # something besides labels
        raise ValueError(f"labels {text[:80]!r} are not {{name=\"value\", ...}}")
    return found


def _unescape(match: re.Match[str]) -> str:
    """The escapes of a label value (Prometheus text and LogQL): backslash, quote, newline;
    any other character stands for itself (text outside ASCII stays as sent)."""
    char = match.group(1)
    return "\n" if char == "n" else char


def decode_json(body: bytes) -> Batch:
    try:
        doc = msgspec.json.decode(body)
    except (msgspec.DecodeError, RecursionError) as exc:
        raise ValueError(f"body is not JSON: {exc}") from exc
    streams = doc.get("streams") if isinstance(doc, dict) else None
    if not isinstance(streams, list):
        raise ValueError('give {"streams": [{"stream": {labels}, "values": [[ns, line]]}]}')
    batch = Batch(DATASET)
    for i, stream in enumerate(streams):
        labels = stream.get("stream") if isinstance(stream, dict) else None
        values = stream.get("values") if isinstance(stream, dict) else None
        if not isinstance(labels, dict) or not isinstance(values, list):
            raise ValueError(f"streams[{i}]: needs a `stream` object and a `values` list")
        for j, value in enumerate(values):
            if not (isinstance(value, list) and len(value) in (2, 3)
                    and isinstance(value[0], str) and value[0].isascii() and value[0].isdigit()
                    and isinstance(value[1], str)):
                raise ValueError(f"streams[{i}].values[{j}]: give [\"<unix ns>\", \"line\"] "
                                 "or [\"<unix ns>\", \"line\", {metadata}]")
            metadata = value[2] if len(value) == 3 and isinstance(value[2], dict) else {}
            _add(batch, int(value[0]), value[1], {**_texts(labels), **_texts(metadata)})
    return batch


def decode_protobuf(body: bytes, limit: int) -> Batch:
    request = snappy.parse_message(PushRequest, body, limit, "Loki PushRequest")
    batch = Batch(DATASET)
    for i, stream in enumerate(request.streams):
        try:
            labels = parse_labels(stream.labels)
        except ValueError as exc:
            raise ValueError(f"streams[{i}]: {exc}") from exc
        for j, entry in enumerate(stream.entries):
            metadata = {pair.name: pair.value for pair in entry.structured_metadata}
            time_ns = entry.timestamp.seconds * 1_000_000_000 + entry.timestamp.nanos
            if time_ns <= 0:  # as in JSON, where a time is digits: none, or before 1970
                raise ValueError(f"streams[{i}].entries[{j}]: the timestamp is missing or "
                                 "before 1970")
            _add(batch, time_ns, entry.line, {**labels, **metadata})
    return batch


def _texts(labels: dict[Any, Any]) -> dict[str, str]:
    """Labels are text; a client's number, object or list is kept as its JSON, a null not."""
    return {str(k): v if isinstance(v, str) else _encode_json(v).decode()
            for k, v in labels.items() if v is not None}


def _add(batch: Batch, time_ns: int, line: str, labels: dict[str, str]) -> None:
    # A line that is a JSON object is read like an Events API event: its fields become
    # attributes, and its message, level and ids the log's (over the stream's labels).
    fields = _json_object(line)
    message = pop_first(fields, MESSAGE_KEYS)
    own_level = pop_first(fields, LEVEL_KEYS)
    own_trace = pop_first(fields, TRACE_KEYS)
    span_id = pop_first(fields, SPAN_KEYS)
    service = next((labels[k] for k in SERVICE_LABELS if labels.get(k)), DEFAULT_SERVICE)
    level = str(own_level) if own_level is not None else next(
        (labels[k] for k in LEVEL_LABELS if labels.get(k)), None)
    level = _LEVEL_ALIASES.get(level.lower(), level.lower()) if level else None
    attrs: dict[str, AttrValue] = {**labels, **fields}
    trace_id = str(own_trace) if own_trace is not None else next(
        (labels[k] for k in TRACE_LABELS if k in labels), None)
    trace_id = trace_id.lower() if trace_id else None
    batch.add(time_ns, service, labels.get("namespace") or service, "log",
              trace_id=trace_id if trace_id and TRACE_ID.match(trace_id) else None,
              span_id=None if span_id is None else str(span_id),
              level=level if level in LEVELS else None,
              error=level in ("error", "fatal"),
              message=line if message is None else str(message), attrs=attrs)


def _json_object(line: str) -> dict[str, AttrValue]:
    """The line's fields, flattened, when it is a JSON object; else none."""
    if not line.startswith("{"):
        return {}
    try:
        document = _decode_line(line)
    except msgspec.DecodeError:
        return {}
    fields: dict[str, AttrValue] = {}
    if isinstance(document, dict):
        flatten_json(document, fields)
    return fields
