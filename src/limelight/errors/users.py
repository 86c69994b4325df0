"""Affected users per group: exact up to a bound, then an estimate from a hash sample.

Distinct sampling: an id is kept when the low `level` bits of its hash are
zero; each time the sample outgrows its bound the level rises and half the
sample goes. The count is `len(sample) * 2**level`: exact until the first
rise, within a few percent after it, and never more than the bound in memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

MAX_SAMPLE = 10_000
_HASH_BITS = 52  # fits a JSON number exactly in every reader


def _hash(user_id: str) -> int:
    digest = hashlib.blake2b(user_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> (64 - _HASH_BITS)


def add_users(state: dict[str, Any], user_ids: Iterable[str],
              max_sample: int = MAX_SAMPLE) -> dict[str, Any]:
    """The state (`{"level", "hashes"}`) with these ids counted."""
    level = int(state.get("level", 0))
    sample = set(state.get("hashes", []))
    for user_id in user_ids:
        hashed = _hash(user_id)
        if hashed & ((1 << level) - 1) == 0:
            sample.add(hashed)
        while len(sample) > max_sample:
            level += 1
            sample = {h for h in sample if h & ((1 << level) - 1) == 0}
    return {"level": level, "hashes": sorted(sample)}


def count_users(state: dict[str, Any]) -> int:
    return len(state.get("hashes", [])) << int(state.get("level", 0))
