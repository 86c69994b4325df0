"""Where a query's rows come from, and how a key reads there: SQL expressions only.

A query over several datasets reads each one as if it were queried alone (its own types,
its own overflow keys) and unions the columns the calculations and groups need, so that
adding a dataset never changes which of another dataset's rows match.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from limelight.exceptions import QueryError
from limelight.model import DATASET_FIELD, ID_FIELD, OVERFLOW_FIELD, FieldType
from limelight.store.api import DatasetSchema

# Not searched by the needle: identifiers and enumerations nobody types words into.
NOT_SEARCHED = frozenset({"$trace_id", "$span_id", "$parent_span_id", "$kind", "$level",
                          "$status"})
SQL_TYPES = {FieldType.STRING: "VARCHAR", FieldType.NUMBER: "DOUBLE", FieldType.BOOL: "BOOLEAN",
             FieldType.INTEGER: "BIGINT"}


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def as_text(column: str, ftype: FieldType) -> str:
    """A column as text, numbers written the way they read back (404, not 404.0)."""
    if ftype is FieldType.STRING:
        return column
    if ftype is FieldType.NUMBER:
        return (f"CASE WHEN {column} = trunc({column}) AND abs({column}) < 9007199254740992 "
                f"THEN CAST(CAST({column} AS BIGINT) AS VARCHAR) "
                f"ELSE CAST({column} AS VARCHAR) END")
    return f"CAST({column} AS VARCHAR)"


def json_path(key: str) -> str:
    """A top-level key of a JSON object as a DuckDB JSON path (quotes and backslashes
    escaped)."""
    return '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class Params:
    """The statement's bound parameters: every user value goes through `add`."""

    values: dict[str, Any] = field(default_factory=dict)

    def add(self, value: Any) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return "$" + name


def open_source(datasets: Sequence[str], schemas: Mapping[str, DatasetSchema]) -> Source:
    missing = [name for name in datasets if name not in schemas]
    if missing:
        known = ", ".join(sorted(schemas)) or "none yet"
        raise QueryError(f"datasets: unknown dataset {missing[0]!r} (known: {known})")
    return Source([schemas[name] for name in dict.fromkeys(datasets)])


class Source:
    """One dataset, or a union of datasets, and how keys resolve there.

    `elsewhere` holds, for one dataset of a union, the keys only the other datasets have:
    they read as missing here (or from the overflow column, like any unknown key); with
    `overflow_elsewhere`, so does any attribute key, as another dataset may hold it.
    """

    def __init__(self, schemas: list[DatasetSchema],
                 elsewhere: Mapping[str, FieldType] | None = None,
                 lenient: frozenset[str] = frozenset(),
                 overflow_elsewhere: bool = False) -> None:
        self.schemas = schemas
        self.elsewhere = dict(elsewhere or {})
        self.overflow_elsewhere = overflow_elsewhere
        # Keys typed differently in the datasets of the union this source is part of: a value
        # that does not fit this dataset's type matches nothing here instead of failing.
        self.lenient = lenient
        self.types: dict[str, FieldType] = {}
        self.conflicting: set[str] = set()  # typed differently in two datasets: read as text
        for schema in schemas:
            for key, ftype in schema.columns.items():
                known_type = self.types.setdefault(key, ftype)
                if known_type != ftype:
                    self.types[key] = FieldType.STRING
                    self.conflicting.add(key)
        self.has_overflow = any(s.has_overflow for s in schemas)

    @property
    def single(self) -> bool:
        return len(self.schemas) == 1

    def part(self, schema: DatasetSchema) -> Source:
        """One dataset of this union, read as if queried alone."""
        others = {k: t for k, t in self.types.items() if k not in schema.columns}
        return Source([schema], elsewhere=others, lenient=frozenset(self.conflicting),
                      overflow_elsewhere=self.has_overflow)

    def type_of(self, key: str, where: str) -> FieldType:
        if key == DATASET_FIELD:
            return FieldType.STRING
        ftype = self.types.get(key)
        if ftype is not None:
            return ftype
        if key in self.elsewhere:
            return FieldType.STRING if self.has_overflow else self.elsewhere[key]
        if (self.has_overflow or self.overflow_elsewhere) and not key.startswith("$"):
            return FieldType.STRING
        names = ", ".join(s.name for s in self.schemas)
        raise QueryError(f"{where}: unknown key {key!r} in {names}")

    def untyped(self, key: str) -> bool:
        """Whether the key's values are read as text for want of one type: keys only in the
        overflow column (JSON) and keys typed differently in two of the datasets. Their
        numbers are compared and added up as numbers (see `number`)."""
        return key in self.conflicting or (key not in self.types and key != DATASET_FIELD)

    def number(self, key: str, params: Params, where: str) -> str:
        """An untyped key's values as numbers; NULL where a value is not one."""
        return f"TRY_CAST({self.column(key, params, where)} AS DOUBLE)"

    def column(self, key: str, params: Params, where: str) -> str:
        """The SQL expression for a key (after type_of has accepted it)."""
        ftype = self.type_of(key, where)
        if key == DATASET_FIELD and self.single:
            return params.add(self.schemas[0].name)
        if key in self.types or key == DATASET_FIELD:
            return quote(key)
        if not self.has_overflow:  # a key of another dataset of the union
            return f"CAST(NULL AS {SQL_TYPES[ftype]})"
        return f"json_extract_string({quote(OVERFLOW_FIELD)}, {params.add(json_path(key))})"

    def union(self, keys: Sequence[str] | None, params: Params,
              where: Callable[[Source], str]) -> str:
        """FROM target of several datasets: a union of each one's rows that match `where`
        (given each as its own Source), with every key in `keys` (None: all, overflow kept
        as it is for events)."""
        wanted = list(self.types) if keys is None else [k for k in keys if k in self.types]
        wanted = list(dict.fromkeys([*wanted, ID_FIELD]))
        parts = []
        for schema in self.schemas:
            items = [f"{params.add(schema.name)} AS {quote(DATASET_FIELD)}"]
            for key in wanted:
                items.append(f"{self._read_in(schema, key, keys is None, params)} AS {quote(key)}")
            overflow = quote(OVERFLOW_FIELD) if schema.has_overflow else "CAST(NULL AS VARCHAR)"
            if self.has_overflow:
                items.append(f"{overflow} AS {quote(OVERFLOW_FIELD)}")
            parts.append(f"SELECT {', '.join(items)} FROM {quote(schema.name)} "
                         f"WHERE {where(self.part(schema))}")
        return "(" + " UNION ALL ".join(parts) + ") AS source"

    def _read_in(self, schema: DatasetSchema, key: str, events: bool, params: Params) -> str:
        """A key of the union as one dataset has it, in the union's type for the key."""
        union_type = self.types[key]
        own = schema.columns.get(key)
        if own == union_type:
            return quote(key)
        if own is not None:
            return as_text(quote(key), own)
        if schema.has_overflow and not events and not key.startswith("$"):
            text = f"json_extract_string({quote(OVERFLOW_FIELD)}, {params.add(json_path(key))})"
            if union_type is FieldType.STRING:
                return text
            return f"TRY_CAST({text} AS {SQL_TYPES[union_type]})"
        return f"CAST(NULL AS {SQL_TYPES[union_type]})"

    def string_columns(self) -> list[str]:
        """The typed text columns the needle searches (the overflow column apart)."""
        return [k for k, t in self.types.items()
                if t is FieldType.STRING and k not in NOT_SEARCHED]

    def retyped(self) -> dict[str, dict[str, FieldType]]:
        """Per dataset, the keys an events union reads as text though the dataset has them
        as another type: for the rows to be given back as they were stored."""
        found: dict[str, dict[str, FieldType]] = {}
        for schema in self.schemas:
            keys: dict[str, FieldType] = {
                k: t for k, t in schema.columns.items()
                if k in self.conflicting and t is not FieldType.STRING}
            if keys:
                found[schema.name] = keys
        return found
