"""Turning a Batch into an Arrow table that matches a dataset's columns."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec
import pyarrow as pa

from limelight.model import OVERFLOW_FIELD, SYSTEM_FIELDS, AttrValue, Batch, FieldType

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
_encode_json = msgspec.json.Encoder().encode


def natural_type(values: Iterable[AttrValue]) -> FieldType:
    """The column type for a new key: its values' type, or string when they disagree."""
    kinds = {type(v) for v in values}
    if kinds <= {bool}:
        return FieldType.BOOL
    if kinds <= {int, float}:
        return FieldType.NUMBER
    return FieldType.STRING


def to_arrow(batch: Batch, columns: dict[str, FieldType], first_id: int) -> pa.Table:
    """Build the table for `batch` given the dataset's columns (new keys already added).

    Keys without a column, and values whose type the column cannot take, go to
    the overflow JSON column so nothing a client sent is lost.
    """
    arrays: dict[str, pa.Array] = {
        "$id": pa.array(range(first_id, first_id + batch.size), pa.int64())
    }
    for name, ftype in SYSTEM_FIELDS.items():
        arrays[name] = pa.array(batch.system[name], ARROW_TYPES[ftype])
    overflow: dict[int, dict[str, AttrValue]] = {}
    for key, values in batch.attr_values.items():
        ftype = columns.get(key)
        rows = batch.attr_rows[key]
        if ftype is None or ftype not in _ACCEPTS:
            for row, value in zip(rows, values, strict=True):
                overflow.setdefault(row, {})[key] = value
            continue
        accepted = _ACCEPTS[ftype]
        if {type(v) for v in values} <= accepted:
            arrays[key] = pa.array(batch.attribute_column(key), ARROW_TYPES[ftype])
            continue
        dense: list[AttrValue | None] = [None] * batch.size
        for row, value in zip(rows, values, strict=True):
            if type(value) in accepted:
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
