"""Every calculation, operator, grouping, ordering, needle, series and events query, end to end.

Spans with seeded-random attributes and exact start/end times go through the real
OpenTelemetry SDK (OTLP/protobuf into `otel`, OTLP/JSON into `otel-json`, and OTLP/protobuf
into `otel-sealed`, whose rows are then all sealed into Parquet segments) to a real server;
each answer of POST /api/query is compared with the same computation done here in plain
Python over the spans that were sent.
"""

from __future__ import annotations

import math
import random
import re
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from opentelemetry.trace import SpanKind, Status, StatusCode

from limelight.query.spec import CALCULATIONS
from limelight.timeparse import format_ns
from tests.conftest import RunningServer
from tests.query.sdk import Encoding, finish, tracer_provider

Event = dict[str, Any]
Predicate = Callable[[Event], bool]

SPANS = 320
MINUTE_NS = 60_000_000_000
SERVICES = {
    "checkout": {"faas.name": "checkout-fn"},
    "cart": {},
    "search": {"faas.name": "search-fn"},
}
NAMES = ["GET /api/cart", "POST /api/checkout", "db.query", "cache.get"]
ROUTES = ["/api/cart", "/api/checkout", "/api/items/{id}", "/health"]
NOTES = ["Payment Timeout after retry", "cache miss", "slow query on orders",
         "timed out waiting", "ok"]
KINDS = {SpanKind.SERVER: "server", SpanKind.CLIENT: "client", SpanKind.INTERNAL: "internal"}
DATASETS: dict[str, Encoding] = {"otel": "protobuf", "otel-json": "json",
                                 "otel-sealed": "protobuf"}
# Fields the needle does not search (identifiers and enumerations).
NOT_SEARCHED = {"$kind", "$status", "$level", "$trace_id", "$span_id", "$parent_span_id"}


@dataclass
class Sent:
    events: list[Event]
    start_ns: int
    end_ns: int

    @property
    def window(self) -> dict[str, str]:
        return {"from": format_ns(self.start_ns), "to": format_ns(self.end_ns)}


def _generate(rng: random.Random, start_ns: int) -> list[tuple[str, dict[str, Any]]]:
    """(service, span plan) pairs: every attribute optional, times to the nanosecond."""
    plans = []
    for seq in range(SPANS):
        begin = start_ns + rng.randrange(40 * MINUTE_NS)
        duration = rng.randrange(100_000, 800_000_000)
        attrs: dict[str, Any] = {"seq": seq}
        maybe: list[tuple[str, float, Callable[[], Any]]] = [
            ("http.status_code", 0.9, lambda: rng.choice([200, 200, 200, 201, 204, 404, 500,
                                                          503])),
            ("cart.items", 0.7, lambda: rng.randint(0, 20)),
            ("order.total", 0.6, lambda: round(rng.uniform(0, 500), 2)),
            ("ratio", 0.5, lambda: rng.uniform(-1, 1)),
            ("http.route", 0.9, lambda: rng.choice(ROUTES)),
            ("user.id", 0.8, lambda: f"u-{rng.randrange(40):03d}"),
            ("customer.tier", 0.5, lambda: rng.choice(["gold", "silver", "bronze"])),
            ("cache.hit", 0.6, lambda: rng.random() < 0.5),
            ("note", 0.4, lambda: rng.choice(NOTES)),
        ]
        for key, chance, make in maybe:
            if rng.random() < chance:
                attrs[key] = make()
        failed = rng.random() < 0.12
        plans.append((rng.choice(list(SERVICES)), {
            "name": rng.choice(NAMES),
            "kind": rng.choice(list(KINDS)),
            "start": begin,
            "end": begin + duration,
            "attrs": attrs,
            "error": rng.choice(["upstream timeout", "card declined"]) if failed else None,
        }))
    return plans


def _send(server: RunningServer, key: str, plans: list[tuple[str, dict[str, Any]]],
          encoding: Encoding, dataset: str) -> list[Event]:
    """Send every planned span through the SDK; return the events the server should hold."""
    events: list[Event] = []
    for service, extra in SERVICES.items():
        provider, exporter = tracer_provider(
            server, key, {"service.name": service, **extra}, encoding, dataset
        )
        resource = dict(provider.resource.attributes)
        tracer = provider.get_tracer("shop", "2.1.0")
        mine = [plan for owner, plan in plans if owner == service]
        for plan in mine:
            span = tracer.start_span(plan["name"], kind=plan["kind"], start_time=plan["start"],
                                     attributes=plan["attrs"])
            if plan["error"]:
                span.set_status(Status(StatusCode.ERROR, plan["error"]))
            span.end(end_time=plan["end"])
            events.append({
                **resource,
                "otel.scope.name": "shop",
                "otel.scope.version": "2.1.0",
                "span.kind": KINDS[plan["kind"]],
                **plan["attrs"],
                "$timestamp": plan["start"],
                "$service": service,
                "$namespace": extra.get("faas.name", service),
                "$name": plan["name"],
                "$kind": "span",
                "$duration_ms": (plan["end"] - plan["start"]) / 1e6,
                "$status": "error" if plan["error"] else "ok",
                "$error": bool(plan["error"]),
                **({"$message": plan["error"]} if plan["error"] else {}),
            })
        finish(provider, exporter, len(mine))
    return events


@pytest.fixture(scope="module")
def sent(shared_server: RunningServer) -> Sent:
    key = shared_server.create_key("ingest")
    ten_minutes = 10 * MINUTE_NS
    start = (time.time_ns() // ten_minutes) * ten_minutes - 60 * MINUTE_NS
    plans = _generate(random.Random(20240601), start)
    events: list[Event] = []
    for dataset, encoding in DATASETS.items():
        events = _send(shared_server, key, plans, encoding, dataset)  # same events each time
    store = shared_server.server.config.app.state.limelight.store  # type: ignore[attr-defined]
    assert store.seal("otel-sealed") == len(events)
    return Sent(events, start, start + 40 * MINUTE_NS)


@pytest.fixture(params=list(DATASETS))
def dataset(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def post_query(client: httpx.Client, spec: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/api/query", json=spec)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    assert set(result) == {"aggregates", "series", "events", "statistics"}
    return result


@pytest.fixture(scope="module")
def client(shared_server: RunningServer) -> Iterator[httpx.Client]:
    """One connection for the module's many queries (a client per query costs more)."""
    with shared_server.client(shared_server.create_key("query")) as query_client:
        yield query_client


class Q:
    """Queries one dataset of the shared server inside the window the spans were sent in."""

    def __init__(self, client: httpx.Client, sent: Sent, dataset: str) -> None:
        self.client, self.sent, self.dataset = client, sent, dataset

    def __call__(self, **spec: Any) -> dict[str, Any]:
        return post_query(self.client, {"datasets": [self.dataset], **self.sent.window, **spec})

    def value(self, calculation: str, **spec: Any) -> Any:
        result = self(calculations=[calculation], **spec)
        assert len(result["aggregates"]) == 1
        return result["aggregates"][0]["values"][calculation]

    def seqs(self, **spec: Any) -> list[int]:
        events = self(limit=10_000, **spec)["events"]
        return [e["seq"] for e in events]


@pytest.fixture
def q(client: httpx.Client, sent: Sent, dataset: str) -> Q:
    return Q(client, sent, dataset)


# -- the reference: plain Python ------------------------------------------------------------

def percentile(values: list[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (what quantile_cont computes)."""
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


QUANTILES = {"MEDIAN": 0.5, "P001": 0.001, "P01": 0.01, "P05": 0.05, "P10": 0.1, "P25": 0.25,
             "P75": 0.75, "P90": 0.9, "P95": 0.95, "P99": 0.99, "P999": 0.999}


def calculate(op: str, key: str | None, events: list[Event]) -> Any:
    if key is None:
        return len(events)
    values = [e[key] for e in events if key in e]
    if op == "COUNT":
        return len(values)
    if op == "COUNT_DISTINCT":
        return len(set(values))
    if not values:
        return None
    if op == "SUM":
        return math.fsum(values)
    if op == "AVG":
        return math.fsum(values) / len(values)
    if op == "MIN":
        return min(values)
    if op == "MAX":
        return max(values)
    if op in QUANTILES:
        return percentile(values, QUANTILES[op])
    if len(values) < 2:
        return None
    if op == "STDDEV":
        return statistics.stdev(values)
    assert op == "VARIANCE"
    return statistics.variance(values)


def same(actual: Any, expected: Any) -> bool:
    if expected is None or actual is None:
        return actual is expected
    return bool(actual == pytest.approx(expected, rel=1e-9, abs=1e-9))


def text(value: Any) -> str:
    """A value as the text operators see it: numbers as they read back, bools lowercase."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def has(key: str, test: Callable[[Any], bool]) -> Predicate:
    return lambda e: key in e and test(e[key])


def lacks_or_not(key: str, test: Callable[[Any], bool]) -> Predicate:
    """Negative operators also match events that lack the key."""
    return lambda e: key not in e or not test(e[key])


def matching(events: list[Event], predicate: Predicate) -> list[Event]:
    return [e for e in events if predicate(e)]


def newest_first(events: list[Event]) -> list[int]:
    # Equal timestamps fall back to arrival order, newest first; none are equal here.
    return [e["seq"] for e in sorted(events, key=lambda e: e["$timestamp"], reverse=True)]


# -- calculations ---------------------------------------------------------------------------

CALC_KEYS = ["$duration_ms", "order.total", "cart.items", "ratio"]


@pytest.mark.parametrize("key", CALC_KEYS)
@pytest.mark.parametrize("op", list(CALCULATIONS))
def test_every_calculation(q: Q, sent: Sent, op: str, key: str) -> None:
    expected = calculate(op, key, sent.events)
    actual = q.value(f"{op}({key})")
    assert same(actual, expected), (op, key, actual, expected)


def test_count_without_key_and_count_distinct_of_strings(q: Q, sent: Sent) -> None:
    result = q(calculations=["COUNT", "COUNT_DISTINCT(user.id) as users",
                             "COUNT(customer.tier) as tiered", "COUNT_DISTINCT($service)"])
    values = result["aggregates"][0]["values"]
    assert values == {
        "COUNT": SPANS,
        "users": len({e["user.id"] for e in sent.events if "user.id" in e}),
        "tiered": sum(1 for e in sent.events if "customer.tier" in e),
        "COUNT_DISTINCT($service)": 3,
    }
    assert result["statistics"]["rows_read"] == SPANS
    assert result["events"] == []


def test_all_calculations_in_one_query_keyed_by_alias(q: Q, sent: Sent) -> None:
    calcs = [f"{op}($duration_ms) as {op.lower()}_ms" for op in CALCULATIONS]
    values = q(calculations=calcs)["aggregates"][0]["values"]
    assert set(values) == {f"{op.lower()}_ms" for op in CALCULATIONS}
    for op in CALCULATIONS:
        expected = calculate(op, "$duration_ms", sent.events)
        assert same(values[f"{op.lower()}_ms"], expected), op


def test_whole_numbers_come_back_as_ints(q: Q) -> None:
    values = q(calculations=["MAX(http.status_code)", "SUM(cart.items)", "AVG(order.total)"],
               filters=["http.status_code = 404"])["aggregates"][0]["values"]
    assert values["MAX(http.status_code)"] == 404
    assert type(values["MAX(http.status_code)"]) is int
    assert type(values["SUM(cart.items)"]) is int
    assert type(values["AVG(order.total)"]) is float


def test_no_match_gives_zero_counts_and_null_values(q: Q) -> None:
    result = q(calculations=["COUNT", "COUNT_DISTINCT(user.id)", "AVG($duration_ms)",
                             "P99($duration_ms)", "STDDEV(ratio)"],
               filters=["$service = nobody"])
    assert result["aggregates"] == [{"groups": {}, "values": {
        "COUNT": 0, "COUNT_DISTINCT(user.id)": 0, "AVG($duration_ms)": None,
        "P99($duration_ms)": None, "STDDEV(ratio)": None,
    }}]
    assert result["statistics"]["rows_read"] == 0


def test_one_value_has_no_sample_deviation(q: Q, sent: Sent) -> None:
    one = sent.events[0]
    values = q(calculations=["COUNT", "STDDEV($duration_ms)", "VARIANCE($duration_ms)",
                             "P99($duration_ms)"],
               filters=[f"seq = {one['seq']}"])["aggregates"][0]["values"]
    assert values["COUNT"] == 1
    assert values["STDDEV($duration_ms)"] is None
    assert values["VARIANCE($duration_ms)"] is None
    assert same(values["P99($duration_ms)"], one["$duration_ms"])


def test_an_ungrouped_aggregate_is_not_paged_away(q: Q) -> None:
    result = q(calculations=["COUNT"], offset=5, limit=1)
    assert result["aggregates"] == [{"groups": {}, "values": {"COUNT": SPANS}}]


# -- filters --------------------------------------------------------------------------------

FILTERS: list[tuple[str, Any, Predicate]] = [
    ("eq-string", "customer.tier = gold", has("customer.tier", lambda v: v == "gold")),
    ("eq-number", "http.status_code = 500", has("http.status_code", lambda v: v == 500)),
    ("eq-number-written-as-float", "http.status_code = 500.0",
     has("http.status_code", lambda v: v == 500)),
    ("eq-bool", "cache.hit = true", has("cache.hit", lambda v: v is True)),
    ("eq-bool-uppercase", "cache.hit = FALSE", has("cache.hit", lambda v: v is False)),
    ("eq-value-with-spaces", "note = Payment Timeout after retry",
     has("note", lambda v: v == "Payment Timeout after retry")),
    ("eq-system-field", "$service = checkout", lambda e: e["$service"] == "checkout"),
    ("eq-namespace-faas", "$namespace = search-fn", lambda e: e["$namespace"] == "search-fn"),
    ("eq-error-bool", "$error = true", lambda e: e["$error"]),
    ("eq-status", "$status = error", lambda e: e["$status"] == "error"),
    ("eq-span-kind", "span.kind = client", lambda e: e["span.kind"] == "client"),
    ("ne-string-includes-missing", "customer.tier != gold",
     lacks_or_not("customer.tier", lambda v: v == "gold")),
    ("ne-number-includes-missing", "http.status_code != 200",
     lacks_or_not("http.status_code", lambda v: v == 200)),
    ("ne-bool-includes-missing", {"key": "cache.hit", "operation": "!=", "value": False},
     lacks_or_not("cache.hit", lambda v: v is False)),
    ("gt-number-not-text", "cart.items > 9", has("cart.items", lambda v: v > 9)),
    ("ge-float", "order.total >= 250.5", has("order.total", lambda v: v >= 250.5)),
    ("lt-negative", "ratio < -0.5", has("ratio", lambda v: v < -0.5)),
    ("le-duration", "$duration_ms <= 100", lambda e: e["$duration_ms"] <= 100),
    ("gt-string", "user.id > u-030", has("user.id", lambda v: v > "u-030")),
    ("le-string-object", {"key": "user.id", "operation": "<=", "value": "u-005"},
     has("user.id", lambda v: v <= "u-005")),
    ("like-prefix", "http.route LIKE /api/%", has("http.route", lambda v: v.startswith("/api/"))),
    ("like-underscore", "user.id LIKE u-00_",
     has("user.id", lambda v: re.fullmatch(r"u-00.", v) is not None)),
    ("like-number", "http.status_code LIKE 2%",
     has("http.status_code", lambda v: text(v).startswith("2"))),
    ("not-like-includes-missing", "http.route NOT_LIKE %{id}",
     lacks_or_not("http.route", lambda v: v.endswith("{id}"))),
    ("includes-is-case-sensitive", "note INCLUDES time", has("note", lambda v: "time" in v)),
    ("includes-object", {"key": "$message", "operation": "INCLUDES", "value": "timeout"},
     has("$message", lambda v: "timeout" in v)),
    ("does-not-include-includes-missing", "note DOES_NOT_INCLUDE Timeout",
     lacks_or_not("note", lambda v: "Timeout" in v)),
    ("match-regex", "user.id MATCH_REGEX ^u-0[0-1][0-9]$",
     has("user.id", lambda v: re.search(r"^u-0[0-1][0-9]$", v) is not None)),
    ("match-regex-unanchored", "note MATCH_REGEX ou?t",
     has("note", lambda v: re.search("ou?t", v) is not None)),
    ("match-regex-number", r"http.status_code MATCH_REGEX ^5\d\d$",
     has("http.status_code", lambda v: re.search(r"^5\d\d$", text(v)) is not None)),
    ("exists", "customer.tier EXISTS", lambda e: "customer.tier" in e),
    ("exists-bool", "cache.hit EXISTS", lambda e: "cache.hit" in e),
    ("does-not-exist", "order.total DOES_NOT_EXIST", lambda e: "order.total" not in e),
    ("does-not-exist-system", "$message DOES_NOT_EXIST", lambda e: "$message" not in e),
    ("in-numbers", "http.status_code IN (404, 503)",
     has("http.status_code", lambda v: v in (404, 503))),
    ("in-strings", "customer.tier IN (gold, silver)",
     has("customer.tier", lambda v: v in ("gold", "silver"))),
    ("in-object", {"key": "cart.items", "operation": "IN", "value": [0, 1, 20]},
     has("cart.items", lambda v: v in (0, 1, 20))),
    ("in-bools", "cache.hit IN (true)", has("cache.hit", lambda v: v is True)),
    ("in-values-with-spaces", "note IN (cache miss, slow query on orders)",
     has("note", lambda v: v in ("cache miss", "slow query on orders"))),
    ("not-in-includes-missing", "customer.tier NOT_IN (gold)",
     lacks_or_not("customer.tier", lambda v: v == "gold")),
    ("not-in-numbers", {"key": "http.status_code", "operation": "NOT_IN", "value": [200, 201]},
     lacks_or_not("http.status_code", lambda v: v in (200, 201))),
    ("starts-with", "http.route STARTS_WITH /api/c",
     has("http.route", lambda v: v.startswith("/api/c"))),
    ("starts-with-number", "http.status_code STARTS_WITH 5",
     has("http.status_code", lambda v: text(v).startswith("5"))),
    ("starts-with-name", "$name STARTS_WITH GET", lambda e: e["$name"].startswith("GET")),
    ("ends-with", "http.route ENDS_WITH {id}", has("http.route", lambda v: v.endswith("{id}"))),
    ("ends-with-number", "http.status_code ENDS_WITH 4",
     has("http.status_code", lambda v: text(v).endswith("4"))),
    ("ends-with-float", "order.total ENDS_WITH 5",
     has("order.total", lambda v: text(v).endswith("5"))),
]


@pytest.mark.parametrize(("flt", "predicate"), [f[1:] for f in FILTERS],
                         ids=[f[0] for f in FILTERS])
def test_filter_operators(q: Q, sent: Sent, flt: Any, predicate: Predicate) -> None:
    expected = matching(sent.events, predicate)
    assert 0 < len(expected) < SPANS, "the case must separate the events"
    assert sorted(q.seqs(filters=[flt])) == sorted(e["seq"] for e in expected)
    result = q(calculations=["COUNT", "AVG($duration_ms)"], filters=[flt])
    values = result["aggregates"][0]["values"]
    assert values["COUNT"] == len(expected)
    assert same(values["AVG($duration_ms)"], calculate("AVG", "$duration_ms", expected))
    assert result["statistics"]["rows_read"] == len(expected)


COMBINATIONS: list[tuple[str, str, list[Any], Predicate]] = [
    ("and", "AND", ["$service = checkout", "http.status_code >= 500"],
     lambda e: e["$service"] == "checkout" and e.get("http.status_code", 0) >= 500),
    ("or", "OR", ["customer.tier = gold", "cache.hit = true"],
     lambda e: e.get("customer.tier") == "gold" or e.get("cache.hit") is True),
    ("or-lowercase", "or", ["$error = true", {"key": "cart.items", "operation": ">",
                                              "value": 18}],
     lambda e: e["$error"] or e.get("cart.items", -1) > 18),
    ("and-three-with-negative", "AND",
     ["http.route STARTS_WITH /api", "customer.tier != bronze", "order.total EXISTS"],
     lambda e: e.get("http.route", "").startswith("/api")
     and e.get("customer.tier") != "bronze" and "order.total" in e),
    ("or-with-does-not-exist", "OR", ["note DOES_NOT_EXIST", "note = ok"],
     lambda e: e.get("note", "ok") == "ok"),
]


@pytest.mark.parametrize(("combination", "filters", "predicate"),
                         [c[1:] for c in COMBINATIONS], ids=[c[0] for c in COMBINATIONS])
def test_filter_combinations(q: Q, sent: Sent, combination: str, filters: list[Any],
                             predicate: Predicate) -> None:
    expected = matching(sent.events, predicate)
    assert 0 < len(expected) < SPANS
    got = q.seqs(filters=filters, filterCombination=combination)
    assert sorted(got) == sorted(e["seq"] for e in expected)
    assert q.value("SUM(cart.items)", filters=filters, filterCombination=combination) == (
        pytest.approx(calculate("SUM", "cart.items", expected))
    )


# -- groups, ordering, paging ---------------------------------------------------------------

def grouped(events: list[Event], keys: list[str],
            calcs: list[tuple[str, str | None, str]]) -> list[dict[str, Any]]:
    """The expected aggregates, in the default order: first calculation descending, then
    the groups ascending with missing values last."""
    groups: dict[tuple[Any, ...], list[Event]] = defaultdict(list)
    for event in events:
        groups[tuple(event.get(k) for k in keys)].append(event)
    rows = [{"groups": dict(zip(keys, group, strict=True)),
             "values": {label: calculate(op, key, members) for op, key, label in calcs}}
            for group, members in groups.items()]
    return rows


def group_sort_key(row: dict[str, Any], keys: list[str]) -> tuple[Any, ...]:
    """Ascending group values, missing ones last."""
    values = [row["groups"][k] for k in keys]
    return tuple((v is None, 0 if v is None else v) for v in values)


def assert_rows(actual: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    assert [r["groups"] for r in actual] == [r["groups"] for r in expected]
    for got, want in zip(actual, expected, strict=True):
        assert set(got["values"]) == set(want["values"])
        for label, value in want["values"].items():
            assert same(got["values"][label], value), (got["groups"], label)


GROUPINGS: list[list[str]] = [
    ["$service"], ["$namespace"], ["http.route", "customer.tier"], ["cache.hit"],
    ["http.status_code"], ["$error", "span.kind"], ["$name", "$service", "customer.tier"],
]


@pytest.mark.parametrize("keys", GROUPINGS, ids=["+".join(k) for k in GROUPINGS])
def test_group_bys(q: Q, sent: Sent, keys: list[str]) -> None:
    calcs = [("COUNT", None, "COUNT"), ("AVG", "$duration_ms", "avg"),
             ("P90", "order.total", "p90"), ("COUNT_DISTINCT", "user.id", "users")]
    expected = grouped(sent.events, keys, calcs)
    expected.sort(key=lambda r: group_sort_key(r, keys))
    expected.sort(key=lambda r: -r["values"]["COUNT"])
    result = q(calculations=["COUNT", "AVG($duration_ms) as avg", "P90(order.total) as p90",
                             "COUNT_DISTINCT(user.id) as users"], groupBys=keys, limit=1000)
    assert_rows(result["aggregates"], expected)
    assert result["statistics"]["rows_read"] == SPANS


def test_group_by_values_keep_their_types(q: Q) -> None:
    result = q(calculations=["COUNT"], groupBys=["http.status_code", "cache.hit"], limit=1000)
    seen = {(type(r["groups"]["http.status_code"]), type(r["groups"]["cache.hit"]))
            for r in result["aggregates"]}
    assert (int, bool) in seen
    assert (type(None), type(None)) in seen
    assert not any(t is float or t is str for pair in seen for t in pair)


@pytest.mark.parametrize(("order_by", "sort"), [
    ({"value": "avg", "order": "ASC"}, lambda r: r["values"]["avg"]),
    ({"value": "avg", "order": "DESC"}, lambda r: -r["values"]["avg"]),
    ({"value": "COUNT", "order": "ASC"}, lambda r: r["values"]["COUNT"]),
    ({"value": "user.id", "order": "ASC"}, lambda r: r["groups"]["user.id"] or "~"),
], ids=["calc-asc", "calc-desc", "count-asc", "group-asc"])
def test_order_by(q: Q, sent: Sent, order_by: dict[str, str],
                  sort: Callable[[dict[str, Any]], Any]) -> None:
    keys = ["user.id"]
    expected = grouped(sent.events, keys, [("COUNT", None, "COUNT"),
                                           ("AVG", "$duration_ms", "avg")])
    expected.sort(key=lambda r: group_sort_key(r, keys))
    expected.sort(key=sort)
    result = q(calculations=["COUNT", "AVG($duration_ms) as avg"], groupBys=keys,
               orderBy=order_by, limit=1000)
    assert_rows(result["aggregates"], expected)


def test_group_by_descending_puts_missing_last(q: Q) -> None:
    rows = q(calculations=["COUNT"], groupBys=["customer.tier"],
             orderBy={"value": "customer.tier", "order": "DESC"})["aggregates"]
    assert [r["groups"]["customer.tier"] for r in rows] == ["silver", "gold", "bronze", None]


def test_limit_and_offset_page_through_groups_without_gaps(q: Q, sent: Sent) -> None:
    keys = ["http.route", "customer.tier"]
    spec: dict[str, Any] = {"calculations": ["COUNT"], "groupBys": keys}
    everything = q(**spec, limit=1000)["aggregates"]
    assert len(everything) == 20  # 4 routes and none, times 3 tiers and none
    pages = [q(**spec, limit=6, offset=offset)["aggregates"] for offset in range(0, 24, 6)]
    assert [len(page) for page in pages] == [6, 6, 6, 2]
    assert [row for page in pages for row in page] == everything
    top = q(**spec, limit=3)
    assert top["aggregates"] == everything[:3]
    assert top["statistics"]["rows_read"] == SPANS  # every matched event, not only the top 3
    past_the_end = q(**spec, offset=len(everything))
    assert past_the_end["aggregates"] == []
    assert past_the_end["statistics"]["rows_read"] == SPANS
    # Quantiles count the groups in all with a statement of their own.
    quantiles = q(calculations=["P90($duration_ms)"], groupBys=keys, limit=3)
    assert len(quantiles["aggregates"]) == 3 and quantiles["statistics"]["rows_read"] == SPANS


# -- needle ---------------------------------------------------------------------------------

def needle_matches(event: Event, test: Callable[[str], bool]) -> bool:
    return any(isinstance(v, str) and test(v) for k, v in event.items() if k not in NOT_SEARCHED)


NEEDLES: list[tuple[str, Any, Callable[[str], bool]]] = [
    ("plain-ignores-case", "timeout", lambda v: "timeout" in v.lower()),
    ("plain-uppercase-input", "TIMEOUT", lambda v: "timeout" in v.lower()),
    ("plain-with-space", {"value": "query on"}, lambda v: "query on" in v.lower()),
    ("match-case", {"value": "Timeout", "matchCase": True}, lambda v: "Timeout" in v),
    ("match-case-lower", {"value": "timeout", "matchCase": True}, lambda v: "timeout" in v),
    ("regex-ignores-case", {"value": "time(out|d)", "isRegex": True},
     lambda v: re.search("time(out|d)", v, re.IGNORECASE) is not None),
    ("regex-match-case", {"value": "^P[a-z]+ T", "isRegex": True, "matchCase": True},
     lambda v: re.search("^P[a-z]+ T", v) is not None),
    ("regex-route", {"value": r"items/\{id\}$", "isRegex": True},
     lambda v: re.search(r"items/\{id\}$", v) is not None),
    ("service-name", "search-f", lambda v: "search-f" in v),
]


@pytest.mark.parametrize(("needle", "test"), [n[1:] for n in NEEDLES],
                         ids=[n[0] for n in NEEDLES])
def test_needle(q: Q, sent: Sent, needle: Any, test: Callable[[str], bool]) -> None:
    expected = [e for e in sent.events if needle_matches(e, test)]
    assert 0 < len(expected) < SPANS
    assert sorted(q.seqs(needle=needle)) == sorted(e["seq"] for e in expected)
    assert q.value("COUNT", needle=needle) == len(expected)


def test_needle_and_filters_together(q: Q, sent: Sent) -> None:
    expected = [e for e in sent.events
                if needle_matches(e, lambda v: "timeout" in v.lower()) and e["$error"]]
    assert expected
    assert sorted(q.seqs(needle="timeout", filters=["$error = true"])) == (
        sorted(e["seq"] for e in expected)
    )


# -- series ---------------------------------------------------------------------------------

def test_series_buckets_and_values(q: Q, sent: Sent) -> None:
    step = 5 * MINUTE_NS
    result = q(calculations=["COUNT", "MAX($duration_ms) as slowest"], groupBys=["$service"],
               granularity="5m")
    series = result["series"]
    assert [b["time"] for b in series] == [
        t // 1_000_000 for t in range(sent.start_ns, sent.end_ns, step)
    ]
    for bucket in series:
        start = bucket["time"] * 1_000_000
        members = [e for e in sent.events if start <= e["$timestamp"] < start + step]
        expected = grouped(members, ["$service"], [("COUNT", None, "COUNT"),
                                                   ("MAX", "$duration_ms", "slowest")])
        expected.sort(key=lambda r: r["groups"]["$service"])
        assert_rows(bucket["data"], expected)  # groups in a stable order within a bucket
    total = sum(d["values"]["COUNT"] for b in series for d in b["data"])
    assert total == SPANS


def test_series_without_groups_and_auto_granularity(q: Q, sent: Sent) -> None:
    assert q(calculations=["COUNT"])["series"] == []  # no granularity: no series asked for
    series = q(calculations=["COUNT", "MEDIAN($duration_ms)"], granularity="auto")["series"]
    assert len(series) == 40  # 40 minutes at the automatic one-minute step
    for bucket in series:
        start = bucket["time"] * 1_000_000
        members = [e for e in sent.events if start <= e["$timestamp"] < start + MINUTE_NS]
        if not members:
            assert bucket["data"] == []
            continue
        (data,) = bucket["data"]
        assert data["groups"] == {}
        assert data["values"]["COUNT"] == len(members)
        assert same(data["values"]["MEDIAN($duration_ms)"],
                    calculate("MEDIAN", "$duration_ms", members))


def test_series_shows_only_the_groups_shown(q: Q, sent: Sent) -> None:
    result = q(calculations=["COUNT"], groupBys=["user.id"], limit=2, granularity="10m")
    top = [r["groups"] for r in result["aggregates"]]
    assert len(top) == 2
    seen = [d["groups"] for b in result["series"] for d in b["data"]]
    assert seen
    assert all(g in top for g in seen)
    for row in result["aggregates"]:
        in_series = sum(d["values"]["COUNT"] for b in result["series"] for d in b["data"]
                        if d["groups"] == row["groups"])
        assert in_series == row["values"]["COUNT"]


def test_series_respects_filters(q: Q, sent: Sent) -> None:
    step = 20 * MINUTE_NS  # buckets start at multiples of the step since the epoch
    series = q(calculations=["COUNT"], filters=["$error = true"], granularity="20m")["series"]
    first = sent.start_ns // step * step
    assert [b["time"] for b in series] == [t // 1_000_000
                                           for t in range(first, sent.end_ns, step)]
    errors = [e for e in sent.events if e["$error"]]
    for bucket in series:
        start = bucket["time"] * 1_000_000
        count = sum(1 for e in errors if start <= e["$timestamp"] < start + step)
        assert [d["values"]["COUNT"] for d in bucket["data"]] == ([count] if count else [])


# -- events ---------------------------------------------------------------------------------

def test_events_newest_first_and_paged(q: Q, sent: Sent) -> None:
    expected = newest_first(sent.events)
    pages = [q(limit=50, offset=offset)["events"] for offset in range(0, SPANS + 50, 50)]
    assert [len(p) for p in pages] == [50] * (SPANS // 50) + [SPANS % 50, 0]
    assert [e["seq"] for page in pages for e in page] == expected
    stamps = [e["$timestamp"] for page in pages for e in page]
    assert stamps == sorted(stamps, reverse=True)


def test_events_oldest_first_on_request(q: Q, sent: Sent) -> None:
    got = q(limit=20, orderBy={"value": "$timestamp", "order": "ASC"})["events"]
    assert [e["seq"] for e in got] == newest_first(sent.events)[::-1][:20]


def test_events_with_filter_and_offset(q: Q, sent: Sent) -> None:
    chosen = [e for e in sent.events if e.get("customer.tier") == "gold"]
    got = q(filters=["customer.tier = gold"], limit=7, offset=3)["events"]
    assert [e["seq"] for e in got] == newest_first(chosen)[3:10]


def test_events_carry_every_field_with_its_type(q: Q, sent: Sent, dataset: str) -> None:
    by_seq = {e["seq"]: e for e in sent.events}
    for event in q(limit=10_000)["events"]:
        want = by_seq[event["seq"]]
        assert event["$dataset"] == dataset
        assert event["$timestamp"] == format_ns(want["$timestamp"])
        assert re.fullmatch(r"[0-9a-f]{32}", event.pop("$trace_id"))
        assert re.fullmatch(r"[0-9a-f]{16}", event.pop("$span_id"))
        assert isinstance(event.pop("$id"), int)
        event.pop("$dataset")
        assert event.pop("$timestamp")
        assert event["$duration_ms"] == pytest.approx(want["$duration_ms"], abs=1e-9)
        event["$duration_ms"] = want["$duration_ms"]
        expected = {k: v for k, v in want.items() if k != "$timestamp"}
        assert event == expected
        for key, value in expected.items():
            assert type(event[key]) is type(value) or (
                isinstance(value, float) and value.is_integer() and type(event[key]) is int
            ), key


def test_events_window_excludes_what_is_outside(q: Q, sent: Sent) -> None:
    middle = sent.start_ns + 20 * MINUTE_NS
    got = post_query(q.client, {"datasets": [q.dataset], "from": format_ns(middle),
                                "to": str((middle + 5 * MINUTE_NS) // 1_000_000),
                                "limit": 10_000})
    expected = [e for e in sent.events if middle <= e["$timestamp"] < middle + 5 * MINUTE_NS]
    assert sorted(e["seq"] for e in got["events"]) == sorted(e["seq"] for e in expected)


# -- both encodings, several datasets -------------------------------------------------------

def test_protobuf_and_json_give_the_same_answers(client: httpx.Client, sent: Sent) -> None:
    spec: dict[str, Any] = {
        **sent.window, "calculations": ["COUNT", "P95($duration_ms)", "SUM(order.total)"],
        "groupBys": ["$namespace", "cache.hit"], "filters": ["http.status_code < 500"],
        "granularity": "10m",
    }
    proto = post_query(client, {**spec, "datasets": ["otel"]})
    json_ = post_query(client, {**spec, "datasets": ["otel-json"]})
    assert_rows(proto["aggregates"], json_["aggregates"])
    assert [b["time"] for b in proto["series"]] == [b["time"] for b in json_["series"]]
    for left, right in zip(proto["series"], json_["series"], strict=True):
        assert_rows(left["data"], right["data"])
    assert sum(len(b["data"]) for b in proto["series"]) > 10


def test_two_datasets_at_once(client: httpx.Client, sent: Sent) -> None:
    result = post_query(client, {
        **sent.window, "datasets": ["otel", "otel-json"],
        "calculations": ["COUNT", "AVG($duration_ms) as avg"], "groupBys": ["$dataset"],
        "filters": ["http.status_code = 404"],
    })
    expected = matching(sent.events, has("http.status_code", lambda v: v == 404))
    rows = sorted(result["aggregates"], key=lambda r: r["groups"]["$dataset"])
    assert [r["groups"] for r in rows] == [{"$dataset": "otel"}, {"$dataset": "otel-json"}]
    for row in rows:
        assert row["values"]["COUNT"] == len(expected)
        assert same(row["values"]["avg"], calculate("AVG", "$duration_ms", expected))
    events = post_query(client, {**sent.window, "datasets": ["otel", "otel-json"],
                                 "needle": "card declined", "limit": 10_000})["events"]
    declined = [e for e in sent.events if e.get("$message") == "card declined"]
    assert len(events) == 2 * len(declined)
    assert {e["$dataset"] for e in events} == {"otel", "otel-json"}


def test_bad_queries_are_400_with_the_reason(client: httpx.Client, sent: Sent) -> None:
    cases: dict[str, dict[str, Any]] = {
        "filters[0]: http.status_code is a number; 'abc' is not":
            {"filters": ["http.status_code > abc"]},
        "calculations[0]: AVG needs a number key; 'http.route' is string":
            {"calculations": ["AVG(http.route)"]},
        "datasets: unknown dataset 'nope'": {"datasets": ["nope"]},
        "from: must be earlier than to": {"from": "now", "to": "1h"},
    }
    for message, spec in cases.items():
        response = client.post("/api/query", json={**sent.window, **spec})
        assert response.status_code == 400, response.text
        assert response.json()["message"].startswith(message)
    response = client.post("/api/query", content=b"{not json")
    assert response.status_code == 400
    assert response.json()["message"].startswith("query spec is not valid JSON")


def test_fixture_sanity(sent: Sent) -> None:
    """The generated spans exercise what the other tests rely on."""
    assert len(sent.events) == SPANS
    assert all(sent.start_ns <= e["$timestamp"] < sent.end_ns for e in sent.events)
    for key in ("order.total", "customer.tier", "cache.hit", "note", "ratio"):
        assert 0 < sum(1 for e in sent.events if key in e) < SPANS
    assert len({e["$timestamp"] for e in sent.events}) == SPANS



def test_a_key_typed_differently_in_two_datasets(shared_server: RunningServer,
                                                 client: httpx.Client, sent: Sent) -> None:
    """In `mixed` the status code is text; across both datasets it compares as text, with
    numbers written the way they read back (404, not 404.0)."""
    stamp = (sent.start_ns + MINUTE_NS) // 1_000_000
    with shared_server.client(shared_server.create_key("ingest")) as ingest:
        response = ingest.post("/v1/events/mixed", json=[
            {"timestamp": stamp, "http.status_code": "404", "message": "not found"},
            {"timestamp": stamp, "http.status_code": "4O4", "message": "typo"},
        ])
    assert response.status_code == 202, response.text
    base = {**sent.window, "datasets": ["otel", "mixed"], "calculations": ["COUNT"]}
    rows = post_query(client, {**base, "groupBys": ["$dataset"],
                               "filters": ["http.status_code = 404"]})["aggregates"]
    fours = len(matching(sent.events, has("http.status_code", lambda v: v == 404)))
    assert sorted((r["groups"]["$dataset"], r["values"]["COUNT"]) for r in rows) == [
        ("mixed", 1), ("otel", fours)]
    codes = post_query(client, {**base, "groupBys": ["http.status_code"],
                                "filters": ["http.status_code STARTS_WITH 4"]})["aggregates"]
    assert sorted((r["groups"]["http.status_code"], r["values"]["COUNT"]) for r in codes) == [
        ("404", fours + 1), ("4O4", 1)]
