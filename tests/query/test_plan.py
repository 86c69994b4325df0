"""plan_query over a fixed schema: the exact SQL and parameters (golden files), identifiers
checked against the schema, user values only ever bound as parameters.

Set LIMELIGHT_UPDATE_GOLDEN=1 to rewrite tests/query/golden/*.sql from the current planner;
review the diff before keeping it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import duckdb
import pytest

from limelight.exceptions import QueryError
from limelight.model import ID_FIELD, SYSTEM_FIELDS, FieldType
from limelight.query.parse import parse_spec
from limelight.query.plan import Plan, Statement, plan_query
from limelight.query.spec import OPERATORS
from limelight.store.api import DatasetSchema

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("LIMELIGHT_UPDATE_GOLDEN") == "1"
NOW_NS = 1_700_000_000_000_000_000
SYSTEM = {ID_FIELD: FieldType.INTEGER, **SYSTEM_FIELDS}
SCHEMAS = {
    "otel": DatasetSchema("otel", {
        **SYSTEM,
        "http.status_code": FieldType.NUMBER,
        "http.route": FieldType.STRING,
        "cache.hit": FieldType.BOOL,
        "user.id": FieldType.STRING,
        "n": FieldType.NUMBER,
    }, has_overflow=True),
    "logs": DatasetSchema("logs", {
        **SYSTEM,
        "n": FieldType.STRING,
        "severity_text": FieldType.STRING,
    }),
}
BASE = {"from": "2023-11-14T21:00:00Z", "to": "2023-11-14T22:00:00Z"}
EVIL = "'; DROP TABLE otel; --"


def plan(doc: dict[str, Any], schemas: dict[str, DatasetSchema] = SCHEMAS) -> Plan:
    return plan_query(parse_spec({**BASE, **doc}, NOW_NS), schemas)


def _pretty(sql: str) -> str:
    """One clause a line (the planner writes no newlines, so this is reversible)."""
    assert "\n" not in sql
    for word in (" FROM ", " WHERE ", " GROUP BY ", " ORDER BY ", " LIMIT ", " UNION ALL "):
        sql = sql.replace(word, "\n" + word.lstrip())
    return sql


def _section(title: str, statement: Statement | None) -> str:
    if statement is None:
        return f"-- {title}: none\n"
    params = json.dumps(statement.params)
    return f"-- {title}\n{_pretty(statement.sql)}\n-- params: {params}\n"


def render(result: Plan) -> str:
    parts = [_section("aggregates", result.aggregates), _section("events", result.events)]
    if result.totals is not None:
        parts.append(_section("totals", result.totals))
    if result.aggregates is not None:
        parts.append(_section("series (every group)", result.series(None)))
        if result.group_count:
            top = [("a",) + (None,) * (result.group_count - 1)]
            parts.append(_section("series (top groups only)", result.series(top)))
    return "\n".join(parts)


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / f"{name}.sql"
    if UPDATE:
        path.write_text(text)
        return
    assert path.exists(), f"no golden file {path.name}; run with LIMELIGHT_UPDATE_GOLDEN=1"
    assert text == path.read_text(), f"{path.name} differs; LIMELIGHT_UPDATE_GOLDEN=1 rewrites it"


OPERATOR_FILTERS: dict[str, Any] = {
    "=": "http.route = /api/cart",
    "!=": "cache.hit != true",
    ">": "http.status_code > 499",
    ">=": "http.status_code >= 500",
    "<": "$duration_ms < 10.5",
    "<=": "$duration_ms <= 10",
    "LIKE": "http.route LIKE /api/%",
    "NOT_LIKE": "http.route NOT_LIKE %health",
    "INCLUDES": "$message INCLUDES time out",
    "DOES_NOT_INCLUDE": "$message DOES_NOT_INCLUDE time out",
    "MATCH_REGEX": "user.id MATCH_REGEX ^u-[0-9]+$",
    "EXISTS": "user.id EXISTS",
    "DOES_NOT_EXIST": "user.id DOES_NOT_EXIST",
    "IN": "http.status_code IN (404, 500)",
    "NOT_IN": "http.route NOT_IN (/a, /b)",
    "STARTS_WITH": "http.status_code STARTS_WITH 5",
    "ENDS_WITH": "http.route ENDS_WITH {id}",
}
assert set(OPERATOR_FILTERS) == set(OPERATORS)

CASES: dict[str, dict[str, Any]] = {
    "count": {"calculations": ["COUNT"]},
    "every_calculation": {"calculations": [
        "COUNT", "COUNT_DISTINCT(user.id)", "SUM(n)", "AVG(n)", "MIN(n)", "MAX(n)",
        "MEDIAN($duration_ms)", "P001($duration_ms)", "P01($duration_ms)", "P05($duration_ms)",
        "P10($duration_ms)", "P25($duration_ms)", "P75($duration_ms)", "P90($duration_ms)",
        "P95($duration_ms)", "P99($duration_ms) as p99", "P999($duration_ms)",
        "STDDEV($duration_ms)", "VARIANCE($duration_ms)",
    ]},
    "events": {"filters": ["$service = checkout"], "limit": 20, "offset": 40},
    "events_oldest_first": {"orderBy": {"value": "$timestamp", "order": "ASC"}},
    "group_bys": {"calculations": ["COUNT", "P99($duration_ms) as p99"],
                  "groupBys": ["$service", "http.route"], "limit": 5, "offset": 10},
    "order_by_group": {"calculations": ["COUNT"], "groupBys": ["http.status_code"],
                       "orderBy": {"value": "http.status_code", "order": "ASC"}},
    "order_by_calculation_asc": {"calculations": ["COUNT", "AVG(n)"],
                                 "groupBys": ["$service"],
                                 "orderBy": {"value": "AVG(n)", "order": "ASC"}},
    "and_filters": {"calculations": ["COUNT"],
                    "filters": ["$service = checkout", "http.status_code >= 500"]},
    "or_filters": {"calculations": ["COUNT"], "filterCombination": "OR",
                   "filters": ["$error = true", {"key": "n", "operation": "<", "value": 3}]},
    "needle_plain": {"calculations": ["COUNT"], "needle": "TimeOut"},
    "needle_match_case": {"calculations": ["COUNT"],
                          "needle": {"value": "TimeOut", "matchCase": True}},
    "needle_regex": {"calculations": ["COUNT"],
                     "needle": {"value": "time(out|d)", "isRegex": True}},
    "needle_regex_match_case": {"calculations": ["COUNT"], "needle": {
        "value": "^Time", "isRegex": True, "matchCase": True}},
    "timestamp_iso": {"calculations": ["COUNT"],
                      "filters": ["$timestamp >= 2023-11-14T22:00:00.5Z",
                                  "$timestamp < 1699999000000000000"]},
    "overflow_numbers": {"calculations": ["P99(order.total)"],
                         "filters": ["order.total > 50", "order.total = 7", "region < 3x"]},
    "overflow_key": {"calculations": ["COUNT_DISTINCT(order.id)"], "groupBys": ["region"],
                     "filters": ["region != eu", "customer.tier IN (gold, silver)"]},
    "dataset_field_single": {"calculations": ["COUNT"], "groupBys": ["$dataset"],
                             "filters": ["$dataset = otel"]},
    "two_datasets": {"datasets": ["otel", "logs"], "calculations": ["COUNT"],
                     "groupBys": ["$dataset", "n"], "filters": ["n = 2"]},
    "two_datasets_events": {"datasets": ["otel", "logs"], "limit": 5},
    "two_datasets_needle": {"datasets": ["otel", "logs"], "calculations": ["COUNT"],
                            "needle": "boom"},
    "granularity": {"calculations": ["COUNT"], "granularity": "5m"},
    **{
        "filter_" + {"=": "eq", "!=": "ne", ">": "gt", ">=": "ge", "<": "lt", "<=": "le"}.get(
            op, op.lower()): {"calculations": ["COUNT"], "filters": [text]}
        for op, text in OPERATOR_FILTERS.items()
    },
}


@pytest.mark.parametrize("name", list(CASES))
def test_golden_sql(name: str) -> None:
    check_golden(name, render(plan(CASES[name])))


def test_no_stale_golden_files() -> None:
    if UPDATE:
        for path in GOLDEN.glob("*.sql"):
            if path.stem not in CASES:
                path.unlink()
    assert sorted(p.stem for p in GOLDEN.glob("*.sql")) == sorted(CASES)


@pytest.mark.parametrize("name", list(CASES))
def test_golden_sql_runs_on_duckdb(name: str) -> None:
    """Every planned statement is valid for the engine, on empty tables of the schema."""
    db = duckdb.connect()
    for schema in SCHEMAS.values():
        columns = {"INTEGER": "BIGINT", "NUMBER": "DOUBLE", "STRING": "VARCHAR", "BOOL": "BOOLEAN"}
        defs = [f'"{k}" {columns[t.name]}' for k, t in schema.columns.items()]
        if schema.has_overflow:
            defs.append('"$attrs" VARCHAR')
        db.execute(f'CREATE TABLE "{schema.name}" ({", ".join(defs)})')
    result = plan(CASES[name])
    statements = [result.aggregates, result.events, result.totals]
    if result.aggregates is not None:
        statements += [result.series(None), result.series([("a",) * result.group_count])]
    for statement in statements:
        if statement is not None:
            db.execute(statement.sql, statement.params).fetchall()


# -- user values are parameters, never SQL text ----------------------------------------------

INJECTIONS: list[tuple[str, dict[str, Any]]] = [
    *[(f"filter-{op}", {"filters": [{"key": key, "operation": op, "value": value}]})
      for op, key, value in [
          ("=", "http.route", EVIL), ("!=", "http.route", EVIL), (">", "user.id", EVIL),
          ("LIKE", "http.route", EVIL), ("NOT_LIKE", "http.route", EVIL),
          ("INCLUDES", "$message", EVIL), ("DOES_NOT_INCLUDE", "$message", EVIL),
          ("MATCH_REGEX", "$message", EVIL), ("STARTS_WITH", "http.status_code", EVIL),
          ("ENDS_WITH", "user.id", EVIL), ("IN", "user.id", [EVIL, "x"]),
          ("NOT_IN", "user.id", ["x", EVIL]), ("=", "region", EVIL),
      ]],
    ("filter-string-form", {"filters": [f"http.route = {EVIL}"]}),
    ("needle", {"needle": EVIL}),
    ("needle-regex", {"needle": {"value": EVIL, "isRegex": True}}),
    ("overflow-key-name", {"filters": [{"key": EVIL, "operation": "EXISTS"}]}),
]
# Keys that are not columns are JSON paths into the overflow column: parameters too.
KEY_INJECTIONS: list[tuple[str, dict[str, Any]]] = [
    ("group-by", {"calculations": ["COUNT"], "groupBys": [EVIL]}),
    ("calculation", {"calculations": [f"COUNT_DISTINCT({EVIL})"]}),
    ("filter", {"calculations": ["COUNT"], "filters": [{"key": EVIL, "operation": "=",
                                                        "value": "x"}]}),
]


@pytest.mark.parametrize("doc", [i[1] for i in INJECTIONS], ids=[i[0] for i in INJECTIONS])
@pytest.mark.parametrize("calculated", [True, False], ids=["aggregate", "events"])
def test_user_values_are_bound_parameters(doc: dict[str, Any], calculated: bool) -> None:
    doc = dict(doc)
    if calculated:
        doc.setdefault("calculations", ["COUNT"])
    else:
        doc.pop("calculations", None)
        doc.pop("groupBys", None)
    result = plan(doc)
    statements: list[Statement | None] = [
        s for s in (result.aggregates, result.events) if s is not None
    ]
    if result.aggregates is not None:
        statements.append(result.series(None))
    assert_bound(statements)


def assert_bound(statements: list[Statement | None]) -> None:
    for statement in statements:
        assert statement is not None
        assert "DROP" not in statement.sql.upper()
        assert "--" not in statement.sql
        bound = " ".join(str(v) for v in statement.params.values())
        assert "drop table otel; --" in bound.lower()


@pytest.mark.parametrize("doc", [i[1] for i in KEY_INJECTIONS],
                         ids=[i[0] for i in KEY_INJECTIONS])
def test_overflow_key_names_are_bound_parameters(doc: dict[str, Any]) -> None:
    result = plan(doc)
    assert_bound([result.aggregates, result.series(None)])


def test_user_values_in_the_series_restriction_are_parameters() -> None:
    result = plan({"calculations": ["COUNT"], "groupBys": ["http.route"]})
    series = result.series([(EVIL,)])
    assert series is not None
    assert "DROP" not in series.sql
    assert EVIL in series.params.values()


def test_statement_keeps_only_the_parameters_it_uses() -> None:
    statement = Statement.build("SELECT $p1, $p10", {"p0": 0, "p1": 1, "p10": 10, "p2": 2})
    assert statement.params == {"p1": 1, "p10": 10}


def test_an_empty_top_group_list_has_no_series() -> None:
    assert plan({"calculations": ["COUNT"], "groupBys": ["http.route"]}).series([]) is None


PLAN_ERRORS: list[tuple[str, dict[str, Any], str]] = [
    ("unknown-dataset", {"datasets": ["nope"]},
     "datasets: unknown dataset 'nope' (known: logs, otel)"),
    ("unknown-second-dataset", {"datasets": ["otel", "traces"], "calculations": ["COUNT"]},
     "datasets: unknown dataset 'traces' (known: logs, otel)"),
    ("unknown-filter-key", {"datasets": ["logs"], "filters": ["nope = 1"]},
     "filters[0]: unknown key 'nope' in logs"),
    ("unknown-group-key", {"datasets": ["logs"], "calculations": ["COUNT"],
                           "groupBys": ["$service", "region"]},
     "groupBys[1]: unknown key 'region' in logs"),
    ("unknown-calc-key", {"datasets": ["logs"], "calculations": ["COUNT", "AVG(latency)"]},
     "calculations[1]: unknown key 'latency' in logs"),
    ("unknown-system-key-even-with-overflow", {"filters": ["$nope = 1"]},
     "filters[0]: unknown key '$nope' in otel"),
    ("unknown-key-in-union", {"datasets": ["logs", "otel"], "filters": ["$nope EXISTS"]},
     "filters[0]: unknown key '$nope' in logs, otel"),
    ("number-calc-on-string", {"calculations": ["AVG(http.route)"]},
     "calculations[0]: AVG needs a number key; 'http.route' is string"),
    ("number-calc-on-bool", {"calculations": ["SUM(cache.hit)"]},
     "calculations[0]: SUM needs a number key; 'cache.hit' is bool"),
    ("timestamp-value-not-a-time", {"filters": ["$timestamp >= yesterday"]},
     "filters[0]: $timestamp takes ISO 8601 or epoch nanoseconds; 'yesterday' is neither"),
    ("number-value-not-a-number", {"filters": ["http.status_code >= abc"]},
     "filters[0]: http.status_code is a number; 'abc' is not"),
    ("number-value-bool", {"filters": [{"key": "n", "operation": "=", "value": True}]},
     "filters[0]: n is a number; True is not"),
    ("number-list-item", {"filters": ["n IN (1, two)"]},
     "filters[0]: n is a number; 'two' is not"),
    ("bool-value", {"filters": ["cache.hit = maybe"]},
     "filters[0]: cache.hit is true or false; 'maybe' is neither"),
]


@pytest.mark.parametrize(("doc", "message"), [e[1:] for e in PLAN_ERRORS],
                         ids=[e[0] for e in PLAN_ERRORS])
def test_plan_errors_name_the_problem(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(QueryError) as info:
        plan(doc)
    assert str(info.value) == message


def test_no_schema_yet() -> None:
    with pytest.raises(QueryError, match=r"^datasets: unknown dataset 'otel' \(known: none yet\)$"):
        plan({}, {})


@pytest.mark.parametrize(("value", "expected"), [
    ("500", 500.0), (500, 500.0), ("1.5", 1.5), ("-2", -2.0), ("1e3", 1000.0),
], ids=["text", "int", "fraction", "negative", "exponent"])
def test_number_values_are_bound_as_numbers(value: Any, expected: float) -> None:
    result = plan({"calculations": ["COUNT"],
                   "filters": [{"key": "http.status_code", "operation": "=", "value": value}]})
    assert result.aggregates is not None
    assert expected in result.aggregates.params.values()


@pytest.mark.parametrize(("value", "expected"), [
    ("true", True), ("FALSE", False), (True, True), (" true ", True),
], ids=["text", "uppercase", "bool", "spaces"])
def test_bool_values_are_bound_as_bools(value: Any, expected: bool) -> None:
    result = plan({"filters": [{"key": "cache.hit", "operation": "=", "value": value}]})
    assert result.events is not None
    assert any(v is expected for v in result.events.params.values())


@pytest.mark.parametrize(("value", "expected"), [
    (404, "404"), (404.0, "404"), (1.5, "1.5"), (True, "true"), ("x", "x"),
], ids=["int", "whole-float", "fraction", "bool", "text"])
def test_string_keys_compare_values_as_text(value: Any, expected: str) -> None:
    result = plan({"filters": [{"key": "http.route", "operation": "=", "value": value}]})
    assert result.events is not None
    assert expected in result.events.params.values()


@pytest.mark.parametrize(("value", "expected"), [
    ("1700000000000000001", 1_700_000_000_000_000_001), (1_700_000_000_000_000_001,
                                                          1_700_000_000_000_000_001),
    ("1.5e3", 1500),
], ids=["text", "int", "exponent"])
def test_integer_fields_are_bound_exactly(value: Any, expected: int) -> None:
    result = plan({"filters": [{"key": "$timestamp", "operation": ">", "value": value}]})
    assert result.events is not None
    bound = [v for v in result.events.params.values() if v == expected]
    assert bound and all(type(v) is int for v in bound)
