"""Snappy block-compressed bodies (Prometheus remote write, Loki protobuf pushes), with the
decompressed size bounded before anything is allocated."""

from __future__ import annotations

import cramjam
from google.protobuf.message import DecodeError, Message

from limelight.exceptions import PayloadTooLarge


class TooLarge(PayloadTooLarge):
    """Answered as 413 by the HTTP layer, like any body over the limit."""


def decompress(body: bytes, limit: int) -> bytes:
    """The body, decompressed; ValueError when it is not snappy, TooLarge (413) over
    `limit`."""
    declared = _declared_length(body)
    if declared > limit:
        raise TooLarge(f"decompressed body would be {declared} bytes; the limit is {limit}")
    try:
        return bytes(cramjam.snappy.decompress_raw(body))
    except cramjam.DecompressionError as exc:
        raise ValueError(f"body is not snappy-compressed: {exc}") from exc


def _declared_length(body: bytes) -> int:
    """A snappy block starts with its decompressed length as a little-endian varint."""
    length = shift = 0
    for byte in body[:5]:
        length |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return length
        shift += 7
    raise ValueError("body is not snappy-compressed: no length header")


def parse_message(message_class: type[Message], body: bytes, limit: int, what: str) -> Message:
    """A snappy-compressed protobuf body as a message; ValueError naming `what` it is not."""
    message = message_class()
    try:
        message.ParseFromString(decompress(body, limit))
    except DecodeError as exc:
        raise ValueError(f"body is not a {what}: {exc}") from exc
    return message
