"""Snappy block-compressed bodies (Prometheus remote write, Loki protobuf pushes), with the
decompressed size bounded before anything is allocated."""

from __future__ import annotations

import cramjam


class TooLarge(ValueError):
    pass


def decompress(body: bytes, limit: int) -> bytes:
    """The body, decompressed; ValueError when it is not snappy, TooLarge over `limit`."""
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
