"""Evaluating a PromQL query: instant (one time) and range (every step from start to end).

Each selector's series are read from the store once, over every time any step needs;
then the expression is evaluated step by step in memory, as Prometheus defines it:
an instant selector takes each series' newest sample within the 5-minute lookback
(none after a stale marker), a range selector the samples in [t - range, t].
"""

from __future__ import annotations

import time
from bisect import bisect_left, bisect_right
from collections.abc import Iterator

from limelight.query.promql.aggregate import aggregate
from limelight.query.promql.ast import (
    Aggregate,
    Binary,
    Call,
    Negate,
    Node,
    Number,
    Selector,
    String,
    Subquery,
    parse,
    value_type,
)
from limelight.query.promql.binary import binary
from limelight.query.promql.errors import BadData, ExecutionError, QueryTimeout
from limelight.query.promql.functions import absent_labels, call
from limelight.query.promql.select import LOOKBACK_MS, select_series
from limelight.query.promql.values import (
    Labels,
    Matrix,
    RangeSeries,
    Sample,
    Scalar,
    Series,
    Text,
    Value,
    Vector,
    is_stale,
    without_name,
)
from limelight.store.api import Reader

# Prometheus refuses range queries of more points than this per series.
MAX_POINTS = 11_000
# As Prometheus's --query.timeout (2 min there): evaluation holds a worker thread and the
# interpreter, so a query that costs more (a subquery of millions of steps) is stopped.
TIMEOUT_S = 60.0


def instant_query(reader: Reader, query: str, time_ms: int) -> Value:
    node = parse(query, time_ms, time_ms)
    evaluator = Evaluator(_select(reader, node, time_ms, time_ms))
    return evaluator.eval(node, time_ms)


def range_query(reader: Reader, query: str, start_ms: int, end_ms: int,
                step_ms: int) -> list[RangeSeries]:
    """The query's value at start, start + step, ... end: one series per label set,
    sorted by labels as Prometheus returns them."""
    if end_ms < start_ms:
        raise BadData("invalid parameter \"end\": end timestamp must not be before start time")
    if step_ms <= 0:
        raise BadData("invalid parameter \"step\": zero or negative query resolution step "
                      "widths are not accepted. Try a positive integer")
    if (end_ms - start_ms) // step_ms > MAX_POINTS:
        raise BadData("exceeded maximum resolution of 11,000 points per timeseries. "
                      "Try decreasing the query resolution (?step=XX)")
    node = parse(query, start_ms, end_ms)
    kind = value_type(node)
    if kind not in ("scalar", "vector"):
        name = "range vector" if kind == "matrix" else kind
        raise BadData(f"invalid parameter \"query\": invalid expression type \"{name}\" for "
                      "range query, must be Scalar or instant Vector")
    evaluator = Evaluator(_select(reader, node, start_ms, end_ms))
    found: dict[Labels, RangeSeries] = {}
    for time_ms in range(start_ms, end_ms + 1, step_ms):
        evaluator.check_time()
        value = evaluator.eval(node, time_ms)
        samples = Vector([Sample((), value.value)]) if isinstance(value, Scalar) else value
        assert isinstance(samples, Vector)
        for sample in samples:
            series = found.get(sample.labels)
            if series is None:
                series = found[sample.labels] = RangeSeries(sample.labels, [], [])
            series.times.append(time_ms)
            series.values.append(sample.value)
    return [found[labels] for labels in sorted(found)]


def _select(reader: Reader, node: Node, start_ms: int, end_ms: int) -> dict[Selector,
                                                                             list[Series]]:
    return {selector: select_series(reader, selector, low, high)
            for selector, low, high in _windows(node, start_ms, end_ms)}


def _windows(node: Node, low: int, high: int) -> Iterator[tuple[Selector, int, int]]:
    """Each selector with the oldest and newest sample time it can need when `node` is
    evaluated at times in [low, high]."""
    if isinstance(node, Selector | Subquery):
        first, last = (node.at_ms, node.at_ms) if node.at_ms is not None else (low, high)
        first, last = first - node.offset_ms, last - node.offset_ms
        if isinstance(node, Subquery):
            yield from _windows(node.expr, first - node.range_ms, last)
        else:
            yield node, first - (node.range_ms if node.range_ms is not None else LOOKBACK_MS), last
        return
    for child in _children(node):
        yield from _windows(child, low, high)


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Call):
        return node.args
    if isinstance(node, Aggregate):
        return (node.expr,) if node.param is None else (node.param, node.expr)
    if isinstance(node, Binary):
        return node.lhs, node.rhs
    if isinstance(node, Negate):
        return (node.expr,)
    return ()


def check_unique(vector: Vector) -> Vector:
    if len({sample.labels for sample in vector}) != len(vector):
        raise ExecutionError("vector cannot contain metrics with the same labelset")
    return vector


class Evaluator:
    """Evaluates nodes at a time, over series selected beforehand."""

    def __init__(self, series: dict[Selector, list[Series]],
                 timeout_s: float = TIMEOUT_S) -> None:
        self.series = series
        self.timeout_s = timeout_s
        self.deadline = time.monotonic() + timeout_s

    def check_time(self) -> None:
        """Called at each step of a range query or subquery."""
        if time.monotonic() > self.deadline:
            raise QueryTimeout(f"query timed out in expression evaluation (after "
                               f"{self.timeout_s:g}s)")

    def eval(self, node: Node, time_ms: int) -> Value:
        if isinstance(node, Number):
            return Scalar(node.value)
        if isinstance(node, String):
            return Text(node.value)
        if isinstance(node, Selector):
            return self.select(node, time_ms)
        if isinstance(node, Subquery):
            return self.subquery(node, time_ms)
        if isinstance(node, Call):
            args = [self.eval(arg, time_ms) for arg in node.args]
            if node.name == "absent_over_time":
                return self.absent_over_time(node, args)
            result = call(node, args, time_ms)
            return check_unique(result) if isinstance(result, Vector) else result
        if isinstance(node, Aggregate):
            param = self.eval(node.param, time_ms) if node.param is not None else None
            vector = self.eval(node.expr, time_ms)
            assert isinstance(vector, Vector)
            return aggregate(node, vector, param)
        if isinstance(node, Binary):
            result = binary(node, self.eval(node.lhs, time_ms), self.eval(node.rhs, time_ms))
            return check_unique(result) if isinstance(result, Vector) else result
        return self.negate(self.eval(node.expr, time_ms))

    def select(self, node: Selector, time_ms: int) -> Vector | Matrix:
        reference = (node.at_ms if node.at_ms is not None else time_ms) - node.offset_ms
        if node.range_ms is not None:
            start = reference - node.range_ms
            windows = []
            for series in self.series[node]:
                first = bisect_left(series.live_times, start)
                last = bisect_right(series.live_times, reference)
                if last > first:
                    windows.append(RangeSeries(series.labels, series.live_times[first:last],
                                               series.live_values[first:last]))
            return Matrix(windows, start, reference)
        vector = Vector()
        vector.times = []
        for series in self.series[node]:
            index = bisect_right(series.times, reference) - 1
            if index < 0 or series.times[index] < reference - LOOKBACK_MS:
                continue
            value = series.values[index]
            if not is_stale(value):
                vector.append(Sample(series.labels, value))
                vector.times.append(series.times[index])
        return vector

    def subquery(self, node: Subquery, time_ms: int) -> Matrix:
        """The inner expression at every multiple of the step in [t - range, t]."""
        reference = (node.at_ms if node.at_ms is not None else time_ms) - node.offset_ms
        start = reference - node.range_ms
        first = -(-start // node.step_ms) * node.step_ms
        found: dict[Labels, RangeSeries] = {}
        for inner_ms in range(first, reference + 1, node.step_ms):
            self.check_time()
            value = self.eval(node.expr, inner_ms)
            samples = Vector([Sample((), value.value)]) if isinstance(value, Scalar) else value
            assert isinstance(samples, Vector)
            for sample in samples:
                series = found.setdefault(sample.labels, RangeSeries(sample.labels, [], []))
                series.times.append(inner_ms)
                series.values.append(sample.value)
        return Matrix(found.values(), start, reference)

    def absent_over_time(self, node: Call, args: list[Value]) -> Vector:
        matrix = args[0]
        assert isinstance(matrix, Matrix)
        return Vector() if matrix else Vector([Sample(absent_labels(node), 1.0)])

    def negate(self, value: Value) -> Value:
        if isinstance(value, Scalar):
            return Scalar(-value.value)
        assert isinstance(value, Vector)
        return check_unique(Vector([Sample(without_name(s.labels), -s.value) for s in value]))
