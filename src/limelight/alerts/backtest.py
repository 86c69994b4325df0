"""How often an alert would have fired over stored history, evaluated as the engine would.

The alert is evaluated at each multiple of its frequency from the data's first
timestamp (at most `days` back) to now, with the same evaluation and states
as the server, counting each start of firing. For COUNT, SUM, MIN, MAX and AVG
one query per 1,500 buckets does it: buckets of gcd(frequency, window) are
combined into window-sized values. Other calculations combine only when the
window fits in one bucket; otherwise each window with events is queried.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from limelight.alerts.evaluate import evaluate, group_key
from limelight.alerts.notify import NS_PER_MS, window_spec
from limelight.alerts.rules import MIN_FREQUENCY_NS, AlertQuery, alert_query, parse_alert
from limelight.alerts.state import Instance, advance
from limelight.exceptions import QueryError
from limelight.query.run import QueryFn
from limelight.query.spec import MAX_BUCKETS

DAY_MS = 86_400_000
_ADDITIVE = ("COUNT", "SUM", "AVG")
_COMBINABLE = (*_ADDITIVE, "MIN", "MAX")
_KEPT = ("datasets", "filters", "filterCombination", "groupBys", "needle", "limit")

Groups = dict[str, tuple[dict[str, Any], list[float]]]  # group key -> (group, partial values)


@dataclass(frozen=True)
class Backtest:
    fired: int  # times an instance went from ok/resolved to firing
    evaluations: int
    covered_ns: int  # the stretch of history evaluated


def backtest(
    alert_properties: Any,
    queries: Mapping[str, Any],
    query_fn: QueryFn,
    now_ns: int,
    days: int = 7,
    *,
    min_frequency_ns: int = MIN_FREQUENCY_NS,
) -> Backtest:
    """Raises RuleError for an alert that does not parse or whose query is missing."""
    rule = parse_alert(alert_properties, min_frequency_ns=min_frequency_ns)
    query = alert_query(rule, queries)
    step, window = max(1, rule.frequency_ns // NS_PER_MS), max(1, rule.window_ns // NS_PER_MS)
    now_ms = now_ns // NS_PER_MS
    first = _first_timestamp_ms(query.spec, query_fn, now_ms - days * DAY_MS, now_ms)
    if first is None:
        return Backtest(0, 0, 0)
    begin = max(now_ms - days * DAY_MS, first)
    times = range(begin // step * step + step, now_ms // step * step + 1, step)
    if not times:
        return Backtest(0, 0, (now_ms - begin) * NS_PER_MS)
    lookback = window * (2 if rule.threshold.is_change else 1)
    windows = _Windows(query, query_fn, math.gcd(step, window), window,
                       times[0] - lookback, times[-1])
    instances: dict[str, Instance] = {}
    fired = 0
    for t in times:
        current = windows.response(t)
        previous = windows.response(t - window) if rule.threshold.is_change else None
        firing = [i.group for i in instances.values() if i.state == "firing"]
        for result in evaluate(rule.threshold, query, current, previous, firing):
            instance = instances.setdefault(result.key, Instance(result.key, result.group))
            transition = advance(instance, result, t)
            fired += transition is not None and transition.after == "firing"
    return Backtest(fired, len(times), (now_ms - begin) * NS_PER_MS)


def _first_timestamp_ms(spec: dict[str, Any], query_fn: QueryFn, from_ms: int,
                        to_ms: int) -> int | None:
    """The oldest event in the alert's datasets within the range (None: no data at all)."""
    try:
        found = query_fn({"datasets": spec.get("datasets", ["otel"]),
                          "calculations": ["MIN($timestamp) as first"],
                          "from": from_ms, "to": to_ms})
    except QueryError:  # e.g. a dataset that has never received an event
        return None
    rows = found.get("aggregates") or [{}]
    first = (rows[0].get("values") or {}).get("first")
    return None if first is None else int(first) // NS_PER_MS


class _Windows:
    """The query's response for any window [t - window, t) of the evaluated range."""

    def __init__(self, query: AlertQuery, query_fn: QueryFn, bucket_ms: int, window_ms: int,
                 from_ms: int, to_ms: int) -> None:
        self.query, self.query_fn = query, query_fn
        self.bucket_ms, self.window_ms = bucket_ms, window_ms
        self.from_ms = from_ms // bucket_ms * bucket_ms
        self.grouped = bool(query.spec.get("groupBys"))
        self.combine = query.operation in _COMBINABLE or window_ms == bucket_ms
        calculations = _bucket_calculations(query) if self.combine else [
            {"operation": "COUNT", "alias": "n"}]
        self.buckets = self._buckets(calculations, to_ms)

    def response(self, t: int) -> dict[str, Any]:
        if not self.combine:
            return self._queried(t)
        merged: Groups = {}
        for index in self._indices(t):
            for key, (group, parts) in self.buckets.get(index, {}).items():
                if key in merged:
                    merged[key] = (group, _merge(self.query.operation, merged[key][1], parts))
                else:
                    merged[key] = (group, list(parts))
        rows = [{"groups": group, "values": {self.query.label: self._final(parts)}}
                for group, parts in merged.values()]
        return {"aggregates": rows or self._empty()}

    def _queried(self, t: int) -> dict[str, Any]:
        """A calculation that does not combine: query the window, unless it has no events."""
        if not any(self.buckets.get(i) for i in self._indices(t)):
            return {"aggregates": self._empty()}
        return self.query_fn(window_spec(self.query.spec, t - self.window_ms, t))

    def _indices(self, t: int) -> range:
        return range((t - self.window_ms - self.from_ms) // self.bucket_ms,
                     (t - self.from_ms) // self.bucket_ms)

    def _empty(self) -> list[dict[str, Any]]:
        if self.grouped:
            return []
        return [{"groups": {}, "values": {self.query.label: self.query.empty_value}}]

    def _final(self, parts: list[float]) -> float | None:
        if self.query.operation == "AVG":
            return parts[0] / parts[1] if parts[1] else None
        return parts[0]

    def _buckets(self, calculations: list[dict[str, Any]], to_ms: int) -> dict[int, Groups]:
        base = {k: v for k, v in self.query.spec.items() if k in _KEPT}
        base.setdefault("limit", 1000)
        found: dict[int, Groups] = {}
        for start, end in _chunks(self.from_ms, to_ms, self.bucket_ms):
            spec = {**base, "calculations": calculations, "from": start, "to": end,
                    "granularity": f"{self.bucket_ms}ms"}
            for bucket in query_series(self.query_fn, spec):
                index = (bucket["time"] - self.from_ms) // self.bucket_ms
                for row in bucket["data"]:
                    values = row["values"]
                    parts = [values[c["alias"]] for c in calculations]
                    if any(p is None for p in parts):
                        continue
                    group = row["groups"]
                    found.setdefault(index, {})[group_key(group)] = (group, parts)
        return found


def query_series(query_fn: QueryFn, spec: dict[str, Any]) -> list[dict[str, Any]]:
    series: list[dict[str, Any]] = query_fn(spec).get("series") or []
    return series


def _bucket_calculations(query: AlertQuery) -> list[dict[str, Any]]:
    key = {"key": query.key} if query.key else {}
    if query.operation == "AVG":
        return [{"operation": "SUM", **key, "alias": "s"}, {"operation": "COUNT", **key,
                                                           "alias": "n"}]
    return [{"operation": query.operation, **key, "alias": "v"}]


def _merge(operation: str, left: list[float], right: list[float]) -> list[float]:
    if operation == "MIN":
        return [min(left[0], right[0])]
    if operation == "MAX":
        return [max(left[0], right[0])]
    return [a + b for a, b in zip(left, right, strict=True)]


def _chunks(from_ms: int, to_ms: int, bucket_ms: int) -> Iterator[tuple[int, int]]:
    """[from, to) in pieces of at most MAX_BUCKETS buckets, on bucket boundaries."""
    size = MAX_BUCKETS * bucket_ms
    start = from_ms
    while start < to_ms:
        yield start, min(start + size, to_ms)
        start += size
