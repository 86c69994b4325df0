"""Backtests over stored history: known bursts, every combining path checked against querying
each window on its own, the history cap, and few queries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from limelight.alerts.backtest import Backtest, backtest
from limelight.alerts.evaluate import evaluate
from limelight.alerts.notify import window_spec
from limelight.alerts.rules import alert_query, parse_alert
from limelight.alerts.state import Instance, advance
from limelight.ingest.events import decode_events
from limelight.query.run import QueryEngine
from limelight.store.duckdb import DuckDBStore

MINUTE = 60_000
NOW_MS = 1_795_336_200_000 + 17_345  # not on a minute boundary
DATA_MINUTES = 180
COVERED_NS = ((DATA_MINUTES - 1) * MINUTE + 1_000) * 1_000_000  # from the first event to now
BURSTS = [(NOW_MS - (160 - 30 * i) * MINUTE, "pay" if i % 2 else "cart") for i in range(5)]


@pytest.fixture(scope="module")
def engine() -> Iterator[QueryEngine]:
    """Three hours of one request a minute, and five bursts of 12 errors over two minutes."""
    store = DuckDBStore(None)
    events = [{"timestamp": NOW_MS - m * MINUTE - 1_000, "status": 200, "duration": 20 + m % 7,
               "namespace": "cart"} for m in range(DATA_MINUTES)]
    for start, namespace in BURSTS:
        events += [{"timestamp": start + k * 10_000, "status": 503, "duration": 900 + k,
                    "namespace": namespace} for k in range(12)]
    body = "\n".join(json.dumps(e) for e in events).encode()
    store.append([decode_events(body, "app", "shop", None, 1 << 20).batch])
    yield QueryEngine(store)
    store.close()


def alert(threshold: str, calculation: str = "COUNT", window: str = "5m",
          frequency: str = "1m", **query: Any) -> dict[str, Any]:
    spec = {"datasets": ["app"], "calculations": [calculation], "filters": ["status >= 500"],
            **query}
    return {"name": "t", "parameters": {"query": spec, "threshold": threshold,
                                        "frequency": frequency, "window": window}}


def one_query_per_window(props: dict[str, Any], engine: QueryEngine) -> tuple[int, int]:
    """What the server would have done: query each window, evaluate, advance the states."""
    rule = parse_alert(props)
    query = alert_query(rule, {})
    step, window = rule.frequency_ns // 1_000_000, rule.window_ns // 1_000_000
    first = NOW_MS - (DATA_MINUTES - 1) * MINUTE - 1_000
    instances: dict[str, Instance] = {}
    fired = evaluations = 0
    for t in range(first // step * step + step, NOW_MS // step * step + 1, step):
        current = engine.run(window_spec(query.spec, t - window, t))
        previous = engine.run(window_spec(query.spec, t - 2 * window, t - window)) \
            if rule.threshold.is_change else None
        firing = [i.group for i in instances.values() if i.state == "firing"]
        for result in evaluate(rule.threshold, query, current, previous, firing):
            instance = instances.setdefault(result.key, Instance(result.key, result.group))
            transition = advance(instance, result, t)
            fired += transition is not None and transition.after == "firing"
        evaluations += 1
    return fired, evaluations


def test_each_burst_fires_once(engine: QueryEngine) -> None:
    result = backtest(alert("> 10"), {}, engine.run, NOW_MS * 1_000_000)
    assert result.fired == len(BURSTS)
    assert result.evaluations == DATA_MINUTES - 1  # each minute after the first event
    assert result.covered_ns == COVERED_NS


def test_grouped_instances_fire_on_their_own(engine: QueryEngine) -> None:
    result = backtest(alert("> 10", groupBys=["$namespace"]), {}, engine.run,
                      NOW_MS * 1_000_000)
    assert result.fired == len(BURSTS)
    assert backtest(alert("> 10", filters=["$namespace = pay", "status >= 500"]), {},
                    engine.run, NOW_MS * 1_000_000).fired == 2


@pytest.mark.parametrize("props", [
    alert("> 3"),
    alert("> 5", window="3m", frequency="2m", groupBys=["$namespace"]),
    alert("> 900", "AVG($duration_ms)", window="4m"),
    alert("> 905", "MAX($duration_ms)", window="10m", frequency="5m"),
    alert("< 901", "MIN($duration_ms)", window="2m"),
    alert("> 5000", "SUM($duration_ms)", window="3m", groupBys=["$namespace"]),
    alert("> 905", "P90($duration_ms)", window="3m"),  # windows queried one by one
    alert("> 905", "P90($duration_ms)", window="1m", frequency="2m"),  # one bucket a window
    alert("INCREASES_BY_MORE_THAN 100%", window="2m"),
    alert("DECREASES_BY_MORE_THAN 50%", "AVG($duration_ms)", window="2m", filters=[]),
], ids=lambda p: f"{p['parameters']['query']['calculations'][0]} {p['parameters']['threshold']}"
                 f" {p['parameters']['frequency']}/{p['parameters']['window']}")
def test_combined_buckets_match_one_query_per_window(props: dict[str, Any],
                                                     engine: QueryEngine) -> None:
    fired, evaluations = one_query_per_window(props, engine)
    assert fired > 0
    assert backtest(props, {}, engine.run, NOW_MS * 1_000_000) == Backtest(
        fired, evaluations, COVERED_NS)


def test_history_is_capped_to_the_days_asked(engine: QueryEngine) -> None:
    later = NOW_MS + 22 * 60 * MINUTE  # a day back from here reaches 2 hours into the data
    result = backtest(alert("> 10"), {}, engine.run, later * 1_000_000, days=1)
    assert 86_400_000 - MINUTE < result.covered_ns // 1_000_000 <= 86_400_000
    assert result.fired == 3  # the bursts of the last two hours
    assert result.evaluations == result.covered_ns // 1_000_000 // MINUTE


def test_a_referenced_query_and_few_queries(engine: QueryEngine) -> None:
    calls: list[dict[str, Any]] = []

    def counting(spec: dict[str, Any]) -> dict[str, Any]:
        calls.append(spec)
        return engine.run(spec)

    props = alert("> 10")
    props["parameters"]["query"] = "errors"
    queries = {"errors": {"name": "Errors", "parameters": alert("> 10")["parameters"]["query"]}}
    result = backtest(props, queries, counting, (NOW_MS + 6 * 86_400_000) * 1_000_000)
    assert result.fired == len(BURSTS) and result.evaluations == 6 * 1440 + DATA_MINUTES - 1
    assert len(calls) <= 1 + -(-result.evaluations // 1500) + 1


def test_no_data_or_unknown_dataset(engine: QueryEngine) -> None:
    props = alert("> 10")
    props["parameters"]["query"]["datasets"] = ["nothing-here"]
    assert backtest(props, {}, engine.run, NOW_MS * 1_000_000) == Backtest(0, 0, 0)
