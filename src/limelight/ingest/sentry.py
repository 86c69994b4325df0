"""Sentry SDK payloads: envelopes and store bodies to batches. Pure functions, no I/O.

Events (errors and messages) become rows of dataset `errors`; transactions
become spans of dataset `otel`, beside the OpenTelemetry traces, so one trace
view shows both. Every other item type (sessions, attachments, client
reports, ...) is counted and skipped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import msgspec

from limelight.errors.event import ERRORS_DATASET, ErrorEvent, add_error_row
from limelight.errors.frames import Frame
from limelight.ingest.inflate import (
    GZIP,
    RAW_DEFLATE,
    ZLIB,
    InflatedTooLarge,
    inflate,
    unbrotli,
)
from limelight.model import TIMESTAMP_MAX_NS, TIMESTAMP_MIN_NS, TRACE_ID, AttrValue, Batch
from limelight.timeparse import parse_iso_ns

SPANS_DATASET = "otel"
# Breadcrumbs kept per event: the latest ones tell what led to the error.
MAX_BREADCRUMBS = 50
_LEVELS = {"fatal": "fatal", "error": "error", "warning": "warn", "info": "info",
           "debug": "debug"}

_decode_json = msgspec.json.Decoder().decode


class SentryError(ValueError):
    """The body is not a Sentry payload; the message says what is wrong and where."""


@dataclass(frozen=True)
class EnvelopeItem:
    headers: dict[str, Any]
    payload: bytes

    @property
    def type(self) -> str:
        return str(self.headers.get("type", ""))


@dataclass(frozen=True)
class Envelope:
    headers: dict[str, Any]
    items: list[EnvelopeItem]


@dataclass
class Decoded:
    errors: Batch = field(default_factory=lambda: Batch(ERRORS_DATASET))
    spans: Batch = field(default_factory=lambda: Batch(SPANS_DATASET))
    skipped: dict[str, int] = field(default_factory=dict)  # item type -> count
    event_id: str | None = None

    def batches(self) -> list[Batch]:
        return [batch for batch in (self.errors, self.spans) if batch.size]


def sentry_key(auth_header: str) -> str | None:
    """`Sentry sentry_key=abc, sentry_version=7` -> `abc`."""
    text = auth_header.strip()
    if text.lower().startswith("sentry "):
        text = text[7:]
    for part in text.split(","):
        name, _, value = part.strip().partition("=")
        if name.strip() == "sentry_key" and value.strip():
            return value.strip()
    return None


def decompress(body: bytes, encoding: str, limit: int) -> bytes:
    """The body under its Content-Encoding (gzip, deflate, br); SentryError when corrupt,
    InflatedTooLarge (413) when it inflates past `limit` bytes."""
    encoding = encoding.strip().lower()
    try:
        if encoding in ("", "identity"):
            out = body
        elif encoding in ("gzip", "x-gzip"):
            out = inflate(body, GZIP, limit)
        elif encoding == "deflate":
            try:
                out = inflate(body, ZLIB, limit)
            except ValueError:  # some clients send raw deflate without the zlib wrapper
                out = inflate(body, RAW_DEFLATE, limit)
        elif encoding == "br":
            out = unbrotli(body, limit)
        else:
            raise SentryError(f"content-encoding {encoding!r} is not supported; "
                              "use gzip, deflate or br")
    except SentryError:
        raise
    except ValueError as exc:
        raise SentryError(f"body is not valid {encoding}: {exc}") from exc
    if len(out) > limit:
        raise InflatedTooLarge(f"decompressed body is over the limit of {limit} bytes")
    return out


def parse_envelope(body: bytes) -> Envelope:
    """Header line, then items: a header line and a payload of `length` bytes, or up to
    the next newline when the header has no length."""
    if not body.strip():
        raise SentryError("empty envelope")
    first_end = _line_end(body, 0)
    headers = _json_object(body[:first_end], "envelope header")
    items: list[EnvelopeItem] = []
    position = first_end + 1
    while position < len(body):
        end = _line_end(body, position)
        line = body[position:end]
        position = end + 1
        if not line.strip():
            continue
        name = f"item {len(items) + 1}"
        item_headers = _json_object(line, f"{name} header")
        length = item_headers.get("length")
        if length is None:
            end = _line_end(body, position)
            payload, position = body[position:end], end + 1
        else:
            if isinstance(length, bool) or not isinstance(length, int) or length < 0:
                raise SentryError(f"{name} header: length must be a non-negative integer")
            if position + length > len(body):
                raise SentryError(f"{name} declares length {length} but only "
                                  f"{max(len(body) - position, 0)} bytes follow")
            payload, position = body[position:position + length], position + length
            if body[position:position + 1] == b"\n":
                position += 1
        items.append(EnvelopeItem(item_headers, payload))
    return Envelope(headers, items)


def _line_end(body: bytes, start: int) -> int:
    end = body.find(b"\n", start)
    return len(body) if end < 0 else end


def _json_object(raw: bytes, what: str) -> dict[str, Any]:
    try:
        value = _decode_json(raw)
    except (msgspec.DecodeError, RecursionError) as exc:
        raise SentryError(f"{what} is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise SentryError(f"{what} must be a JSON object, not {type(value).__name__}")
    return value


def decode_envelope(body: bytes, project: str, now_ns: int | None = None) -> Decoded:
    envelope = parse_envelope(body)
    decoded = Decoded(event_id=_text(envelope.headers.get("event_id")))
    for index, item in enumerate(envelope.items, 1):
        if item.type in ("event", "transaction"):
            data = _json_object(item.payload, f"item {index} ({item.type})")
            add_event(decoded, data, project, item.type, now_ns)
        else:
            decoded.skipped[item.type] = decoded.skipped.get(item.type, 0) + 1
    return decoded


def decode_store(body: bytes, project: str, now_ns: int | None = None) -> Decoded:
    """The older store endpoint: one event as the whole body."""
    data = _json_object(body, "body")
    decoded = Decoded(event_id=_text(data.get("event_id")))
    add_event(decoded, data, project, str(data.get("type") or "event"), now_ns)
    return decoded


def add_event(decoded: Decoded, data: dict[str, Any], project: str, kind: str,
              now_ns: int | None) -> None:
    now = time.time_ns() if now_ns is None else now_ns
    if kind == "transaction":
        add_transaction(decoded.spans, data, project, now)
    else:
        add_error_row(decoded.errors, error_event(data, project, now))
    decoded.event_id = decoded.event_id or _text(data.get("event_id"))


def error_event(data: dict[str, Any], project: str, now_ns: int) -> ErrorEvent:
    """A Sentry error or message event as our ErrorEvent."""
    exceptions = [v for v in _values(data.get("exception")) if isinstance(v, dict)]
    raised = exceptions[-1] if exceptions else {}  # Sentry lists a chain's cause first
    # The raised exception's stack, else its cause's, else a thread's (capture_message).
    candidates = [raised, *reversed(exceptions), *_values(data.get("threads"))]
    stack = next((_frames_of(node) for node in candidates if _frames_of(node)), [])
    frames = [Frame.from_dict(frame) for frame in stack]
    trace = _dict(_dict(data.get("contexts")).get("trace"))
    user = _dict(data.get("user"))
    service = _service(data, project)
    explicit = data.get("fingerprint")
    return ErrorEvent(
        timestamp_ns=_time_ns(data.get("timestamp"), now_ns),
        service=service,
        namespace=_text(data.get("transaction")) or service,
        type=_text(raised.get("type")) or "",
        message=_text(raised.get("value")) or _message(data),
        source="sentry",
        frames=frames,
        level=_LEVELS.get(str(data.get("level") or "error"), "error"),
        fingerprint=[p for p in map(_text, explicit) if p is not None]
        if isinstance(explicit, list) else None,
        trace_id=_trace_id(trace.get("trace_id")),
        span_id=_text(trace.get("span_id")),
        user_id=next((str(user[k]) for k in ("id", "email", "username", "ip_address")
                      if user.get(k) not in (None, "")), None),
        event_id=_text(data.get("event_id")),
        breadcrumbs=[c for c in _values(data.get("breadcrumbs")) if isinstance(c, dict)][
            -MAX_BREADCRUMBS:],
        attrs=_common_attrs(data),
    )


def add_transaction(batch: Batch, data: dict[str, Any], project: str, now_ns: int) -> None:
    """The transaction as its root span, and each of its spans, in dataset `otel`."""
    trace = _dict(_dict(data.get("contexts")).get("trace"))
    trace_id = _trace_id(trace.get("trace_id"))
    service = _service(data, project)
    name = _text(data.get("transaction")) or "transaction"
    attrs = _common_attrs(data)
    end_ns = _time_ns(data.get("timestamp"), now_ns)
    start_ns = _time_ns(data.get("start_timestamp"), end_ns)
    _add_span(batch, service, name, name, trace_id, trace, start_ns, end_ns,
              {**attrs, "sentry.op": _text(trace.get("op")) or ""})
    for span in _values(data.get("spans")):
        if not isinstance(span, dict):
            continue
        span_end = _time_ns(span.get("timestamp"), end_ns)
        span_start = _time_ns(span.get("start_timestamp"), span_end)
        span_attrs: dict[str, AttrValue] = {"sentry.op": _text(span.get("op")) or ""}
        for key, value in {**_dict(span.get("tags")), **_dict(span.get("data"))}.items():
            if isinstance(value, str | int | float | bool):
                span_attrs[str(key)] = value
        label = _text(span.get("description")) or _text(span.get("op")) or "span"
        _add_span(batch, service, name, label, _trace_id(span.get("trace_id")) or trace_id, span,
                  span_start, span_end, span_attrs)


def _add_span(batch: Batch, service: str, namespace: str, name: str, trace_id: str | None,
              span: dict[str, Any], start_ns: int, end_ns: int,
              attrs: dict[str, AttrValue]) -> None:
    status = _text(span.get("status"))
    failed = status not in (None, "ok", "unknown")
    batch.add(
        start_ns, service, namespace, "span", name=name, trace_id=trace_id,
        span_id=_text(span.get("span_id")), parent_span_id=_text(span.get("parent_span_id")),
        duration_ms=max(end_ns - start_ns, 0) / 1e6, status="error" if failed else "ok",
        error=failed, message=status if failed else None,
        attrs={key: value for key, value in attrs.items() if value != ""},
    )


def _common_attrs(data: dict[str, Any]) -> dict[str, AttrValue]:
    attrs: dict[str, AttrValue] = {}
    for key, name in (("release", "release"), ("environment", "environment"),
                      ("server_name", "host.name"), ("platform", "sentry.platform"),
                      ("logger", "logger")):
        value = _text(data.get(key))
        if value:
            attrs[name] = value
    sdk = _text(_dict(data.get("sdk")).get("name"))
    if sdk:
        attrs["sentry.sdk"] = sdk
    for key, value in _tags(data).items():
        if isinstance(value, str | int | float | bool) and str(key) != "service":
            attrs[f"tags.{key}"] = value
    return attrs


def _tags(data: dict[str, Any]) -> dict[str, Any]:
    """Tags come as an object or as a list of [key, value] pairs."""
    tags = data.get("tags")
    if isinstance(tags, list):
        return {t[0]: t[1] for t in tags if isinstance(t, list) and len(t) == 2
                and isinstance(t[0], str)}
    return _dict(tags)


def _service(data: dict[str, Any], project: str) -> str:
    """A `service` tag names the service; else the DSN's project does."""
    return _text(_tags(data).get("service")) or project


def _message(data: dict[str, Any]) -> str:
    entry = data.get("logentry") or data.get("message")
    if isinstance(entry, dict):
        return _text(entry.get("formatted")) or _text(entry.get("message")) or ""
    return _text(entry) or ""


def _frames_of(node: Any) -> list[Any]:
    frames = _dict(_dict(node).get("stacktrace")).get("frames")
    return frames if isinstance(frames, list) else []


def _values(node: Any) -> list[Any]:
    """Sentry writes lists both bare and as `{"values": [...]}`."""
    if isinstance(node, dict):
        node = node.get("values")
    return node if isinstance(node, list) else []


def _dict(node: Any) -> dict[str, Any]:
    return node if isinstance(node, dict) else {}


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    return str(value)


def _time_ns(value: Any, default_ns: int) -> int:
    """Sentry times: epoch seconds (number or digits) or ISO 8601; `default_ns` for anything
    else, a time past what can be stored included. Decimal keeps the sub-microsecond digits
    a float multiplication would garble."""
    found = default_ns
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            found = int(Decimal(repr(value)) * 1_000_000_000)
        elif isinstance(value, str) and value:
            found = int(Decimal(value) * 1_000_000_000) if value.replace(".", "", 1).isdecimal() \
                else parse_iso_ns(value)
    except (ValueError, ArithmeticError):
        return default_ns
    return found if TIMESTAMP_MIN_NS <= found <= TIMESTAMP_MAX_NS else default_ns


def _trace_id(value: Any) -> str | None:
    """A trace id as stored (32 lowercase hex digits); None for anything else."""
    text = _text(value)
    text = text.lower() if text else None
    return text if text and TRACE_ID.match(text) else None
