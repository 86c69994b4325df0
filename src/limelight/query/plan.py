"""A QuerySpec to SQL statements, given the datasets' schemas. Pure: no I/O.

Identifiers come only from the schema (checked, then quoted); every user value
is a named bound parameter.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from limelight.exceptions import QueryError
from limelight.model import ID_FIELD, OVERFLOW_FIELD, FieldType
from limelight.query import rollup
from limelight.query.source import (
    Params,
    Source,
    as_text,
    open_source,
    quote,
)
from limelight.query.spec import (
    CALCULATIONS,
    NEGATIVE_OPERATORS,
    Filter,
    Needle,
    QuerySpec,
)
from limelight.store.api import DatasetSchema
from limelight.timeparse import parse_iso_ns

TIMESTAMP = "$timestamp"
_encode_json = msgspec.json.Encoder().encode
_JSON_TEXT = "(v ->> '$')"  # a JSON string value as text, in _overflow_needle's lambda
_PARAM = re.compile(r"\$(p\d+)\b")


@dataclass(frozen=True)
class Statement:
    sql: str
    params: dict[str, Any]

    @classmethod
    def build(cls, sql: str, params: dict[str, Any]) -> Statement:
        """Keep only the parameters the SQL uses (backends refuse unused ones)."""
        used = set(_PARAM.findall(sql))
        return cls(sql, {name: value for name, value in params.items() if name in used})


@dataclass(frozen=True)
class Plan:
    aggregates: Statement | None
    events: Statement | None
    group_count: int
    calculation_labels: tuple[str, ...]
    spec: QuerySpec
    # How many groups and matching events there are in all: only needed when the aggregates
    # page may not hold every group (counting them in the same statement with window
    # functions made exact quantiles 25 % slower).
    totals: Statement | None = None
    _series: tuple[str, str, str, dict[str, Any]] | None = None  # select, from, where, params
    # Whether the aggregates rows end with the number of groups and of events in all.
    totals_in_rows: bool = False
    # Columns that let the group totals be added up from the series rows (query.rollup);
    # None when some calculation does not combine across buckets.
    rollup_columns: tuple[str, ...] | None = None
    # Events of several datasets: per dataset, the keys read as text that it stores as
    # another type (see Source.retyped).
    retyped: dict[str, dict[str, FieldType]] = field(default_factory=dict)

    def series(
        self, top_groups: list[tuple[Any, ...]] | None, rollup: bool = False
    ) -> Statement | None:
        """The series statement, restricted to `top_groups` when not every group is shown;
        with `rollup`, also the columns the group totals are added up from."""
        if self._series is None:
            return None
        select, source, where, base_params = self._series
        if rollup:
            assert self.rollup_columns is not None
            select = ", ".join([select, *self.rollup_columns])
        params = Params(dict(base_params))
        if top_groups is not None:
            if not top_groups:
                return None
            where += " AND " + _in_groups(top_groups, params)
        keys = ", ".join(str(i + 1) for i in range(self.group_count + 1))
        # Within a bucket, groups in a stable order (the same from one run to the next).
        order = ", ".join(["1", *(f"{i + 2} ASC NULLS LAST" for i in range(self.group_count))])
        sql = f"SELECT {select} FROM {source} WHERE {where} GROUP BY {keys} ORDER BY {order}"
        return Statement.build(sql, params.values)


def _in_groups(groups: list[tuple[Any, ...]], params: Params) -> str:
    """The rows of the given groups: one IN list (a list of OR-ed equalities is 80x slower at
    a thousand groups); groups holding a null are matched one by one."""
    width = len(groups[0])
    complete = [group for group in groups if None not in group]
    alternatives = []
    if complete:
        columns = ", ".join(f"__g{i}" for i in range(width))
        rows = ", ".join(
            params.add(group[0]) if width == 1
            else "(" + ", ".join(params.add(value) for value in group) + ")"
            for group in complete
        )
        alternatives.append(f"{columns} IN ({rows})" if width == 1 else f"({columns}) IN ({rows})")
    for group in groups:
        if None in group:
            parts = [
                f"__g{i} IS NULL" if value is None else f"__g{i} = {params.add(value)}"
                for i, value in enumerate(group)
            ]
            alternatives.append("(" + " AND ".join(parts) + ")")
    return "(" + " OR ".join(alternatives) + ")"


def plan_query(spec: QuerySpec, schemas: dict[str, DatasetSchema]) -> Plan:
    source = open_source(spec.datasets, schemas)
    params = Params()
    needed: list[str] = [TIMESTAMP, *spec.group_bys]
    needed += [c.key for c in spec.calculations if c.key]
    if source.single:
        from_clause = quote(source.schemas[0].name)
        where = _where(spec, source, params)
    else:  # each dataset's rows are matched as in that dataset alone
        for i, flt in enumerate(spec.filters):  # a key no dataset has is named for all
            source.type_of(flt.key, f"filters[{i}]")
        from_clause = source.union(None if spec.is_events_query else needed, params,
                                   lambda part: _where(spec, part, params))
        where = "TRUE"

    if spec.is_events_query:
        ascending = spec.order_by is not None and not spec.order_by.descending
        direction = "ASC" if ascending else "DESC"
        by_arrival = spec.order_by is not None and spec.order_by.value == ID_FIELD
        order = (f"{quote(ID_FIELD)} {direction}" if by_arrival
                 else f"{quote(TIMESTAMP)} {direction}, {quote(ID_FIELD)} {direction}")
        sql = (f"SELECT * FROM {from_clause} WHERE {where} ORDER BY {order} "
               f"LIMIT {params.add(spec.limit)} OFFSET {params.add(spec.offset)}")
        return Plan(None, Statement.build(sql, params.values), 0, (), spec,
                    retyped=source.retyped())

    groups = [
        f"{source.column(key, params, f'groupBys[{i}]')} AS __g{i}"
        for i, key in enumerate(spec.group_bys)
    ]
    calcs = []
    calc_columns = []
    for i, calc in enumerate(spec.calculations):
        where_calc = f"calculations[{i}]"
        template, numeric = CALCULATIONS[calc.operation]
        if calc.key is None:
            column = "*"
        else:
            ftype = source.type_of(calc.key, where_calc)
            if numeric and source.untyped(calc.key):
                column = source.number(calc.key, params, where_calc)
            elif numeric and ftype not in (FieldType.NUMBER, FieldType.INTEGER):
                raise QueryError(
                    f"{where_calc}: {calc.operation} needs a number key; {calc.key!r} is {ftype}"
                )
            else:
                column = source.column(calc.key, params, where_calc)
        calc_columns.append(column)
        calcs.append(f"{template.format(col=column)} AS __c{i}")
    group_keys = ", ".join(f"__g{i}" for i in range(len(groups)))
    order = _aggregate_order(spec)
    select = ", ".join([*groups, *calcs])
    rollup_columns = rollup.extra_columns(spec, calc_columns)
    # How many groups and events there are in all, on every row: nearly free next to these
    # calculations (measured), where it made exact quantiles 25 % slower.
    in_all = (", count(*) OVER () AS __groups, sum(count(*)) OVER () AS __matched_all"
              if groups and rollup_columns is not None else "")
    # Without groups there is one row, always shown; groups are paged.
    sql = (
        f"SELECT {select}, count(*) AS __matched{in_all} FROM {from_clause} WHERE {where}"
        + (f" GROUP BY {group_keys} ORDER BY {order} LIMIT {params.add(spec.limit)} "
           f"OFFSET {params.add(spec.offset)}" if groups else "")
    )
    aggregates = Statement.build(sql, params.values)
    totals = Statement.build(
        f"SELECT count(*) AS __groups, sum(__n) AS __matched FROM (SELECT {', '.join(groups)}, "
        f"count(*) AS __n FROM {from_clause} WHERE {where} GROUP BY {group_keys})",
        params.values) if groups else None
    bucket = params.add(spec.granularity_ns)
    series_select = ", ".join(
        [f"({quote(TIMESTAMP)} // {bucket}) * {bucket} AS __bucket", *groups, *calcs]
    )
    return Plan(
        aggregates, None, len(groups), tuple(c.label for c in spec.calculations), spec, totals,
        _series=(series_select, from_clause, where, params.values),
        rollup_columns=None if rollup_columns is None else tuple(rollup_columns),
        totals_in_rows=bool(in_all),
    )


def _aggregate_order(spec: QuerySpec) -> str:
    """The ordering of groups, ties broken by the group values so that paging is stable."""
    order = spec.order_by
    direction = "DESC NULLS LAST" if order is None or order.descending else "ASC NULLS LAST"
    labels = [c.label for c in spec.calculations]
    if order is not None and order.value in labels:
        first = f"__c{labels.index(order.value)}"
    elif order is not None and order.value in spec.group_bys:
        first = f"__g{spec.group_bys.index(order.value)}"
    else:
        first = "__c0"
    ties = [f"__g{i} ASC NULLS LAST" for i in range(len(spec.group_bys)) if f"__g{i}" != first]
    return ", ".join([f"{first} {direction}", *ties])


def _where(spec: QuerySpec, source: Source, params: Params) -> str:
    ts = quote(TIMESTAMP)
    clauses = [f"{ts} >= {params.add(spec.from_ns)} AND {ts} < {params.add(spec.to_ns)}"]
    conditions = [
        _condition(f, source, params, f"filters[{i}]") for i, f in enumerate(spec.filters)
    ]
    if conditions:
        joiner = f" {spec.combination} "
        clauses.append("(" + joiner.join(conditions) + ")")
    if spec.needle:
        clauses.append(_needle(spec, source, params))
    return " AND ".join(clauses)


def _needle(spec: QuerySpec, source: Source, params: Params) -> str:
    needle = spec.needle
    assert needle is not None
    test: Callable[[str], str]
    if needle.is_regex:
        pattern = params.add(needle.value if needle.match_case else "(?i)" + needle.value)
        test = lambda text: f"regexp_matches({text}, {pattern})"  # noqa: E731
    elif needle.match_case:
        word = params.add(needle.value)
        test = lambda text: f"contains({text}, {word})"  # noqa: E731
    else:  # both sides lowered by the database: Python's lower() differs (a final sigma)
        word = params.add(needle.value)
        test = lambda text: f"contains(lower({text}), lower({word}))"  # noqa: E731
    tests = [test(quote(c)) for c in source.string_columns()]
    if source.has_overflow:
        tests.append(_overflow_needle(needle, test, params))
    return "(" + " OR ".join(tests) + ")" if tests else "FALSE"


def _overflow_needle(needle: Needle, test: Callable[[str], str], params: Params) -> str:
    """The needle in the text values of the overflow column, not in its keys or numbers."""
    overflow = quote(OVERFLOW_FIELD)
    in_values = (f"coalesce(list_bool_or(list_transform(json_extract({overflow}, '$.*'), "
                 f"lambda v: json_type(v) = 'VARCHAR' AND {test(_JSON_TEXT)})), FALSE)")
    if needle.is_regex:
        return in_values
    # Only rows whose JSON holds the word as JSON writes it are looked into.
    written = params.add(_encode_json(needle.value).decode()[1:-1])
    raw = (f"contains({overflow}, {written})" if needle.match_case
           else f"contains(lower({overflow}), lower({written}))")
    return f"({raw} AND {in_values})"


def _condition(flt: Filter, source: Source, params: Params, where: str) -> str:
    ftype = source.type_of(flt.key, where)
    column = source.column(flt.key, params, where)
    op = flt.operation
    if op == "EXISTS":
        return f"{column} IS NOT NULL"
    if op == "DOES_NOT_EXIST":
        return f"{column} IS NULL"
    textual = op in ("LIKE", "NOT_LIKE", "INCLUDES", "DOES_NOT_INCLUDE", "MATCH_REGEX",
                     "STARTS_WITH", "ENDS_WITH")
    if textual:
        text_column = as_text(column, ftype)
        value = params.add(str(flt.value))
        test = {
            "LIKE": f"{text_column} LIKE {value}",
            "NOT_LIKE": f"{text_column} LIKE {value}",
            "INCLUDES": f"contains({text_column}, {value})",
            "DOES_NOT_INCLUDE": f"contains({text_column}, {value})",
            "MATCH_REGEX": f"regexp_matches({text_column}, {value})",
            "STARTS_WITH": f"starts_with({text_column}, {value})",
            "ENDS_WITH": f"ends_with({text_column}, {value})",
        }[op]
    elif op in ("IN", "NOT_IN"):
        assert isinstance(flt.value, list)
        items = [params.add(v) for v in _typed_values(flt.value, ftype, flt, source, where)]
        test = f"{column} IN ({', '.join(items)})" if items else "FALSE"
    elif op in _ORDERED and source.untyped(flt.key) and _is_number(flt.value):
        # "size > 50" on a key with no type of its own: as numbers, not as text ("9" > "50").
        value = params.add(float(flt.value))  # type: ignore[arg-type]
        test = f"{source.number(flt.key, params, where)} {op} {value}"
    else:
        typed = _typed_values([flt.value], ftype, flt, source, where)
        sql_op = "=" if op == "!=" else op
        test = f"{column} {sql_op} {params.add(typed[0])}" if typed else "FALSE"
    if op in NEGATIVE_OPERATORS:
        return f"NOT coalesce({test}, FALSE)"
    return test


_ORDERED = (">", ">=", "<", "<=")


def _typed_values(values: list[Any], ftype: FieldType, flt: Filter, source: Source,
                  where: str) -> list[Any]:
    """The values compared as the key's type. In one dataset of several that types the key
    differently, a value that is not of this dataset's type matches nothing here."""
    typed = []
    for value in values:
        try:
            typed.append(typed_value(value, ftype, flt.key, where))
        except QueryError:
            if flt.key not in source.lenient:
                raise
    return typed


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _iso_ns(value: str, where: str) -> int:
    """A `$timestamp` filter's value written as a time: epoch nanoseconds are hard to write."""
    try:
        return parse_iso_ns(value.strip())
    except ValueError:
        raise QueryError(f"{where}: {TIMESTAMP} takes ISO 8601 or epoch nanoseconds; "
                         f"{value!r} is neither") from None


def typed_value(value: Any, ftype: FieldType, key: str, where: str) -> Any:
    """A user value compared as the key's type, or a QueryError saying why it can't be."""
    if ftype in (FieldType.NUMBER, FieldType.INTEGER):
        if isinstance(value, bool):
            raise QueryError(f"{where}: {key} is a number; {value!r} is not")
        if ftype is FieldType.INTEGER and isinstance(value, int | str):
            try:  # exactly: nanosecond timestamps do not fit a double
                return int(str(value).strip())
            except ValueError:
                pass
        try:
            number = float(value)
        except (TypeError, ValueError):
            if key == TIMESTAMP and isinstance(value, str):
                return _iso_ns(value, where)
            raise QueryError(f"{where}: {key} is a number; {value!r} is not") from None
        return int(number) if ftype is FieldType.INTEGER else number
    if ftype is FieldType.BOOL:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "false"):
            return text == "true"
        raise QueryError(f"{where}: {key} is true or false; {value!r} is neither")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
