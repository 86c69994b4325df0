"""Dataset policies: blocked keys dropped, obfuscated keys hashed, sampling by trace."""

from __future__ import annotations

import random

import pytest

from limelight.ingest.policy import (
    DatasetPolicy,
    Policies,
    apply_policy,
    obfuscate,
    policies_from,
)
from limelight.model import Batch

SECRET = b"k" * 32


def batch(rows: list[tuple[str | None, dict[str, str | float | bool]]]) -> Batch:
    made = Batch("otel")
    for n, (trace_id, attrs) in enumerate(rows):
        made.add(n, "shop", "checkout", "span", name=f"span {n}", trace_id=trace_id, attrs=attrs)
    return made


def rows_of(made: Batch) -> list[dict[str, object]]:
    out: list[dict[str, object]] = [{"$name": name} for name in made.system["$name"]]
    for key, rows in made.attr_rows.items():
        for row, value in zip(rows, made.attr_values[key], strict=True):
            out[row][key] = value
    return out


def test_blocked_keys_and_the_keys_under_them_are_dropped() -> None:
    given = batch([(None, {"user.email": "a@b.c", "http.request.header.cookie": "x",
                           "http.route": "/pay", "user": "u1"})])
    policy = DatasetPolicy(blocked_keys=frozenset({"user.email", "http.request.header"}))
    assert rows_of(apply_policy(given, policy, SECRET)) == [
        {"$name": "span 0", "http.route": "/pay", "user": "u1"}]


def test_obfuscated_values_are_stable_hashes_of_the_value() -> None:
    given = batch([(None, {"user.id": "u1", "amount": 12.5}), (None, {"user.id": "u1"}),
                   (None, {"user.id": "u2"})])
    policy = DatasetPolicy(obfuscated_keys=frozenset({"user.id", "amount"}))
    out = rows_of(apply_policy(given, policy, SECRET))
    assert out[0]["user.id"] == out[1]["user.id"] != out[2]["user.id"]
    assert str(out[0]["user.id"]).startswith("obf:") and "u1" not in str(out[0]["user.id"])
    assert out[0]["amount"] == obfuscate(12.5, SECRET)
    assert obfuscate("u1", b"another key") != out[0]["user.id"]  # keyed: no rainbow tables


def test_sampling_keeps_whole_traces() -> None:
    traces = [f"{n:032x}" for n in range(400)]
    given = batch([(t, {"n": float(i)}) for t in traces for i in range(3)])
    out = apply_policy(given, DatasetPolicy(sampling=0.25), SECRET, random.Random(1))
    kept = out.system["$trace_id"]
    counts = {t: kept.count(t) for t in set(kept)}
    assert set(counts.values()) == {3}  # never part of a trace
    assert 60 < len(counts) < 140  # about a quarter of 400
    assert out.size == len(kept) and len(out.attr_rows["n"]) == out.size
    assert max(out.attr_rows["n"]) == out.size - 1


def test_sampling_events_without_trace_ids_at_random() -> None:
    given = batch([(None, {}) for _ in range(1000)])
    out = apply_policy(given, DatasetPolicy(sampling=0.1), SECRET, random.Random(7))
    assert 60 < out.size < 140


def test_a_policy_that_changes_nothing_returns_the_batch_itself() -> None:
    given = batch([(None, {"a": "b"})])
    assert apply_policy(given, DatasetPolicy(retention_days=3), SECRET) is given


@pytest.mark.parametrize(("docs", "expected"), [
    ([], {}),
    ([{"type": "query", "id": "otel", "service": "shop", "properties": {}}], {}),
    ([{"type": "dataset", "id": "otel", "service": "shop",
       "properties": {"retention_days": 7, "blocked_keys": ["a"]}}],
     {"otel": DatasetPolicy(("shop",), 7, 1.0, frozenset({"a"}), frozenset())}),
    # Two services declaring one dataset: nobody loses what they asked to keep or hide.
    ([{"type": "dataset", "id": "otel", "service": "shop",
       "properties": {"retention_days": 7, "sampling": 0.1, "blocked_keys": ["a"]}},
      {"type": "dataset", "id": "otel", "service": "auth",
       "properties": {"retention_days": 30, "sampling": 0.5, "obfuscated_keys": ["b"]}}],
     {"otel": DatasetPolicy(("auth", "shop"), 30, 0.5, frozenset({"a"}), frozenset({"b"}))}),
])
def test_policies_from_resources(docs: list[dict[str, object]],
                                 expected: dict[str, DatasetPolicy]) -> None:
    assert policies_from(docs) == expected


def test_policies_apply_only_to_their_dataset() -> None:
    policies = Policies(SECRET)
    policies.replace({"otel": DatasetPolicy(blocked_keys=frozenset({"a"}))})
    other = Batch("logs")
    other.add(0, "s", "n", "log", attrs={"a": "kept"})
    mine = batch([(None, {"a": "dropped"})])
    out_mine, out_other = policies.apply([mine, other])
    assert "a" not in out_mine.attr_rows and out_other is other
    assert policies.retention_days("otel") is None and policies.retention_days("logs") is None
