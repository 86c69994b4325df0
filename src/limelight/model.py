"""The event model: system fields, attribute types and the columnar batch decoders produce."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

AttrValue = str | float | bool


class FieldType(StrEnum):
    STRING = "string"
    NUMBER = "number"
    BOOL = "bool"
    INTEGER = "integer"  # system only: $timestamp (ns) and $id


# System fields in storage order. `$timestamp` is epoch nanoseconds.
SYSTEM_FIELDS: dict[str, FieldType] = {
    "$timestamp": FieldType.INTEGER,
    "$service": FieldType.STRING,
    "$namespace": FieldType.STRING,
    "$kind": FieldType.STRING,
    "$name": FieldType.STRING,
    "$trace_id": FieldType.STRING,
    "$span_id": FieldType.STRING,
    "$parent_span_id": FieldType.STRING,
    "$duration_ms": FieldType.NUMBER,
    "$level": FieldType.STRING,
    "$status": FieldType.STRING,
    "$error": FieldType.BOOL,
    "$message": FieldType.STRING,
}
# Assigned by the store, not by decoders: a per-dataset increasing event id.
ID_FIELD = "$id"
# Attributes that did not get a column of their own, as one JSON object.
OVERFLOW_FIELD = "$attrs"
# The dataset an event belongs to; a column of every query result, not of storage.
DATASET_FIELD = "$dataset"

KINDS = ("span", "span_event", "link", "log", "event", "metric", "error", "check")
LEVELS = ("trace", "debug", "info", "warn", "error", "fatal")

DATASET_NAME = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,62}\Z")
TRACE_ID = re.compile(r"^[0-9a-f]{32}\Z")  # as stored: lowercase hex


def value_type(value: AttrValue) -> FieldType:
    if isinstance(value, bool):
        return FieldType.BOOL
    if isinstance(value, int | float):
        return FieldType.NUMBER
    return FieldType.STRING


# Event times a store keeps and a query can reach: epoch nanoseconds in 64 bits, below the
# largest (a query's `to` is exclusive), i.e. 1677-09-21 to 2262-04-11.
TIMESTAMP_MIN_NS = -(2**63)
TIMESTAMP_MAX_NS = 2**63 - 2


def check_dataset_name(name: str) -> str:
    if not DATASET_NAME.match(name):
        raise ValueError(
            f"invalid dataset name {name!r}: use 1-63 lowercase letters, digits, '_' or '-'"
        )
    return name


@dataclass
class Batch:
    """Events of one dataset as columns: what every decoder produces and the store appends.

    System columns are dense lists of `size` values; attributes are sparse
    (row indices and values) because most keys appear on few events.
    """

    dataset: str
    size: int = 0
    system: dict[str, list[Any]] = field(
        default_factory=lambda: {name: [] for name in SYSTEM_FIELDS}
    )
    attr_rows: dict[str, list[int]] = field(default_factory=dict)
    attr_values: dict[str, list[AttrValue]] = field(default_factory=dict)

    def add(
        self,
        timestamp_ns: int,
        service: str,
        namespace: str,
        kind: str,
        name: str | None = None,
        trace_id: str | None = None,
        span_id: str | None = None,
        parent_span_id: str | None = None,
        duration_ms: float | None = None,
        level: str | None = None,
        status: str | None = None,
        error: bool = False,
        message: str | None = None,
        attrs: dict[str, AttrValue] | None = None,
    ) -> None:
        s = self.system
        s["$timestamp"].append(timestamp_ns)
        s["$service"].append(service)
        s["$namespace"].append(namespace)
        s["$kind"].append(kind)
        s["$name"].append(name)
        s["$trace_id"].append(trace_id)
        s["$span_id"].append(span_id)
        s["$parent_span_id"].append(parent_span_id)
        s["$duration_ms"].append(duration_ms)
        s["$level"].append(level)
        s["$status"].append(status)
        s["$error"].append(error)
        s["$message"].append(message)
        if attrs:
            row = self.size
            rows, values = self.attr_rows, self.attr_values
            for key, value in attrs.items():
                if value is None:
                    continue
                if key in rows:
                    rows[key].append(row)
                    values[key].append(value)
                else:
                    rows[key] = [row]
                    values[key] = [value]
        self.size += 1

    def any_error(self) -> bool:
        """Whether a row has `$error` set (a prepared batch answers from its table)."""
        return True in self.system["$error"]

    def timestamp_range(self) -> tuple[int, int] | None:
        """The smallest and largest `$timestamp`; None without rows."""
        stamps = self.system["$timestamp"]
        return (min(stamps), max(stamps)) if stamps else None

    def error_candidates(self, kinds: Collection[str]) -> Batch:
        """The rows that may be errors of these kinds, as a plain batch to check row by row:
        a plain batch is itself (its rows are at hand); a prepared one keeps only the rows
        with `$error` set and such a `$kind`."""
        return self

    def materialized(self) -> Batch:
        """The batch with its rows in `system` and the attribute lists (a prepared batch,
        whose rows are only in a columnar table, builds them)."""
        return self

    def attribute_column(self, key: str) -> list[AttrValue | None]:
        """The attribute as a dense column, None where an event lacks it."""
        column: list[AttrValue | None] = [None] * self.size
        for row, value in zip(self.attr_rows[key], self.attr_values[key], strict=True):
            column[row] = value
        return column

    def extend(self, other: Batch) -> None:
        """Append another batch of the same dataset (used to group commits)."""
        offset = self.size
        for name, column in self.system.items():
            column.extend(other.system[name])
        for key, rows in other.attr_rows.items():
            shifted = [row + offset for row in rows]
            if key in self.attr_rows:
                self.attr_rows[key].extend(shifted)
                self.attr_values[key].extend(other.attr_values[key])
            else:
                self.attr_rows[key] = shifted
                self.attr_values[key] = list(other.attr_values[key])
        self.size += other.size
