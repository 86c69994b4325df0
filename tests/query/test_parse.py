"""parse_spec and its parts: every accepted form, and every refusal with its exact message."""

from __future__ import annotations

from typing import Any

import pytest

from limelight.exceptions import QueryError
from limelight.query.parse import parse_calculation, parse_filter, parse_spec
from limelight.query.spec import (
    CALCULATIONS,
    MAX_BUCKETS,
    OPERATORS,
    Calculation,
    Filter,
    Needle,
    OrderBy,
)

NOW_NS = 1_700_000_000_123_456_789  # 2023-11-14T22:13:20.123456789Z
MIN_NS = 60_000_000_000
CALC_NAMES = ", ".join(CALCULATIONS)
OPERATOR_NAMES = " ".join(OPERATORS)


def parse(doc: dict[str, Any]) -> Any:
    return parse_spec(doc, NOW_NS)


# -- calculations ---------------------------------------------------------------------------

CALCULATION_FORMS: list[tuple[str, Any, Calculation]] = [
    ("count", "COUNT", Calculation("COUNT", None, "COUNT")),
    ("count-lowercase-label-as-written", "count", Calculation("COUNT", None, "count")),
    ("count-empty-parens", "COUNT()", Calculation("COUNT", None, "COUNT()")),
    ("count-of-key", "COUNT(user.id)", Calculation("COUNT", "user.id", "COUNT(user.id)")),
    ("count-alias", "COUNT as total", Calculation("COUNT", None, "total")),
    ("alias-upper-AS", "P99($duration_ms) AS p99", Calculation("P99", "$duration_ms", "p99")),
    ("alias-mixed-As", "AVG(x) As mean", Calculation("AVG", "x", "mean")),
    ("alias-with-spaces", "SUM(x) as total bytes", Calculation("SUM", "x", "total bytes")),
    ("spaces-inside-parens", "MAX( $duration_ms )",
     Calculation("MAX", "$duration_ms", "MAX( $duration_ms )")),
    ("surrounding-spaces", "  MIN(x)  ", Calculation("MIN", "x", "MIN(x)")),
    ("lowercase-op", "p95(x)", Calculation("P95", "x", "p95(x)")),
    ("object", {"operation": "avg", "key": "x"}, Calculation("AVG", "x", "AVG(x)")),
    ("object-operator-alias", {"operator": "MAX", "key": "x", "alias": "top"},
     Calculation("MAX", "x", "top")),
    ("object-count-no-key", {"operation": "COUNT"}, Calculation("COUNT", None, "COUNT")),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CALCULATION_FORMS],
                         ids=[c[0] for c in CALCULATION_FORMS])
def test_calculation_forms(text: Any, expected: Calculation) -> None:
    assert parse_calculation(text, "calculations[0]") == expected


@pytest.mark.parametrize("op", list(CALCULATIONS))
def test_every_calculation_with_and_without_alias(op: str) -> None:
    assert parse_calculation(f"{op}(a.b)", "c") == Calculation(op, "a.b", f"{op}(a.b)")
    assert parse_calculation(f"{op}(a.b) as v", "c") == Calculation(op, "a.b", "v")
    assert parse_calculation({"operation": op, "key": "a.b", "alias": "v"}, "c") == (
        Calculation(op, "a.b", "v")
    )


BAD_CALCULATIONS: list[tuple[str, Any, str]] = [
    ("unknown", "FOO(x)", f"c: unknown calculation 'FOO'; use one of {CALC_NAMES}"),
    ("unknown-object", {"operation": "P50", "key": "x"},
     f"c: unknown calculation 'P50'; use one of {CALC_NAMES}"),
    ("empty-object", {}, f"c: unknown calculation ''; use one of {CALC_NAMES}"),
    ("sum-without-key", "SUM", "c: SUM needs a key, e.g. SUM($duration_ms)"),
    ("p99-empty-parens", "P99()", "c: P99 needs a key, e.g. P99($duration_ms)"),
    ("unclosed-paren", "P99(a b",
     "c: cannot read 'P99(a b'; write e.g. 'P99($duration_ms) as p99'"),
    ("not-a-string", 3, "c: a calculation is a string or an object"),
    ("key-not-string", {"operation": "AVG", "key": 3}, "c: key must be a string"),
]


@pytest.mark.parametrize(("item", "message"), [c[1:] for c in BAD_CALCULATIONS],
                         ids=[c[0] for c in BAD_CALCULATIONS])
def test_bad_calculations(item: Any, message: str) -> None:
    with pytest.raises(QueryError) as info:
        parse_calculation(item, "c")
    assert str(info.value) == message


# -- filters --------------------------------------------------------------------------------

FILTER_FORMS: list[tuple[str, Any, Filter]] = [
    ("eq", "$service = checkout", Filter("$service", "=", "checkout")),
    ("ne", "$service != checkout", Filter("$service", "!=", "checkout")),
    ("gt", "http.status_code > 499", Filter("http.status_code", ">", "499")),
    ("ge", "http.status_code >= 500", Filter("http.status_code", ">=", "500")),
    ("lt", "$duration_ms < 1.5", Filter("$duration_ms", "<", "1.5")),
    ("le", "$duration_ms <= 10", Filter("$duration_ms", "<=", "10")),
    ("like", "http.route LIKE /api/%", Filter("http.route", "LIKE", "/api/%")),
    ("not-like", "http.route NOT_LIKE %health", Filter("http.route", "NOT_LIKE", "%health")),
    ("includes", "note INCLUDES time", Filter("note", "INCLUDES", "time")),
    ("does-not-include", "note DOES_NOT_INCLUDE time",
     Filter("note", "DOES_NOT_INCLUDE", "time")),
    ("match-regex", "user.id MATCH_REGEX ^u-0[0-9]+$",
     Filter("user.id", "MATCH_REGEX", "^u-0[0-9]+$")),
    ("exists", "customer.tier EXISTS", Filter("customer.tier", "EXISTS", None)),
    ("does-not-exist", "customer.tier DOES_NOT_EXIST",
     Filter("customer.tier", "DOES_NOT_EXIST", None)),
    ("exists-ignores-a-value", "k EXISTS whatever", Filter("k", "EXISTS", None)),
    ("in-list", "http.status_code IN (200, 404)", Filter("http.status_code", "IN", ["200", "404"])),
    ("in-without-parens", "tier IN gold,silver", Filter("tier", "IN", ["gold", "silver"])),
    ("in-quoted-items", "tier IN ('gold', \"two words\")",
     Filter("tier", "IN", ["gold", "two words"])),
    ("not-in-list", "tier NOT_IN (gold)", Filter("tier", "NOT_IN", ["gold"])),
    ("starts-with", "http.route STARTS_WITH /api", Filter("http.route", "STARTS_WITH", "/api")),
    ("ends-with", "http.route ENDS_WITH {id}", Filter("http.route", "ENDS_WITH", "{id}")),
    ("value-with-spaces", "note = payment  timeout after retry",
     Filter("note", "=", "payment  timeout after retry")),
    ("lowercase-operator", "tier not_in (a, b)", Filter("tier", "NOT_IN", ["a", "b"])),
    ("lowercase-like", "route like /a%", Filter("route", "LIKE", "/a%")),
    ("extra-outer-spaces", "  k   =   v  ", Filter("k", "=", "v")),
    ("object", {"key": "k", "operation": ">=", "value": 5}, Filter("k", ">=", 5)),
    ("object-operator-lowercase", {"key": "k", "operator": "includes", "value": "x"},
     Filter("k", "INCLUDES", "x")),
    ("object-bool", {"key": "cache.hit", "operation": "=", "value": True},
     Filter("cache.hit", "=", True)),
    ("object-in", {"key": "k", "operation": "IN", "value": [1, "a", False]},
     Filter("k", "IN", [1, "a", False])),
    ("object-exists-drops-value", {"key": "k", "operation": "EXISTS", "value": 1},
     Filter("k", "EXISTS", None)),
]


@pytest.mark.parametrize(("item", "expected"), [f[1:] for f in FILTER_FORMS],
                         ids=[f[0] for f in FILTER_FORMS])
def test_filter_forms(item: Any, expected: Filter) -> None:
    assert parse_filter(item, "filters[0]") == expected


@pytest.mark.parametrize("op", OPERATORS)
def test_every_operator_in_string_and_object_form(op: str) -> None:
    if op in ("EXISTS", "DOES_NOT_EXIST"):
        value: Any = None
        text = f"k {op}"
    elif op in ("IN", "NOT_IN"):
        value = ["a", "b c"]
        text = f"k {op} (a, b c)"
    else:
        value = "a b"
        text = f"k {op} a b"
    assert parse_filter(text, "f") == Filter("k", op, value)
    as_object = {"key": "k", "operation": op, "value": value}
    assert parse_filter(as_object, "f") == Filter("k", op, value)


BAD_FILTERS: list[tuple[str, Any, str]] = [
    ("only-a-key", "a", "f: write 'key operator value', e.g. 'http.status_code >= 500'"),
    ("empty-string", "   ", "f: write 'key operator value', e.g. 'http.status_code >= 500'"),
    ("bad-operator", "a ~ b", f"f: unknown operator '~'; use one of {OPERATOR_NAMES}"),
    ("sql-operator", "a <> b", f"f: unknown operator '<>'; use one of {OPERATOR_NAMES}"),
    ("object-bad-operator", {"key": "a", "operation": "CONTAINS", "value": "x"},
     f"f: unknown operator 'CONTAINS'; use one of {OPERATOR_NAMES}"),
    ("object-no-operator", {"key": "a", "value": "x"},
     f"f: unknown operator ''; use one of {OPERATOR_NAMES}"),
    ("missing-value", "a =", "f: = needs a value"),
    ("missing-value-like", "a LIKE", "f: LIKE needs a value"),
    ("object-missing-value", {"key": "a", "operation": ">"}, "f: > needs a value"),
    ("empty-in-list", "a IN ()", "f: IN needs a list of values, e.g. (a, b)"),
    ("empty-item-in-list", "a IN (x, , y)", "f: empty item in list 'x, , y'"),
    ("object-in-not-a-list", {"key": "a", "operation": "IN", "value": "x"},
     "f: IN needs a list of values, e.g. (a, b)"),
    ("object-in-empty-list", {"key": "a", "operation": "NOT_IN", "value": []},
     "f: NOT_IN needs a list of values, e.g. (a, b)"),
    ("list-for-single-value", {"key": "a", "operation": "=", "value": [1]},
     "f: = takes one value, not a list"),
    ("map-for-single-value", {"key": "a", "operation": "=", "value": {"x": 1}},
     "f: = takes one value, not a map"),
    ("object-empty-key", {"key": "", "operation": "="}, "f: key must be a non-empty string"),
    ("object-key-not-string", {"key": 5, "operation": "=", "value": 1},
     "f: key must be a non-empty string"),
    ("not-string-or-object", 3, "f: a filter is a string or an object"),
    ("bad-regex", "a MATCH_REGEX (",
     "f: invalid regular expression '(': missing ): ("),
    ("bad-regex-class", {"key": "a", "operation": "MATCH_REGEX", "value": "[a-"},
     "f: invalid regular expression '[a-': missing ]: [a-"),
]


@pytest.mark.parametrize(("item", "message"), [f[1:] for f in BAD_FILTERS],
                         ids=[f[0] for f in BAD_FILTERS])
def test_bad_filters(item: Any, message: str) -> None:
    with pytest.raises(QueryError) as info:
        parse_filter(item, "f")
    assert str(info.value) == message


# -- the whole spec -------------------------------------------------------------------------

def test_nulls_mean_the_defaults() -> None:
    spec = parse({"filterCombination": None, "needle": {"value": "x", "isRegex": None}})
    assert spec.combination == "AND"
    assert spec.needle == Needle("x", is_regex=False, match_case=False)


def test_defaults() -> None:
    spec = parse({})
    assert spec.datasets == ("otel",)
    assert spec.to_ns == NOW_NS
    assert spec.from_ns == NOW_NS - 60 * MIN_NS
    assert spec.granularity_ns == 60_000_000_000  # 1h / 60
    assert spec.calculations == ()
    assert spec.is_events_query
    assert spec.filters == ()
    assert spec.combination == "AND"
    assert spec.group_bys == ()
    assert spec.order_by is None
    assert (spec.limit, spec.offset) == (100, 0)
    assert spec.needle is None


def test_full_spec_from_the_design() -> None:
    spec = parse({
        "datasets": ["otel", "logs"],
        "calculations": ["COUNT", "P99($duration_ms) as p99"],
        "filters": ["$service = checkout", {"key": "http.status_code", "operation": ">=",
                                            "value": 500}],
        "filterCombination": "or",
        "groupBys": ["$namespace", "http.route"],
        "orderBy": {"value": "p99", "order": "asc"},
        "limit": 10,
        "offset": 20,
        "needle": {"value": "timeout", "isRegex": True, "matchCase": True},
        "from": "1h", "to": "now", "granularity": "1m",
    })
    assert spec.datasets == ("otel", "logs")
    assert spec.calculations == (Calculation("COUNT", None, "COUNT"),
                                 Calculation("P99", "$duration_ms", "p99"))
    assert spec.filters == (Filter("$service", "=", "checkout"),
                            Filter("http.status_code", ">=", 500))
    assert spec.combination == "OR"
    assert spec.group_bys == ("$namespace", "http.route")
    assert spec.order_by == OrderBy("p99", descending=False)
    assert (spec.limit, spec.offset) == (10, 20)
    assert spec.needle == Needle("timeout", is_regex=True, match_case=True)
    assert spec.granularity_ns == MIN_NS
    assert not spec.is_events_query


NEEDLES: list[tuple[str, Any, Needle | None]] = [
    ("plain-string", "timeout", Needle("timeout")),
    ("object-defaults", {"value": "Timeout"}, Needle("Timeout")),
    ("match-case", {"value": "Timeout", "matchCase": True}, Needle("Timeout", match_case=True)),
    ("regex", {"value": "time(out|d)", "isRegex": True}, Needle("time(out|d)", is_regex=True)),
    ("regex-match-case", {"value": "^T", "isRegex": True, "matchCase": True},
     Needle("^T", is_regex=True, match_case=True)),
    ("with-spaces", "payment timeout", Needle("payment timeout")),
    ("empty-string", "", None),
    ("empty-object-value", {"value": ""}, None),
    ("null", None, None),
]


@pytest.mark.parametrize(("needle", "expected"), [n[1:] for n in NEEDLES],
                         ids=[n[0] for n in NEEDLES])
def test_needle_forms(needle: Any, expected: Needle | None) -> None:
    assert parse({"needle": needle}).needle == expected


ORDER_BYS: list[tuple[str, Any, OrderBy]] = [
    ("calculation-default-desc", {"value": "COUNT"}, OrderBy("COUNT", True)),
    ("calculation-asc", {"value": "COUNT", "order": "ASC"}, OrderBy("COUNT", False)),
    ("lowercase-order", {"value": "COUNT", "order": "desc"}, OrderBy("COUNT", True)),
    ("alias", {"value": "p99", "order": "ASC"}, OrderBy("p99", False)),
    ("group", {"value": "$service", "order": "ASC"}, OrderBy("$service", False)),
    ("plain-string", "COUNT", OrderBy("COUNT", True)),
]


@pytest.mark.parametrize(("order_by", "expected"), [o[1:] for o in ORDER_BYS],
                         ids=[o[0] for o in ORDER_BYS])
def test_order_by_forms(order_by: Any, expected: OrderBy) -> None:
    spec = parse({"calculations": ["COUNT", "P99(d) as p99"], "groupBys": ["$service"],
                  "orderBy": order_by})
    assert spec.order_by == expected


@pytest.mark.parametrize(("field", "value"), [
    ("limit", 1), ("limit", 10_000), ("offset", 0), ("offset", 10_000_000),
], ids=["limit-min", "limit-max", "offset-min", "offset-max"])
def test_limit_and_offset_bounds_accepted(field: str, value: int) -> None:
    assert getattr(parse({field: value}), field) == value


# from/to: every accepted way of writing a time, and what it means.
ISO_MIDNIGHT_NS = 1_700_006_400_000_000_000  # 2023-11-15T00:00:00Z
TIMES: list[tuple[str, Any, int]] = [
    ("now", "now", NOW_NS),
    ("now-with-spaces", "  now ", NOW_NS),
    ("relative-minutes", "15m", NOW_NS - 15 * MIN_NS),
    ("relative-seconds", "30s", NOW_NS - 30_000_000_000),
    ("relative-hours", "1h", NOW_NS - 60 * MIN_NS),
    ("relative-days", "7d", NOW_NS - 7 * 86_400_000_000_000),
    ("relative-weeks", "2w", NOW_NS - 14 * 86_400_000_000_000),
    ("relative-milliseconds", "500ms", NOW_NS - 500_000_000),
    ("relative-fraction", "1.5h", NOW_NS - 90 * MIN_NS),
    ("now-minus", "now-15m", NOW_NS - 15 * MIN_NS),
    ("epoch-ms-int", 1_700_000_000_000, 1_700_000_000_000_000_000),
    ("epoch-ms-float", 1_700_000_000_000.5, 1_700_000_000_000_500_000),
    ("epoch-ms-string", "1700000000000", 1_700_000_000_000_000_000),
    ("iso-z", "2023-11-15T00:00:00Z", ISO_MIDNIGHT_NS),
    ("iso-naive-is-utc", "2023-11-15T00:00:00", ISO_MIDNIGHT_NS),
    ("iso-offset", "2023-11-15T02:00:00+02:00", ISO_MIDNIGHT_NS),
    ("iso-millis", "2023-11-15T00:00:00.250Z", ISO_MIDNIGHT_NS + 250_000_000),
    ("iso-nanos", "2023-11-15T00:00:00.000000007Z", ISO_MIDNIGHT_NS + 7),
    ("iso-nanos-offset", "2023-11-14T23:00:00.5-01:00", ISO_MIDNIGHT_NS + 500_000_000),
    ("iso-date", "2023-11-15", ISO_MIDNIGHT_NS),
]


@pytest.mark.parametrize(("value", "expected_ns"), [t[1:] for t in TIMES],
                         ids=[t[0] for t in TIMES])
def test_from_forms(value: Any, expected_ns: int) -> None:
    to = "2030-01-01T00:00:00Z"
    assert parse({"from": value, "to": to, "granularity": "1w"}).from_ns == expected_ns


def test_to_takes_the_same_forms() -> None:
    spec = parse({"from": "2023-11-14T00:00:00Z", "to": "2023-11-15T00:00:00Z"})
    assert spec.to_ns == ISO_MIDNIGHT_NS
    assert parse({"from": "2h", "to": "1h"}).to_ns == NOW_NS - 60 * MIN_NS


GRANULARITIES: list[tuple[str, dict[str, Any], int]] = [
    ("explicit-minute", {"granularity": "1m"}, MIN_NS),
    ("explicit-seconds", {"granularity": "30s"}, 30_000_000_000),
    ("explicit-hour-over-a-day", {"from": "1d", "granularity": "1h"}, 60 * MIN_NS),
    ("exactly-max-buckets", {"from": "25m", "granularity": "1s"}, 1_000_000_000),
    ("auto-null", {"granularity": None}, MIN_NS),
    ("auto-word", {"granularity": "auto"}, MIN_NS),
    ("auto-15m-range", {"from": "15m"}, 15_000_000_000),
    ("auto-1d-range", {"from": "1d"}, 30 * MIN_NS),
    ("auto-7d-range", {"from": "7d"}, 3 * 60 * MIN_NS),
    ("auto-tiny-range", {"from": "10s"}, 1_000_000_000),
]


@pytest.mark.parametrize(("doc", "expected_ns"), [g[1:] for g in GRANULARITIES],
                         ids=[g[0] for g in GRANULARITIES])
def test_granularity(doc: dict[str, Any], expected_ns: int) -> None:
    assert parse(doc).granularity_ns == expected_ns


@pytest.mark.parametrize("start", ["2w", "90d", "1000d", 0], ids=["2w", "90d", "1000d", "epoch"])
def test_auto_granularity_never_exceeds_the_bucket_limit(start: Any) -> None:
    spec = parse({"from": start})
    buckets = (spec.to_ns - spec.from_ns) / spec.granularity_ns
    assert 10 <= buckets <= 100 < MAX_BUCKETS


BAD_SPECS: list[tuple[str, Any, str]] = [
    ("not-an-object", ["otel"], "query spec must be a JSON object"),
    ("needle-flag-not-a-bool", {"needle": {"value": "x", "isRegex": "yes"}},
     "needle.isRegex: must be true or false, not 'yes'"),
    ("misspelt-field", {"filter": ["a = 1"]}, "filter: not a field of a query (did you mean "
     "'filters'?)"),
    ("unknown-field", {"where": "a = 1"}, "where: not a field of a query; the fields are "
     "calculations, datasets, filterCombination, filters, from, granularity, groupBys, limit, "
     "needle, offset, orderBy, to"),
    ("group-bys-without-calculations", {"groupBys": ["$service"]},
     "groupBys: grouping needs a calculation, e.g. \"calculations\": [\"COUNT\"]"),
    ("datasets-not-a-list", {"datasets": "otel"}, "datasets: must be a list"),
    ("datasets-empty", {"datasets": []}, "datasets: name at least one dataset"),
    ("dataset-empty-name", {"datasets": ["otel", ""]}, "datasets[1]: must be a non-empty string"),
    ("dataset-not-a-string", {"datasets": [3]}, "datasets[0]: must be a non-empty string"),
    ("calculations-not-a-list", {"calculations": "COUNT"}, "calculations: must be a list"),
    ("unknown-calculation", {"calculations": ["COUNT", "P98(x)"]},
     f"calculations[1]: unknown calculation 'P98'; use one of {CALC_NAMES}"),
    ("duplicate-labels", {"calculations": ["COUNT", "count(*) as COUNT"]},
     "calculations: two calculations have the same name; give one an alias"),
    ("filters-not-a-list", {"filters": "a = b"}, "filters: must be a list"),
    ("bad-operator", {"filters": ["a = 1", "b =~ x"]},
     f"filters[1]: unknown operator '=~'; use one of {OPERATOR_NAMES}"),
    ("missing-value", {"filters": ["a !="]}, "filters[0]: != needs a value"),
    ("bad-regex", {"filters": ["a MATCH_REGEX a{2,1}"]},
     "filters[0]: invalid regular expression 'a{2,1}': invalid repetition size: {2,1}"),
    ("regex-look-ahead", {"filters": ["a MATCH_REGEX (?=x)y"]},
     "filters[0]: invalid regular expression '(?=x)y': invalid perl operator: (?="),
    ("needle-back-reference", {"needle": {"value": "(a)\\1", "isRegex": True}},
     "needle: invalid regular expression: invalid escape sequence: \\1"),
    ("bad-combination", {"filterCombination": "XOR"}, "filterCombination: 'XOR' is not AND or OR"),
    ("group-bys-not-a-list", {"groupBys": "$service"}, "groupBys: must be a list"),
    ("group-by-empty", {"groupBys": [""]}, "groupBys[0]: must be a non-empty string"),
    ("limit-zero", {"limit": 0}, "limit: must be between 1 and 10000"),
    ("limit-too-big", {"limit": 10_001}, "limit: must be between 1 and 10000"),
    ("limit-string", {"limit": "5"}, "limit: must be a whole number"),
    ("limit-float", {"limit": 5.5}, "limit: must be a whole number"),
    ("limit-bool", {"limit": True}, "limit: must be a whole number"),
    ("offset-negative", {"offset": -1}, "offset: must be between 0 and 10000000"),
    ("offset-too-big", {"offset": 10_000_001}, "offset: must be between 0 and 10000000"),
    ("order-by-unknown", {"calculations": ["COUNT"], "orderBy": {"value": "p99"}},
     "orderBy.value: 'p99' is not a calculation or group; use COUNT"),
    ("order-by-unknown-events", {"orderBy": {"value": "p99"}},
     "orderBy.value: 'p99' is not a calculation or group; use $timestamp or $id"),
    ("order-by-time-with-calculations", {"calculations": ["COUNT"], "groupBys": ["$service"],
                                         "orderBy": {"value": "$timestamp"}},
     "orderBy.value: '$timestamp' is not a calculation or group; use COUNT, $service"),
    ("too-many-calculations", {"calculations": [f"MAX(k{i})" for i in range(101)]},
     "calculations: 101 of them; the most is 100"),
    ("too-many-group-bys", {"calculations": ["COUNT"], "groupBys": [f"k{i}" for i in range(21)]},
     "groupBys: 21 of them; the most is 20"),
    ("too-many-filters", {"filters": [f"k{i} EXISTS" for i in range(101)]},
     "filters: 101 of them; the most is 100"),
    ("too-many-datasets", {"datasets": [f"d{i}" for i in range(51)]},
     "datasets: 51 of them; the most is 50"),
    ("too-many-in-values", {"filters": [{"key": "k", "operation": "IN",
                                         "value": list(range(1001))}]},
     "filters[0]: 1001 values; the most is 1000"),
    ("needle-too-long", {"needle": "x" * 1025}, "needle: 1025 characters; the most is 1024"),
    ("regex-too-long", {"filters": [{"key": "k", "operation": "MATCH_REGEX", "value": "x" * 1025}]},
     "filters[0]: the regular expression is 1025 characters; the most is 1024"),
    ("granularity-under-a-millisecond", {"from": "1s", "granularity": "0.5ms"},
     "granularity: 0.5ms is less than the smallest, 1ms"),
    ("order-by-bad-direction", {"calculations": ["COUNT"],
                                "orderBy": {"value": "COUNT", "order": "UP"}},
     "orderBy.order: 'UP' is not ASC or DESC"),
    ("order-by-not-an-object", {"orderBy": 3},
     'orderBy: give {"value": "COUNT", "order": "DESC"}'),
    ("needle-bad-regex", {"needle": {"value": "(", "isRegex": True}},
     "needle: invalid regular expression: missing ): ("),
    ("needle-not-text", {"needle": 3},
     'needle: give {"value": "text", "isRegex": false, "matchCase": false}'),
    ("needle-value-not-text", {"needle": {"value": 3}},
     'needle: give {"value": "text", "isRegex": false, "matchCase": false}'),
    ("malformed-from", {"from": "yesterday"},
     "from: 'yesterday' is not a time (use ISO 8601, epoch milliseconds, 'now' or e.g. '15m')"),
    ("malformed-iso-to", {"to": "2024-13-01T00:00:00Z"},
     "to: '2024-13-01T00:00:00Z' is not a time "
     "(use ISO 8601, epoch milliseconds, 'now' or e.g. '15m')"),
    ("from-bool", {"from": True}, "from: give ISO 8601, epoch milliseconds or e.g. '15m'"),
    ("from-null", {"from": None}, "from: give ISO 8601, epoch milliseconds or e.g. '15m'"),
    ("from-infinite", {"from": float("inf")}, "from: inf is not a time"),
    ("to-list", {"to": [1]}, "to: give ISO 8601, epoch milliseconds or e.g. '15m'"),
    ("from-after-to", {"from": "now", "to": "1h"}, "from: must be earlier than to"),
    ("from-equals-to", {"from": 1000, "to": 1000}, "from: must be earlier than to"),
    ("iso-from-after-to", {"from": "2024-01-02T00:00:00Z", "to": "2024-01-01T00:00:00Z"},
     "from: must be earlier than to"),
    ("bad-granularity", {"granularity": "1x"},
     "granularity: '1x' is not a duration (use e.g. 30s, 15m, 1h, 7d)"),
    ("zero-granularity", {"granularity": "0s"}, "granularity: 0s is less than the smallest, 1ms"),
    ("too-many-buckets", {"from": "1d", "granularity": "1s"},
     "granularity: 1s gives 86400 buckets over this time range; the most is 1500"),
    ("one-bucket-too-many", {"from": "1501s", "granularity": "1s"},
     "granularity: 1s gives 1501 buckets over this time range; the most is 1500"),
]


@pytest.mark.parametrize(("doc", "message"), [b[1:] for b in BAD_SPECS],
                         ids=[b[0] for b in BAD_SPECS])
def test_bad_specs(doc: Any, message: str) -> None:
    with pytest.raises(QueryError) as info:
        parse_spec(doc, NOW_NS)
    assert str(info.value) == message


def test_regexes_the_engine_takes_are_accepted() -> None:
    spec = parse({"filters": [r"name MATCH_REGEX ^\p{Lu}\w+$"],
                  "needle": {"value": r"\p{Greek}", "isRegex": True}})
    assert spec.filters[0].value == r"^\p{Lu}\w+$"
    assert spec.needle is not None and spec.needle.value == r"\p{Greek}"


def test_events_are_ordered_by_time_either_way() -> None:
    spec = parse({"orderBy": {"value": "$timestamp", "order": "ASC"}})
    assert spec.is_events_query and spec.order_by == OrderBy("$timestamp", False)


def test_events_are_ordered_by_arrival_for_a_tail() -> None:
    spec = parse({"orderBy": {"value": "$id", "order": "ASC"}})
    assert spec.is_events_query and spec.order_by == OrderBy("$id", False)
