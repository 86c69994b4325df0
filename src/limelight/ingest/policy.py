"""Dataset policies declared as `dataset` resources: what ingest keeps, hides and samples.

Applied to every batch before it is queued, whatever endpoint it came in by:
blocked keys are dropped, obfuscated keys' values replaced by a keyed hash
(equal values stay equal, so grouping and counting still work, but the value
cannot be read back), and a sampling rate keeps that share of the events —
whole traces at a time, so a kept trace is never missing spans. Retention is
read by the retention loop.

A dataset declared by several services gets the most careful combination:
the union of blocked and obfuscated keys, the longest retention and the
highest sampling rate (no service loses data it asked to keep).
"""

from __future__ import annotations

import hashlib
import hmac
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from limelight.model import AttrValue, Batch

OBFUSCATED_PREFIX = "obf:"
_HASH_SPACE = 2**64


@dataclass(frozen=True)
class DatasetPolicy:
    services: tuple[str, ...] = ()  # the services whose resources declare it
    retention_days: int | None = None
    sampling: float = 1.0
    blocked_keys: frozenset[str] = frozenset()
    obfuscated_keys: frozenset[str] = frozenset()

    @property
    def changes_rows(self) -> bool:
        return bool(self.sampling < 1 or self.blocked_keys or self.obfuscated_keys)


def policies_from(docs: Iterable[Mapping[str, Any]]) -> dict[str, DatasetPolicy]:
    """Each dataset's policy from the stored resources (docs of type `dataset`; id = dataset)."""
    found: dict[str, DatasetPolicy] = {}
    for doc in docs:
        if doc.get("type") != "dataset":
            continue
        props = doc.get("properties") or {}
        name = str(doc.get("id"))
        mine = DatasetPolicy(
            services=(str(doc.get("service")),),
            retention_days=props.get("retention_days"),
            sampling=float(props.get("sampling", 1.0)),
            blocked_keys=frozenset(props.get("blocked_keys", ())),
            obfuscated_keys=frozenset(props.get("obfuscated_keys", ())),
        )
        found[name] = _combine(found[name], mine) if name in found else mine
    return found


def _combine(a: DatasetPolicy, b: DatasetPolicy) -> DatasetPolicy:
    kept = [days for days in (a.retention_days, b.retention_days) if days is not None]
    return DatasetPolicy(
        services=tuple(sorted({*a.services, *b.services})),
        retention_days=max(kept) if kept else None,
        sampling=max(a.sampling, b.sampling),
        blocked_keys=a.blocked_keys | b.blocked_keys,
        obfuscated_keys=a.obfuscated_keys | b.obfuscated_keys,
    )


def _listed(key: str, keys: frozenset[str]) -> bool:
    """`key` or any key under it (`http.request.header` covers `http.request.header.cookie`)."""
    if key in keys:
        return True
    parts = key.split(".")
    return any(".".join(parts[:n]) in keys for n in range(1, len(parts)))


def obfuscate(value: AttrValue, secret: bytes) -> str:
    digest = hmac.new(secret, str(value).encode(), hashlib.sha256).hexdigest()
    return OBFUSCATED_PREFIX + digest[:16]


def _kept_rows(batch: Batch, rate: float, rng: random.Random) -> list[int]:
    """Rows to keep: by a hash of the trace id when there is one, else at random."""
    threshold = rate * _HASH_SPACE
    kept = []
    for row, trace_id in enumerate(batch.system["$trace_id"]):
        if trace_id:
            draw = int.from_bytes(hashlib.blake2b(trace_id.encode(), digest_size=8).digest())
            keep = draw < threshold
        else:
            keep = rng.random() < rate
        if keep:
            kept.append(row)
    return kept


def apply_policy(batch: Batch, policy: DatasetPolicy, secret: bytes,
                 rng: random.Random | None = None) -> Batch:
    """The batch as the policy lets it be stored (a new batch; the input is left alone)."""
    if not policy.changes_rows:
        return batch
    batch = batch.materialized()  # a request decoded in a worker arrives as a table
    out = Batch(batch.dataset)
    rows = (_kept_rows(batch, policy.sampling, rng or random.Random())
            if policy.sampling < 1 else range(batch.size))
    position = {row: new for new, row in enumerate(rows)}
    out.size = len(position)
    out.system = {name: [column[row] for row in position] for name, column in batch.system.items()}
    for key, key_rows in batch.attr_rows.items():
        if _listed(key, policy.blocked_keys):
            continue
        hide = _listed(key, policy.obfuscated_keys)
        new_rows: list[int] = []
        values: list[AttrValue] = []
        for row, value in zip(key_rows, batch.attr_values[key], strict=True):
            if row in position:
                new_rows.append(position[row])
                values.append(obfuscate(value, secret) if hide else value)
        if new_rows:
            out.attr_rows[key] = new_rows
            out.attr_values[key] = values
    return out


class Policies:
    """The policies in force; replaced whole when resources are applied."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret
        self.by_dataset: dict[str, DatasetPolicy] = {}

    def replace(self, policies: dict[str, DatasetPolicy]) -> None:
        self.by_dataset = policies

    def apply(self, batches: Sequence[Batch]) -> list[Batch]:
        current = self.by_dataset
        return [apply_policy(b, current[b.dataset], self.secret) if b.dataset in current else b
                for b in batches]

    def retention_days(self, dataset: str) -> int | None:
        policy = self.by_dataset.get(dataset)
        return policy.retention_days if policy else None
