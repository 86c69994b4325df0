"""Aggregation operators: sum, avg, min, max, count, group, stddev, stdvar, quantile,
count_values, topk and bottomk, with `by` / `without`."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence

from limelight.query.promql.ast import Aggregate
from limelight.query.promql.errors import BadData, ExecutionError
from limelight.query.promql.range_functions import (
    exact_sum,
    highest,
    lowest,
    mean,
    quantile,
    variance,
)
from limelight.query.promql.values import (
    METRIC_NAME,
    Labels,
    Sample,
    Scalar,
    Text,
    Value,
    Vector,
    drop,
    format_value,
    keep_only,
    with_label,
)

_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*\Z")


def group_key(labels: Labels, node: Aggregate) -> Labels:
    if node.without:
        return drop(labels, (*node.labels, METRIC_NAME))
    return keep_only(labels, node.labels)


_REDUCERS: dict[str, Callable[[Sequence[float]], float]] = {
    "sum": exact_sum, "avg": mean, "min": lowest, "max": highest,
    "count": lambda values: float(len(values)), "group": lambda values: 1.0,
    "stdvar": variance, "stddev": lambda values: math.sqrt(variance(values)),
}


def aggregate(node: Aggregate, vector: Vector, param: Value | None) -> Vector:
    if node.op in ("topk", "bottomk"):
        assert isinstance(param, Scalar)
        return _top(node, vector, param.value)
    if node.op == "count_values":
        assert isinstance(param, Text)
        return _count_values(node, vector, param.value)
    groups: dict[Labels, list[float]] = {}
    for sample in vector:
        groups.setdefault(group_key(sample.labels, node), []).append(sample.value)
    if node.op == "quantile":
        assert isinstance(param, Scalar)
        q = param.value
        return Vector([Sample(key, quantile(q, values)) for key, values in groups.items()])
    reducer = _REDUCERS.get(node.op)
    if reducer is None:
        raise BadData(f"invalid parameter \"query\": aggregation {node.op} is not supported")
    return Vector([Sample(key, reducer(values)) for key, values in groups.items()])


def _top(node: Aggregate, vector: Vector, k_value: float) -> Vector:
    """The k largest (topk) or smallest (bottomk) samples of each group, labels kept;
    NaN counts as the smallest for topk and the largest for bottomk."""
    if math.isnan(k_value):
        raise ExecutionError("Parameter value is NaN")
    k = int(k_value)
    if k < 1:
        return Vector()
    groups: dict[Labels, list[Sample]] = {}
    for sample in vector:
        groups.setdefault(group_key(sample.labels, node), []).append(sample)
    out = Vector()
    for samples in groups.values():
        if node.op == "topk":
            ordered = sorted(samples, key=lambda s: (not math.isnan(s.value), s.value),
                             reverse=True)
        else:
            ordered = sorted(samples, key=lambda s: (math.isnan(s.value), s.value))
        out.extend(ordered[:k])
    return out


def _count_values(node: Aggregate, vector: Vector, label: str) -> Vector:
    if not _LABEL_NAME.match(label):
        raise ExecutionError(f"invalid label name {label!r}")
    counts: dict[Labels, float] = {}
    for sample in vector:
        key = with_label(group_key(sample.labels, node), label, format_value(sample.value))
        counts[key] = counts.get(key, 0.0) + 1
    return Vector([Sample(key, count) for key, count in counts.items()])
