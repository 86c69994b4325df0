"""Compressed bodies (gzip, zlib-wrapped deflate, raw deflate, brotli), inflated whole or
refused.

A body is accepted only when every byte of it belongs to a complete stream: a
truncated stream, a missing gzip trailer or bytes after the end answer 400 instead
of storing the part that happened to inflate. A gzip body may hold several members
one after another (RFC 1952); they are inflated in turn, as `gzip -d` does. Output
stops at the limit, so a small bomb costs no more memory than an honest body.
"""

from __future__ import annotations

import zlib

import brotli

from limelight.exceptions import PayloadTooLarge

GZIP = 31  # zlib wbits: gzip header and trailer
ZLIB = 15  # zlib header (HTTP's "deflate")
RAW_DEFLATE = -15
_GZIP_MAGIC = b"\x1f\x8b"
# Input is fed in slices: what follows a member's end is copied once per member, so a
# slice bounds that copy (a body of many tiny members would otherwise cost its size
# squared).
_SLICE = 16 * 1024
MAX_GZIP_MEMBERS = 1024


class InflatedTooLarge(PayloadTooLarge):
    """Answered as 413 by the HTTP layer, like any body over the limit."""


def _too_large(limit: int) -> InflatedTooLarge:
    return InflatedTooLarge(f"decompressed body is over the limit of {limit} bytes")


def inflate(body: bytes, wbits: int, limit: int) -> bytes:
    """The body inflated; ValueError when it is not one complete stream (or, for gzip,
    complete members), InflatedTooLarge when the output would pass `limit` bytes."""
    view = memoryview(body)
    parts: list[bytes] = []
    size = position = members = 0
    while True:
        members += 1
        if members > MAX_GZIP_MEMBERS:
            raise ValueError(f"more than {MAX_GZIP_MEMBERS} gzip members")
        inflater = zlib.decompressobj(wbits=wbits)
        while not inflater.eof and position < len(body):
            piece = view[position : position + _SLICE]
            position += len(piece)
            try:
                out = inflater.decompress(piece, limit + 1 - size)
            except zlib.error as exc:
                raise ValueError(str(exc)) from exc
            size += len(out)
            if size > limit or inflater.unconsumed_tail:
                raise _too_large(limit)
            parts.append(out)
        if not inflater.eof:
            raise ValueError("the compressed stream is truncated")
        position -= len(inflater.unused_data)
        if position == len(body):
            return b"".join(parts)
        if wbits != GZIP or body[position : position + 2] != _GZIP_MAGIC:
            raise ValueError(
                f"{len(body) - position} bytes follow the end of the compressed stream")


def unbrotli(body: bytes, limit: int) -> bytes:
    """A brotli body decompressed; ValueError when it is not one complete stream,
    InflatedTooLarge when the output would pass `limit` bytes."""
    decompressor = brotli.Decompressor()
    parts: list[bytes] = []
    size = 0
    pending = body
    try:
        while True:
            out = decompressor.process(pending, output_buffer_limit=limit + 1 - size)
            pending = b""
            size += len(out)
            if size > limit:
                raise _too_large(limit)
            parts.append(out)
            if decompressor.is_finished():
                return b"".join(parts)
            if decompressor.can_accept_more_data() and not out:
                raise ValueError("the compressed stream is truncated")
    except brotli.error as exc:
        raise ValueError(str(exc)) from exc
