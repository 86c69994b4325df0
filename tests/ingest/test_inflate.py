"""Compressed bodies are inflated whole or refused: never a part of them stored."""

from __future__ import annotations

import gzip
import subprocess
import sys
import zlib

import brotli
import pytest

from limelight.ingest.inflate import (
    GZIP,
    RAW_DEFLATE,
    ZLIB,
    InflatedTooLarge,
    inflate,
    unbrotli,
)

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


def test_many_tiny_members_take_time_in_proportion_to_the_body() -> None:
    # A member's leftovers are copied in slices, not whole: 1,000 members of a 1 MB body
    # would otherwise copy a gigabyte.
    padding = gzip.compress(b"x" * 1000, compresslevel=0)
    body = gzip.compress(b"") * 1000 + padding * 24
    assert inflate(body, GZIP, 30_000) == b"x" * 24_000


def test_too_many_members_are_refused() -> None:
    with pytest.raises(ValueError, match="more than 1024 gzip members"):
        inflate(gzip.compress(b"") * 1025, GZIP, 100)


def test_brotli_inflates_whole_or_is_refused() -> None:
    squeezed = brotli.compress(TEXT)
    assert unbrotli(squeezed, len(TEXT)) == TEXT
    with pytest.raises(ValueError, match="truncated"):
        unbrotli(squeezed[:-4], len(TEXT))
    with pytest.raises(ValueError, match="decoder failed"):
        unbrotli(squeezed + b"garbage", len(TEXT))
    with pytest.raises(ValueError, match="decoder failed"):
        unbrotli(b"not brotli", len(TEXT))


# The peak is read from VmHWM: ru_maxrss would count the parent's size at fork too.
_BOMB = """
import brotli
from limelight.ingest.inflate import InflatedTooLarge, unbrotli
compressor = brotli.Compressor(quality=5)
zeros = bytes(1 << 20)
bomb = b"".join(compressor.process(zeros) for _ in range(512)) + compressor.finish()
assert len(bomb) < 4_000, len(bomb)  # 512 MiB inside
try:
    unbrotli(bomb, 1 << 20)
except InflatedTooLarge:
    status = open("/proc/self/status").read()
    print(int(status.split("VmHWM:")[1].split()[0]) // 1024)
"""


def test_a_brotli_bomb_stops_at_the_limit() -> None:
    # In a process of its own, where the peak memory is this test's alone.
    done = subprocess.run([sys.executable, "-c", _BOMB], capture_output=True, text=True,
                          timeout=120, check=True)
    assert int(done.stdout) < 200  # MiB: never the 512 MiB inside (about 30 in all)
