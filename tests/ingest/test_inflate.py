"""Compressed bodies are inflated whole or refused: never a part of them stored."""

from __future__ import annotations

import gzip
import zlib

import pytest

from limelight.ingest.inflate import GZIP, RAW_DEFLATE, ZLIB, InflatedTooLarge, inflate

TEXT = b"".join(b'{"line": %d}\n' % i for i in range(2000))
ZIPPED = gzip.compress(TEXT)


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=RAW_DEFLATE)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(("body", "wbits", "expected"), [
    (ZIPPED, GZIP, TEXT),
    (gzip.compress(TEXT[:100]) + gzip.compress(TEXT[100:]), GZIP, TEXT),  # two members
    (gzip.compress(b"") + gzip.compress(TEXT), GZIP, TEXT),
    (zlib.compress(TEXT), ZLIB, TEXT),
    (raw_deflate(TEXT), RAW_DEFLATE, TEXT),
], ids=["gzip", "gzip-members", "gzip-empty-member", "zlib", "raw-deflate"])
def test_whole_streams_inflate(body: bytes, wbits: int, expected: bytes) -> None:
    assert inflate(body, wbits, len(expected)) == expected


@pytest.mark.parametrize(("body", "wbits", "problem"), [
    (ZIPPED[: len(ZIPPED) // 2], GZIP, "truncated"),
    (ZIPPED[:-8], GZIP, "truncated"),  # no CRC and length trailer
    (ZIPPED + b"garbage", GZIP, "7 bytes follow"),
    (ZIPPED + b"\x1f\x8b broken member", GZIP, "unknown compression method"),
    (zlib.compress(TEXT) + zlib.compress(TEXT), ZLIB, "bytes follow"),
    (b"not compressed", GZIP, "incorrect header check"),
    (b"", GZIP, "truncated"),
], ids=["half", "no-trailer", "trailing-garbage", "broken-second-member", "zlib-twice",
        "plain", "empty"])
def test_incomplete_or_extra_bytes_are_refused(body: bytes, wbits: int, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        inflate(body, wbits, 10 * len(TEXT))


@pytest.mark.parametrize("body", [
    ZIPPED, gzip.compress(TEXT[:-1]) + gzip.compress(TEXT[-1:] + b"x"),
], ids=["one-member", "second-member-passes"])
def test_over_the_limit_is_too_large(body: bytes) -> None:
    with pytest.raises(InflatedTooLarge):
        inflate(body, GZIP, len(TEXT) - 1)
