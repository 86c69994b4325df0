"""The storage interfaces. Query, alerts, AI and the API depend on these, never on a backend."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from limelight.model import Batch, FieldType


@dataclass(frozen=True)
class DatasetSchema:
    """The columns of one dataset: system fields plus attribute keys with a column of their own."""

    name: str
    columns: dict[str, FieldType]
    # True when some attributes live in the overflow column (queried through it).
    has_overflow: bool = False

    def type_of(self, key: str) -> FieldType | None:
        return self.columns.get(key)


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    events: int
    first_ns: int | None
    last_ns: int | None
    bytes_on_disk: int | None
    retention_days: int


@dataclass(frozen=True)
class KeyInfo:
    key: str
    type: FieldType
    count: int


class Writer(Protocol):
    def append(self, batches: Sequence[Batch]) -> None:
        """Store the batches in one transaction; durable when this returns. Raises
        RowsRejected when the rows themselves cannot be stored (nothing is then)."""

    def delete_before(self, dataset: str, timestamp_ns: int) -> int:
        """Drop a dataset's events older than the timestamp; returns how many went."""


class Reader(Protocol):
    dialect: str

    def schemas(self) -> dict[str, DatasetSchema]:
        """Every dataset's current columns."""

    def execute(
        self, sql: str, params: Mapping[str, Any] | Sequence[Any] = ()
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run a read-only statement compiled for this backend's dialect (named `$p` params)."""

    def datasets(self) -> list[DatasetInfo]: ...

    def keys(self, dataset: str) -> list[KeyInfo]: ...

    def distinct_estimate(self, dataset: str, key: str) -> int | None:
        """About how many distinct values (null counted as one) the key's column holds, from
        the backend's statistics without a scan; None when unknown (no column of its own).
        A hint for choosing how to run a query, never part of a result."""


class MetaStore(Protocol):
    """Small documents (API keys, settings, resources, alert state) kept with the data."""

    def meta_get(self, collection: str, doc_id: str) -> dict[str, Any] | None: ...

    def meta_list(self, collection: str) -> dict[str, dict[str, Any]]: ...

    def meta_put(self, collection: str, doc_id: str, doc: dict[str, Any]) -> None: ...

    def meta_delete(self, collection: str, doc_id: str) -> bool: ...

    def meta_replace(self, collection: str, prefix: str, docs: dict[str, dict[str, Any]]) -> None:
        """Every doc whose id starts with `prefix` replaced by `docs`, in one transaction.

        Each id in `docs` must start with `prefix` (else ValueError, nothing changed).
        """
