"""zlib-family bodies (gzip, zlib-wrapped deflate, raw deflate), inflated whole or refused.

A body is accepted only when every byte of it belongs to a complete stream: a
truncated stream, a missing gzip trailer or bytes after the end answer 400 instead
of storing the part that happened to inflate. A gzip body may hold several members
one after another (RFC 1952); they are inflated in turn, as `gzip -d` does.
"""

from __future__ import annotations

import zlib

from limelight.exceptions import PayloadTooLarge

GZIP = 31  # zlib wbits: gzip header and trailer
ZLIB = 15  # zlib header (HTTP's "deflate")
RAW_DEFLATE = -15
_GZIP_MAGIC = b"\x1f\x8b"


class InflatedTooLarge(PayloadTooLarge):
    """Answered as 413 by the HTTP layer, like any body over the limit."""


def inflate(body: bytes, wbits: int, limit: int) -> bytes:
    """The body inflated; ValueError when it is not one complete stream (or, for gzip,
    complete members), InflatedTooLarge when the output would pass `limit` bytes."""
    parts: list[bytes] = []
    size = 0
    rest = body
    while True:
        inflater = zlib.decompressobj(wbits=wbits)
        try:
            out = inflater.decompress(rest, limit + 1 - size)
        except zlib.error as exc:
            raise ValueError(str(exc)) from exc
        size += len(out)
        if size > limit or inflater.unconsumed_tail:
            raise InflatedTooLarge(f"decompressed body is over the limit of {limit} bytes")
        parts.append(out)
        if not inflater.eof:
            raise ValueError("the compressed stream is truncated")
        rest = inflater.unused_data
        if not rest:
            return b"".join(parts)
        if wbits != GZIP or not rest.startswith(_GZIP_MAGIC):
            raise ValueError(f"{len(rest)} bytes follow the end of the compressed stream")
