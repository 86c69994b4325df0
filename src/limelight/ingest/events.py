"""Free-form JSON events (Events API): a JSON array or NDJSON of objects."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import msgspec

from limelight.ingest.otlp.logs import level_of
from limelight.model import AttrValue, Batch
from limelight.timeparse import parse_time_ns

_encode_json = msgspec.json.Encoder().encode
_decode_json = msgspec.json.Decoder().decode

# Free-form keys that become system fields, the first found winning. The `$` names come
# first: an event as the query API returns it can be sent again as it is.
_TIMESTAMP = ("$timestamp", "timestamp", "time", "@timestamp")
MESSAGE_KEYS = ("$message", "message", "msg")
TRACE_KEYS = ("$trace_id", "traceId", "trace_id")
SPAN_KEYS = ("$span_id", "spanId", "span_id")
_PARENT = ("$parent_span_id", "parentSpanId", "parent_span_id")
LEVEL_KEYS = ("$level", "level")
_DURATION = ("$duration_ms", "duration")
_SERVICE = ("$service", "service")
_NAMESPACE = ("$namespace", "namespace")
_LARGEST_DURATION_MS = 1e300  # finite, and far past any real duration


@dataclass
class DecodedEvents:
    batch: Batch
    invalid: list[dict[str, Any]] = field(default_factory=list)


def split_documents(body: bytes) -> list[bytes] | list[Any]:
    """A JSON array's items (already decoded) or NDJSON's lines (still bytes)."""
    stripped = body.lstrip()
    if stripped.startswith(b"["):
        items = _decode_json(stripped)
        if not isinstance(items, list):
            raise ValueError("expected a JSON array of events")
        return items
    return [line for line in body.splitlines() if line.strip()]


def decode_events(
    body: bytes,
    dataset: str,
    service: str,
    namespace: str | None,
    max_event_bytes: int,
) -> DecodedEvents:
    """Decode every event; bad ones are listed (with index and reason), good ones kept."""
    result = DecodedEvents(Batch(dataset))
    now_ns = time.time_ns()
    for index, item in enumerate(split_documents(body)):
        try:
            if isinstance(item, bytes):
                if len(item) > max_event_bytes:
                    raise ValueError(f"event is {len(item)} bytes, over {max_event_bytes}")
                item = _decode_json(item)
            elif len(_encode_json(item)) > max_event_bytes:
                raise ValueError(f"event is over {max_event_bytes} bytes")
            if not isinstance(item, dict):
                raise ValueError(f"an event must be a JSON object, not {type(item).__name__}")
            add_event(result.batch, item, service, namespace, now_ns)
        except (ValueError, msgspec.DecodeError) as exc:
            result.invalid.append({"index": index, "error": str(exc)})
    return result


def add_event(
    batch: Batch, event: dict[str, Any], service: str, namespace: str | None, now_ns: int
) -> None:
    attrs: dict[str, AttrValue] = {}
    flatten_json(event, attrs)
    timestamp = pop_first(attrs, _TIMESTAMP)
    timestamp_ns = now_ns if timestamp is None else parse_time_ns(timestamp, now_ns)
    message = pop_first(attrs, MESSAGE_KEYS)
    level = pop_first(attrs, LEVEL_KEYS)
    duration = pop_first(attrs, _DURATION)
    if duration is not None and (
        isinstance(duration, bool) or not isinstance(duration, int | float)
        or not abs(duration) < _LARGEST_DURATION_MS
    ):
        raise ValueError(f"duration must be a number of milliseconds, not {duration!r}")
    error_value = event.get("error")
    failed = bool(error_value) and error_value not in ("false", "0")
    if isinstance(error_value, bool):
        attrs.pop("error", None)
    if failed and message is None and isinstance(error_value, str):
        message = error_value
    event_service = pop_first(attrs, _SERVICE)
    event_namespace = pop_first(attrs, _NAMESPACE)
    service_name = str(event_service) if event_service else service
    level_text = str(level).lower() if level is not None else None
    batch.add(
        timestamp_ns,
        service_name,
        str(event_namespace) if event_namespace else (namespace or service_name),
        "event",
        trace_id=_text(pop_first(attrs, TRACE_KEYS)),
        span_id=_text(pop_first(attrs, SPAN_KEYS)),
        parent_span_id=_text(pop_first(attrs, _PARENT)),
        duration_ms=float(duration) if duration is not None else None,
        level=(level_of(0, level_text) or level_text) if level_text else None,
        status="error" if failed else None,
        error=failed,
        message=None if message is None else str(message),
        attrs=attrs,
    )


def flatten_json(node: dict[str, Any], out: dict[str, AttrValue], prefix: str = "") -> None:
    for key, value in node.items():
        name = prefix + key
        if isinstance(value, dict):
            flatten_json(value, out, name + ".")
        elif isinstance(value, list):
            out[name] = _encode_json(value).decode()
        elif value is not None:
            out[name] = value


def pop_first(attrs: dict[str, AttrValue], names: tuple[str, ...]) -> AttrValue | None:
    found = None
    for name in names:
        value = attrs.pop(name, None)
        if found is None and value is not None:
            found = value
    return found


def _text(value: AttrValue | None) -> str | None:
    return None if value is None else str(value)
