"""Query engine latency at 10 million events, next to the same queries written by hand.

    python bench/query.py            # 10M events (generated once, cached in bench/.data/)
    python bench/query.py --quick    # 200k events, a smoke run

The `otel` dataset is created through DuckDBStore (so its columns are the
store's), then filled with generated spans in DuckDB SQL: 10 services, 50 span
names, traces of 5 spans, lognormal durations, HTTP routes and numeric status
codes on root spans, user ids, messages with words, timestamps spread over 24
hours in arrival order. They go in `--segment-rows` at a time, each sealed into a
Parquet segment as the server would (250k, the server's default; 0 keeps every row
in the DuckDB table). Each query runs through QueryEngine(store).run(spec) (or
query.trace.fetch_trace) and as hand-written SQL through the same store
connection; both include fetching the rows into Python.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from _common import median, table
from limelight.model import Batch
from limelight.query.run import QueryEngine
from limelight.query.trace import fetch_trace
from limelight.store.duckdb import DuckDBStore

DATA_DIR = Path(__file__).resolve().parent / ".data"
GENERATOR_VERSION = 2
TARGET_RATIO = 1.3
TARGET_MS = 300.0
DAY_NS = 86_400 * 10**9
# Data ends at a fixed instant so the cached database answers the same queries every time.
END_NS = 1_767_225_600 * 10**9  # 2026-01-01T00:00:00Z

SERVICES = ["gateway", "checkout", "cart", "payment", "catalog", "users", "search",
            "shipping", "inventory", "email"]
ROUTES = ["/api/cart", "/api/cart/{id}", "/api/checkout", "/api/orders", "/api/orders/{id}",
          "/api/products", "/api/products/{id}", "/api/search", "/api/users/{id}", "/api/login",
          "/api/shipping/quote", "/api/payment/charge"]
STATUS_CODES = [200, 200, 200, 200, 200, 200, 201, 204, 301, 400, 401, 404, 409, 500, 503]
VERBS = ["get", "list", "create", "update", "delete"]
OBJECTS = ["cart", "order", "product", "user", "payment", "shipment", "stock", "session",
           "review", "coupon"]
MESSAGES = ["timeout talking to payment provider", "connection reset by peer",
            "card declined by issuer", "stock reservation failed for sku",
            "upstream returned 503 service unavailable", "deadline exceeded waiting for lock"]
LOG_WORDS = ["served", "cached", "fetched", "retried", "queued", "validated"]


def sql_list(values: list[Any]) -> str:
    return "[" + ", ".join(repr(v) if isinstance(v, str) else str(v) for v in values) + "]"


def pick(values: list[Any], salt: str, key: str = "i") -> str:
    """SQL picking one of `values` by a hash of the row number (deterministic)."""
    return f"{sql_list(values)}[1 + (hash({key}, '{salt}') % {len(values)})::INTEGER]"


def unit(salt: str, key: str = "i") -> str:
    """A deterministic uniform number in [0, 1) from the row number."""
    return f"((hash({key}, '{salt}') % 1000003) / 1000003.0)"


def generate(path: Path, events: int, segment_rows: int) -> None:
    """Create `otel` through the store, then fill it with `events` generated spans."""
    if path.exists():
        path.unlink()
    store = DuckDBStore(path)
    seed = Batch("otel")
    seed.add(0, "seed", "seed", "span", attrs={
        "service.name": "seed", "deployment.environment": "seed", "host.name": "seed",
        "cloud.region": "seed", "http.route": "/", "http.request.method": "GET",
        "http.response.status_code": 200.0, "user.id": "seed", "db.system": "seed",
        "span.kind": "server",
    })
    store.append([seed])
    store.close()

    step = DAY_NS // events
    names = [f"{verb} {obj}" for verb in VERBS for obj in OBJECTS]
    pos = "(i % 5)"
    trace = "(i // 5)"
    service = pick(SERVICES, "service")
    root = f"{pos} = 0"
    sql = f"""
    INSERT INTO otel BY NAME
    SELECT
      i + 2 AS "$id",
      {END_NS - DAY_NS} + i * {step} + (hash(i, 'jitter') % {step})::BIGINT AS "$timestamp",
      {service} AS "$service",
      CASE WHEN {service} IN ('payment', 'email', 'shipping')
           THEN {service} || '-fn' ELSE {service} END AS "$namespace",
      'span' AS "$kind",
      CASE WHEN {root} THEN {pick(['GET', 'POST'], 'verb')} || ' ' || {pick(ROUTES, 'route')}
           ELSE {pick(names, 'name')} END AS "$name",
      md5({trace}::VARCHAR) AS "$trace_id",
      substr(md5('s' || i::VARCHAR), 1, 16) AS "$span_id",
      CASE WHEN {root} THEN NULL
           ELSE substr(md5('s' || (i - {pos})::VARCHAR), 1, 16) END AS "$parent_span_id",
      round(exp(ln(15) + 1.1 * sqrt(-2 * ln(1 - {unit('u1')}))
                * cos(2 * pi() * {unit('u2')})), 3) AS "$duration_ms",
      CASE WHEN {unit('err')} < 0.02 THEN 'error' ELSE 'ok' END AS "$status",
      {unit('err')} < 0.02 AS "$error",
      CASE WHEN {unit('err')} < 0.02 THEN {pick(MESSAGES, 'msg')}
           WHEN {unit('log')} < 0.2 THEN {pick(LOG_WORDS, 'word')} || ' '
                || {pick(OBJECTS, 'obj')} || ' in ' || (hash(i, 'ms') % 500)::VARCHAR || ' ms'
           END AS "$message",
      {service} AS "service.name",
      'production' AS "deployment.environment",
      {service} || '-' || (hash(i, 'host') % 3)::VARCHAR || '.prod.internal' AS "host.name",
      'eu-west-1' AS "cloud.region",
      CASE WHEN {root} THEN {pick(ROUTES, 'route')} END AS "http.route",
      CASE WHEN {root} THEN {pick(['GET', 'POST'], 'verb')} END AS "http.request.method",
      CASE WHEN {root} THEN {pick(STATUS_CODES, 'code')}::DOUBLE END
        AS "http.response.status_code",
      'user-' || lpad((hash({trace}, 'user') % 5000)::VARCHAR, 5, '0') AS "user.id",
      CASE WHEN NOT {root} AND {unit('db')} < 0.4 THEN 'postgresql' END AS "db.system",
      CASE WHEN {root} THEN 'server' ELSE {pick(['client', 'internal'], 'kind')} END
        AS "span.kind"
    FROM range($low, $high) AS t(i)
    """
    con = duckdb.connect(str(path))
    con.execute('DELETE FROM otel WHERE "$id" = 1')
    con.close()
    chunk = segment_rows or events
    for low in range(0, events, chunk):
        con = duckdb.connect(str(path))
        con.execute(sql, {"low": low, "high": min(low + chunk, events)})
        con.execute("CHECKPOINT")
        con.close()
        if segment_rows:
            store = DuckDBStore(path, segment_rows=segment_rows)
            store.seal_due()
            store.close()


def database(events: int, segment_rows: int) -> Path:
    """The cached database for `events` rows, generated when missing."""
    directory = DATA_DIR / f"query-{events}-v{GENERATOR_VERSION}-sealed-{segment_rows}"
    path = directory / "otel.duckdb"
    if not path.exists():
        started = time.perf_counter()
        work = directory.with_suffix(".tmp")
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        generate(work / path.name, events, segment_rows)
        work.rename(directory)
        print(f"generated {events:,} events in {time.perf_counter() - started:.1f}s -> {path}")
    return path


@dataclass
class Case:
    name: str
    engine: Callable[[], object]
    hand: Callable[[], object]
    spec: dict[str, Any] | None = None  # for the breakdown of the engine's time


def cases(store: DuckDBStore, events: int) -> list[Case]:
    engine = QueryEngine(store)
    start_ns, end_ns = END_NS - DAY_NS, END_NS
    window = {"from": start_ns // 10**6, "to": end_ns // 10**6}
    ts = '"$timestamp" >= $p0 AND "$timestamp" < $p1'
    bounds = {"p0": start_ns, "p1": end_ns}

    def hand(sql: str, **params: Any) -> Callable[[], object]:
        return lambda: store.execute(sql, {**bounds, **params})

    def spec(**fields: Any) -> dict[str, Any]:
        return {"datasets": ["otel"], **window, **fields}

    def run(doc: dict[str, Any]) -> Callable[[], object]:
        return lambda: engine.run(doc)

    _, rows = store.execute('SELECT "$trace_id" FROM otel WHERE "$id" = $p0', {"p0": events // 2})
    trace_id = rows[0][0]
    strings = [name for name, ftype in store.schemas()["otel"].columns.items()
               if ftype.value == "string"
               and name not in ("$trace_id", "$span_id", "$parent_span_id", "$kind", "$level",
                                "$status")]
    needle = " OR ".join(f'contains(lower("{name}"), $p2)' for name in strings)
    group_count = spec(calculations=["COUNT"], groupBys=["$service"])
    p99 = spec(calculations=["P99($duration_ms)"], groupBys=["$name"])
    filtered = spec(calculations=["COUNT"], filters=["user.id = user-01234"])
    series = spec(calculations=["COUNT"], groupBys=["$service"], granularity="1m")
    top_users = spec(calculations=["COUNT"], groupBys=["user.id"], granularity="10m", limit=10)
    return [
        Case("group-by count ($service)", run(group_count),
             hand(f'SELECT "$service", count(*) AS n FROM otel WHERE {ts} '
                  "GROUP BY 1 ORDER BY n DESC LIMIT 100"), group_count),
        Case("P99 by name", run(p99),
             hand(f'SELECT "$name", quantile_cont("$duration_ms", 0.99) AS p99 FROM otel '
                  f"WHERE {ts} GROUP BY 1 ORDER BY p99 DESC LIMIT 100"), p99),
        Case("attribute filter (user.id =, COUNT)", run(filtered),
             hand(f'SELECT count(*) FROM otel WHERE {ts} AND "user.id" = $p2',
                  p2="user-01234"), filtered),
        Case("needle search ('timeout', 100 events)",
             run(spec(needle={"value": "timeout"}, limit=100)),
             hand(f"SELECT * FROM otel WHERE {ts} AND ({needle}) "
                  'ORDER BY "$timestamp" DESC, "$id" DESC LIMIT 100', p2="timeout")),
        Case("trace lookup (fetch_trace)",
             lambda: fetch_trace(store, trace_id),
             lambda: store.execute('SELECT * FROM otel WHERE "$trace_id" = $p0',
                                   {"p0": trace_id})),
        Case("time series (COUNT per 1m, 24h, by $service)", run(series),
             hand(f'SELECT "$timestamp" // 60000000000 * 60000000000 AS bucket, "$service", '
                  f"count(*) FROM otel WHERE {ts} GROUP BY 1, 2 ORDER BY 1, 2"), series),
        Case("time series of the top 10 of 5,000 users (COUNT per 10m)", run(top_users),
             hand(f'WITH top AS (SELECT "user.id" FROM otel WHERE {ts} GROUP BY 1 '
                  'ORDER BY count(*) DESC, 1 LIMIT 10) '
                  'SELECT "$timestamp" // 600000000000 * 600000000000 AS bucket, "user.id", '
                  f'count(*) FROM otel WHERE {ts} AND "user.id" IN (SELECT * FROM top) '
                  "GROUP BY 1, 2 ORDER BY 1, 2"), top_users),
    ]


class TimedReader:
    """The store, with the time spent in each statement recorded."""

    def __init__(self, store: DuckDBStore) -> None:
        self.store = store
        self.dialect = store.dialect
        self.statement_ms: list[float] = []

    def schemas(self) -> Any:
        return self.store.schemas()

    def distinct_estimate(self, dataset: str, key: str) -> int | None:
        return self.store.distinct_estimate(dataset, key)

    def execute(self, sql: str, params: Any = ()) -> tuple[list[str], list[tuple[Any, ...]]]:
        started = time.perf_counter()
        try:
            return self.store.execute(sql, params)
        finally:
            self.statement_ms.append((time.perf_counter() - started) * 1000)


def breakdown(store: DuckDBStore, doc: dict[str, Any], runs: int) -> tuple[int, float, float]:
    """How many statements the engine runs for a spec, the median ms spent in them, and the
    median ms of the whole run."""
    reader = TimedReader(store)
    engine = QueryEngine(reader)  # type: ignore[arg-type]
    sql_ms, total_ms = [], []
    engine.run(doc)
    for _ in range(runs):
        reader.statement_ms.clear()
        started = time.perf_counter()
        engine.run(doc)
        total_ms.append((time.perf_counter() - started) * 1000)
        sql_ms.append(sum(reader.statement_ms))
    return len(reader.statement_ms), median(sql_ms), median(total_ms)


def timings(fn: Callable[[], object], runs: int) -> list[float]:
    fn()  # warm up: the first run reads the columns from disk
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def paired(first: Callable[[], object], second: Callable[[], object],
           runs: int) -> tuple[list[float], list[float]]:
    """Timings of two functions taken in turns, so a slow spell of a shared machine
    hits both alike."""
    a: list[float] = []
    b: list[float] = []
    first()
    second()
    for _ in range(runs):
        a += timings_once(first)
        b += timings_once(second)
    return a, b


def timings_once(fn: Callable[[], object]) -> list[float]:
    started = time.perf_counter()
    fn()
    return [(time.perf_counter() - started) * 1000]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="200k events, 2 runs")
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--segment-rows", type=int, default=250_000,
                        help="rows per sealed segment (the server's default); 0 seals none")
    args = parser.parse_args()
    if args.quick:
        args.events, args.runs = 200_000, 2

    store = DuckDBStore(database(args.events, args.segment_rows))
    rows: list[list[object]] = []
    parts: list[list[object]] = []
    try:
        for case in cases(store, args.events):
            engine_ms, hand_ms = paired(case.engine, case.hand, args.runs)
            e, h = median(engine_ms), median(hand_ms)
            ratio = e / h
            met = ratio <= TARGET_RATIO and e <= TARGET_MS
            rows.append([case.name, f"{e:.1f}", f"{h:.1f}", f"{ratio:.2f}",
                         f"{statistics.pstdev(engine_ms):.1f}",
                         "met" if met else "NOT met"])
            print(f"{case.name}: engine {e:.1f} ms, hand-written {h:.1f} ms")
            if case.spec is not None:
                statements, sql_ms, total_ms = breakdown(store, case.spec, args.runs)
                parts.append([case.name, f"{total_ms:.1f}", statements, f"{sql_ms:.1f}",
                              f"{max(total_ms - sql_ms, 0):.1f}"])
    finally:
        store.close()
    print()
    sealed = f"sealed {args.segment_rows:,} at a time" if args.segment_rows else "none sealed"
    print(f"{args.events:,} events ({sealed}), median of {args.runs} runs (taken in turns) "
          "after a warm-up")
    print(table(["query", "engine ms", "hand-written ms", "engine/hand", "engine stdev ms",
                 f"target (<= {TARGET_RATIO}x and <= {TARGET_MS:.0f} ms)"], rows))
    print()
    print("Where the engine's time goes (statements timed inside its runs):")
    print(table(["query", "engine ms", "statements", "SQL ms",
                 "rest (parse, plan, shaping) ms"], parts))


if __name__ == "__main__":
    main()
