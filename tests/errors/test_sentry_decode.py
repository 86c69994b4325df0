"""Sentry payload decoding: envelopes, compression, item types, bad bodies."""

from __future__ import annotations

import gzip
import json
import time
import zlib
from collections.abc import Callable
from typing import Any

import brotli
import pytest

from limelight.ingest.inflate import InflatedTooLarge
from limelight.ingest.sentry import (
    SentryError,
    decode_envelope,
    decode_store,
    decompress,
    parse_envelope,
    sentry_key,
)
from limelight.model import Batch

EVENT = {
    "event_id": "9ec79c33ec9942ab8353589fcb2e04dc", "timestamp": 1714557600.25,
    "level": "error", "platform": "python", "release": "shop@1.2.0",
    "environment": "prod", "tags": {"service": "shop", "region": "eu"},
    "user": {"id": "u-1"}, "transaction": "POST /checkout",
    "contexts": {"trace": {"trace_id": "a" * 32, "span_id": "b" * 16}},
    "breadcrumbs": {"values": [{"category": "http", "message": "GET /cart"}]},
    "exception": {"values": [{"type": "ValueError", "value": "declined 77", "stacktrace": {
        "frames": [{"module": "shop", "function": "charge", "lineno": 20, "in_app": True,
                    "context_line": "raise ValueError(...)"}]}}]},
}
TRANSACTION = {
    "type": "transaction", "transaction": "POST /checkout", "start_timestamp": 1714557600.0,
    "timestamp": 1714557600.5, "contexts": {"trace": {
        "trace_id": "c" * 32, "span_id": "d" * 16, "op": "http.server", "status": "ok"}},
    "spans": [{"span_id": "e" * 16, "parent_span_id": "d" * 16, "op": "db",
               "description": "SELECT 1", "start_timestamp": 1714557600.1,
               "timestamp": 1714557600.2, "status": "internal_error"}],
}


def envelope(*items: tuple[dict[str, Any], bytes], with_length: bool = True) -> bytes:
    lines = [json.dumps({"event_id": EVENT["event_id"]}).encode()]
    for headers, payload in items:
        if with_length:
            headers = {**headers, "length": len(payload)}
        lines += [json.dumps(headers).encode(), payload]
    return b"\n".join(lines) + b"\n"


def item(kind: str, payload: Any) -> tuple[dict[str, Any], bytes]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return {"type": kind}, body


def column(batch: Batch, key: str) -> list[Any]:
    return batch.system[key] if key in batch.system else batch.attribute_column(key)


def test_event_becomes_an_error_row() -> None:
    decoded = decode_envelope(envelope(item("event", EVENT)), "42")
    errors = decoded.errors
    assert errors.size == 1 and decoded.spans.size == 0
    assert decoded.event_id == EVENT["event_id"]
    assert column(errors, "$service") == ["shop"]
    assert column(errors, "$namespace") == ["POST /checkout"]
    assert column(errors, "$timestamp") == [1714557600250000000]
    assert column(errors, "$trace_id") == ["a" * 32]
    assert column(errors, "error.type") == ["ValueError"]
    assert column(errors, "error.culprit") == ["shop in charge"]
    assert column(errors, "user.id") == ["u-1"]
    assert column(errors, "release") == ["shop@1.2.0"]
    assert column(errors, "tags.region") == ["eu"]
    assert json.loads(column(errors, "error.breadcrumbs")[0])[0]["message"] == "GET /cart"


def test_transaction_becomes_spans() -> None:
    spans = decode_envelope(envelope(item("transaction", TRANSACTION)), "42").spans
    assert spans.dataset == "otel"
    assert column(spans, "$name") == ["POST /checkout", "SELECT 1"]
    assert column(spans, "$parent_span_id") == [None, "d" * 16]
    assert column(spans, "$duration_ms") == pytest.approx([500.0, 100.0], abs=0.01)
    assert column(spans, "$status") == ["ok", "error"]
    assert column(spans, "$service") == ["42", "42"]  # no service tag: the DSN's project


def test_store_body_is_one_event() -> None:
    decoded = decode_store(json.dumps(EVENT).encode(), "42")
    assert decoded.errors.size == 1 and decoded.event_id == EVENT["event_id"]


def test_message_event_without_exception() -> None:
    body = envelope(item("event", {"message": {"formatted": "cache warmed in 12 ms"},
                                   "level": "warning"}))
    errors = decode_envelope(body, "42").errors
    assert column(errors, "error.title") == ["cache warmed in 12 ms"]
    assert column(errors, "$level") == ["warn"]


def test_other_item_types_are_skipped() -> None:
    body = envelope(item("session", {"sid": "x"}), item("attachment", b"\x00\x01\n\x02binary"),
                    item("client_report", {"discarded_events": []}), item("event", EVENT),
                    item("profile", {"x": 1}))
    decoded = decode_envelope(body, "42")
    assert decoded.errors.size == 1
    assert decoded.skipped == {"session": 1, "attachment": 1, "client_report": 1, "profile": 1}


def test_items_without_length_end_at_the_newline() -> None:
    body = envelope(item("session", {"sid": "x"}), item("event", EVENT), with_length=False)
    assert decode_envelope(body, "42").errors.size == 1


def test_length_covers_payloads_with_newlines() -> None:
    parsed = parse_envelope(envelope(item("attachment", b"a\nb\n"), item("event", EVENT)))
    assert parsed.items[0].payload == b"a\nb\n"
    assert parsed.items[1].type == "event"


def test_last_item_without_trailing_newline() -> None:
    body = envelope(item("event", EVENT)).rstrip(b"\n")
    assert decode_envelope(body, "42").errors.size == 1


PAYLOAD = envelope(item("event", EVENT))
ENCODERS: dict[str, Callable[[bytes], bytes]] = {
    "": lambda body: body,
    "gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": brotli.compress,
}


@pytest.mark.parametrize("encoding", list(ENCODERS), ids=["identity", "gzip", "deflate", "br"])
def test_decompress(encoding: str) -> None:
    assert decompress(ENCODERS[encoding](PAYLOAD), encoding, 1 << 20) == PAYLOAD


def test_raw_deflate_is_accepted() -> None:
    raw = zlib.compressobj(wbits=-15)
    body = raw.compress(PAYLOAD) + raw.flush()
    assert decompress(body, "deflate", 1 << 20) == PAYLOAD


def test_decompressed_body_over_the_limit() -> None:
    with pytest.raises(InflatedTooLarge, match="limit of 100 bytes"):
        decompress(gzip.compress(b"x" * 1000), "gzip", 100)
    with pytest.raises(InflatedTooLarge, match="limit of 100 bytes"):
        decompress(brotli.compress(b"x" * 1000), "br", 100)


@pytest.mark.parametrize(("body", "encoding", "message"), [
    (b"not gzip", "gzip", "not valid gzip"),
    (b"not brotli", "br", "not valid br"),
    (b"x", "zstd", "'zstd' is not supported"),
], ids=["bad-gzip", "bad-brotli", "unknown-encoding"])
def test_bad_compression(body: bytes, encoding: str, message: str) -> None:
    with pytest.raises(SentryError, match=message):
        decompress(body, encoding, 1 << 20)


@pytest.mark.parametrize(("body", "message"), [
    (b"", "empty envelope"),
    (b"{not json\n", "envelope header is not valid JSON"),
    (b"[1]\n", "envelope header must be a JSON object"),
    (b'{}\n{"type": "event"}\n{broken\n', r"item 1 \(event\) is not valid JSON"),
    (b'{}\n{"type": "event", "length": 500}\n{}\n', "declares length 500 but only 3 bytes"),
    (b'{}\n{"type": "event", "length": -1}\n{}\n', "length must be a non-negative integer"),
    (b'{}\nnot a header\n', "item 1 header is not valid JSON"),
], ids=["empty", "header-not-json", "header-not-object", "payload-not-json",
        "length-too-long", "negative-length", "item-header-not-json"])
def test_bad_envelopes(body: bytes, message: str) -> None:
    with pytest.raises(SentryError, match=message):
        decode_envelope(body, "42")


@pytest.mark.parametrize(("header", "key"), [
    ("Sentry sentry_key=abc, sentry_version=7, sentry_client=sentry.python/2.0", "abc"),
    ("sentry_version=7,sentry_key=xyz", "xyz"),
    ("Sentry sentry_version=7", None),
    ("", None),
], ids=["sdk-header", "no-prefix", "no-key", "empty"])
def test_sentry_key(header: str, key: str | None) -> None:
    assert sentry_key(header) == key


def test_fields_of_the_wrong_shape_are_not_stored_as_python_reprs() -> None:
    odd = {**EVENT, "timestamp": 1e20,
           "tags": [["service", {"x": 1}], [["x"], 1], ["region", "eu"]],
           "fingerprint": [1, None, {"a": 1}, "checkout"],
           "contexts": {"trace": {"trace_id": "zz", "span_id": "b" * 16}}}
    before = time.time_ns()
    errors = decode_envelope(envelope(item("event", odd)), "42").errors
    assert before <= column(errors, "$timestamp")[0] <= time.time_ns()  # past 2262: now
    assert column(errors, "$service") == ["42"]  # a service tag that is not text: the project
    assert column(errors, "tags.region") == ["eu"]
    assert not any(key.startswith("tags.[") for key in errors.attr_values)
    assert column(errors, "$trace_id") == [None]
    transaction = {**TRANSACTION, "contexts": {"trace": {**TRANSACTION["contexts"]["trace"],
                                                         "trace_id": "C" * 32}}}
    spans = decode_envelope(envelope(item("transaction", transaction)), "42").spans
    assert column(spans, "$trace_id")[0] == "c" * 32
