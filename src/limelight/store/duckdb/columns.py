"""Turning a Batch into an Arrow table that matches a dataset's columns."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

import duckdb
import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from limelight.model import ID_FIELD, OVERFLOW_FIELD, SYSTEM_FIELDS, AttrValue, Batch, FieldType
from limelight.store.api import DatasetSchema
from limelight.store.duckdb.segments import quote

ARROW_TYPES: dict[FieldType, pa.DataType] = {
    FieldType.STRING: pa.string(),
    FieldType.NUMBER: pa.float64(),
    FieldType.BOOL: pa.bool_(),
    FieldType.INTEGER: pa.int64(),
}
SQL_TYPES: dict[FieldType, str] = {
    FieldType.STRING: "VARCHAR",
    FieldType.NUMBER: "DOUBLE",
    FieldType.BOOL: "BOOLEAN",
    FieldType.INTEGER: "BIGINT",
}
FIELD_TYPES: dict[str, FieldType] = {sql: ftype for ftype, sql in SQL_TYPES.items()}

# Python value types each column type takes without conversion.
_ACCEPTS: dict[FieldType, frozenset[type]] = {
    FieldType.STRING: frozenset({str}),
    FieldType.NUMBER: frozenset({float, int}),
    FieldType.BOOL: frozenset({bool}),
}
# System fields, the id and the overflow column: an attribute of that name (a client's
# "$service") is kept in the overflow column, never in place of the field.
_RESERVED = frozenset({*SYSTEM_FIELDS, ID_FIELD, OVERFLOW_FIELD})
_EXACT_INT = 2**53  # the largest integers a double holds exactly
_KIND: dict[type, FieldType] = {
    bool: FieldType.BOOL, int: FieldType.NUMBER, float: FieldType.NUMBER, str: FieldType.STRING}
_encode_json = msgspec.json.Encoder().encode
_decode_json = msgspec.json.Decoder().decode


def natural_type(values: Iterable[AttrValue]) -> FieldType:
    """The column type for a new key: the type most of its values have (the first seen of
    equally many); the others then keep their own type in the overflow column, except
    that a string column holds any value as text."""
    kinds = Counter(_KIND.get(type(v), FieldType.STRING) for v in values)
    return kinds.most_common(1)[0][0] if kinds else FieldType.STRING


def to_arrow(batch: Batch, columns: dict[str, FieldType], first_id: int) -> pa.Table:
    """Build the table for `batch` given the dataset's columns (new keys already added).

    Keys without a column, and values whose type the column cannot take, go to
    the overflow JSON column so nothing a client sent is lost.
    """
    return with_ids(_rows_table(batch, columns), first_id)


def with_ids(table: pa.Table, first_id: int) -> pa.Table:
    ids = pa.array(range(first_id, first_id + table.num_rows), pa.int64())
    return table.add_column(0, ID_FIELD, ids)


def ipc_buffer(table: pa.Table) -> pa.Buffer:
    """The table as one Arrow IPC stream."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


@dataclass
class PreparedBatch(Batch):
    """A batch already converted for its dataset's columns (see `prepare`): its rows are
    only in `table`, which lacks `$id` (assigned at commit). `system` and the attribute
    dictionaries are empty."""

    table: pa.Table | None = None

    def __getstate__(self) -> dict[str, object]:
        # Between processes the table travels as one Arrow IPC buffer: far cheaper to
        # pickle than the table object (and never drags a parent table's buffers along).
        state = dict(self.__dict__)
        if self.table is not None:
            state["table"] = ipc_buffer(self.table)
        return state

    def any_error(self) -> bool:
        return self.table is not None and bool(pc.any(self.table.column("$error")).as_py())

    def timestamp_range(self) -> tuple[int, int] | None:
        if self.table is None or not self.table.num_rows:
            return None
        found = pc.min_max(self.table.column("$timestamp")).as_py()
        return found["min"], found["max"]

    def error_candidates(self, kinds: Collection[str]) -> Batch:
        if self.table is None:
            return Batch(self.dataset)
        wanted = pc.and_(pc.fill_null(self.table.column("$error"), False),
                         pc.is_in(self.table.column("$kind"), pa.array(list(kinds))))
        return _materialize(self.dataset, self.table.filter(wanted))

    def materialized(self) -> Batch:
        if self.table is None:
            return Batch(self.dataset)
        return _materialize(self.dataset, self.table)

    def __setstate__(self, state: dict[str, object]) -> None:
        if isinstance(state.get("table"), pa.Buffer):
            state["table"] = pa.ipc.open_stream(state["table"]).read_all()
        self.__dict__.update(state)


def _materialize(dataset: str, table: pa.Table) -> Batch:
    """A plain batch of the table's rows (numbers read back as integers when whole)."""
    plain = Batch(dataset)
    plain.size = table.num_rows
    for name in table.column_names:
        values = table.column(name).to_pylist()
        if name in plain.system:
            plain.system[name] = values
        elif name == OVERFLOW_FIELD:
            for row, text in enumerate(values):
                for key, value in (_decode_json(text) if text else {}).items():
                    plain.attr_rows.setdefault(key, []).append(row)
                    plain.attr_values.setdefault(key, []).append(value)
        else:
            present = [(row, _whole(value)) for row, value in enumerate(values)
                       if value is not None]
            if present:
                plain.attr_rows[name] = [row for row, _ in present]
                plain.attr_values[name] = [value for _, value in present]
    return plain


def _array(values: Sequence[AttrValue | None], ftype: FieldType) -> pa.Array | None:
    """The values as a column of `ftype`; None when one of them does not fit it exactly
    (an integer past 2**53 in a double column), for the caller to sort out one by one."""
    try:
        return pa.array(values, ARROW_TYPES[ftype])
    except (pa.ArrowInvalid, OverflowError):
        return None


def _fits(value: AttrValue) -> bool:
    """Whether a value of an accepted type is stored exactly: an integer a double cannot
    hold goes to the overflow column instead, as it was sent."""
    return not isinstance(value, int) or isinstance(value, bool) or abs(value) <= _EXACT_INT


def _whole(value: AttrValue) -> AttrValue:
    """Numbers travel as doubles; whole ones come back as the integers they were sent as."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def prepare(columns: dict[str, FieldType], batch: Batch) -> Batch:
    """`batch` as a PreparedBatch when every attribute key already has a column in
    `columns`, else `batch` itself.

    Meant for decoder processes, so the conversion happens outside the writer. It holds
    at commit time because a dataset's columns are only ever added, never changed.
    """
    if not batch.size or isinstance(batch, PreparedBatch):
        return batch
    if not all(key in columns for key in batch.attr_values):
        return batch
    try:
        table = _rows_table(batch, columns)
    except (pa.ArrowInvalid, OverflowError):  # a time past 64 bits: the queue refuses it
        return batch
    return PreparedBatch(batch.dataset, batch.size, table=table)


def _rows_table(batch: Batch, columns: dict[str, FieldType]) -> pa.Table:
    size = batch.size
    arrays: dict[str, pa.Array] = {}
    for name, system_type in SYSTEM_FIELDS.items():
        arrays[name] = pa.array(batch.system[name], ARROW_TYPES[system_type])
    overflow: dict[int, dict[str, AttrValue]] = {}
    every_row: list[int] | None = None
    for key, values in batch.attr_values.items():
        ftype = columns.get(key)
        rows = batch.attr_rows[key]
        if ftype is None or ftype not in _ACCEPTS or key in _RESERVED:
            for row, value in zip(rows, values, strict=True):
                overflow.setdefault(row, {})[key] = value
            continue
        accepted = _ACCEPTS[ftype]
        if set(map(type, values)) <= accepted:
            if len(rows) == size:  # on every row (resource attributes): values are the column
                every_row = every_row or list(range(size))
            on_every_row = len(rows) == size and rows == every_row
            column = _array(values if on_every_row else batch.attribute_column(key), ftype)
            if column is not None:
                arrays[key] = column
                continue
        dense: list[AttrValue | None] = [None] * batch.size
        for row, value in zip(rows, values, strict=True):
            if type(value) in accepted and _fits(value):
                dense[row] = value
            elif ftype is FieldType.STRING:
                dense[row] = _encode_json(value).decode()
            else:
                overflow.setdefault(row, {})[key] = value
        arrays[key] = pa.array(dense, ARROW_TYPES[ftype])
    if overflow:
        arrays[OVERFLOW_FIELD] = pa.array(
            [_encode_json(overflow[i]).decode() if i in overflow else None
             for i in range(batch.size)],
            pa.string(),
        )
    return pa.table(arrays)


def add_columns(cursor: duckdb.DuckDBPyConnection, table: str, schema: DatasetSchema | None,
                dataset: str, group: list[Batch], max_columns: int) -> DatasetSchema:
    """Create the dataset's table when `schema` is None, and add a column for each new key
    of `group` while the budget lasts (inside the caller's transaction); the schema then."""
    if schema is None:
        definition = ", ".join(
            [f"{quote(ID_FIELD)} BIGINT"]
            + [f"{quote(n)} {SQL_TYPES[t]}" for n, t in SYSTEM_FIELDS.items()]
        )
        cursor.execute(f"CREATE TABLE {table} ({definition})")
        schema = DatasetSchema(dataset, {ID_FIELD: FieldType.INTEGER, **SYSTEM_FIELDS})
    columns = dict(schema.columns)
    taken = {name.lower() for name in columns} | {ID_FIELD.lower(), OVERFLOW_FIELD.lower()}
    budget = max_columns - (len(columns) - len(SYSTEM_FIELDS) - 1)
    for batch in group:
        for key, values in batch.attr_values.items():
            if key in columns or key.lower() in taken or budget <= 0 or not _column_name(key):
                continue
            ftype = natural_type(values)
            cursor.execute(f"ALTER TABLE {table} ADD COLUMN {quote(key)} {SQL_TYPES[ftype]}")
            columns[key] = ftype
            taken.add(key.lower())
            budget -= 1
    return DatasetSchema(dataset, columns, has_overflow=schema.has_overflow)


def _column_name(key: str) -> bool:
    """Whether a key can name a column: `$` keys are reserved, and DuckDB refuses an empty
    name or one holding NUL. The others stay in the overflow column."""
    return bool(key) and not key.startswith("$") and "\0" not in key
