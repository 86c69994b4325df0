"""Binary operators: arithmetic and comparisons between scalars and vectors, vector
matching (`on`, `ignoring`, `group_left`, `group_right`), and `and`, `or`, `unless`."""

from __future__ import annotations

import math
from collections.abc import Callable

from limelight.query.promql import gomath
from limelight.query.promql.ast import Binary, Matching
from limelight.query.promql.errors import ExecutionError
from limelight.query.promql.values import (
    METRIC_NAME,
    Labels,
    Sample,
    Scalar,
    Value,
    Vector,
    format_labels,
    labels_of,
    without_name,
)

ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": gomath.divide, "%": gomath.modulo, "^": gomath.power, "atan2": math.atan2,
}
COMPARISON: dict[str, Callable[[float, float], bool]] = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, ">": lambda a, b: a > b,
    "<": lambda a, b: a < b, ">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b,
}


def _apply(op: str, left: float, right: float) -> tuple[float, bool]:
    """The result and whether to keep it: a comparison keeps the left value when true."""
    arithmetic = ARITHMETIC.get(op)
    if arithmetic is not None:
        return arithmetic(left, right), True
    return left, COMPARISON[op](left, right)


def binary(node: Binary, lhs: Value, rhs: Value) -> Value:
    if isinstance(lhs, Scalar) and isinstance(rhs, Scalar):
        value, keep = _apply(node.op, lhs.value, rhs.value)
        return Scalar(value if node.op in ARITHMETIC else float(keep))
    if isinstance(lhs, Vector) and isinstance(rhs, Scalar):
        return _with_scalar(node, lhs, rhs.value, scalar_first=False)
    if isinstance(lhs, Scalar) and isinstance(rhs, Vector):
        return _with_scalar(node, rhs, lhs.value, scalar_first=True)
    assert isinstance(lhs, Vector) and isinstance(rhs, Vector)
    if node.op == "and":
        right = {_signature(s.labels, node.matching) for s in rhs}
        return Vector([s for s in lhs if rhs and _signature(s.labels, node.matching) in right])
    if node.op == "unless":
        right = {_signature(s.labels, node.matching) for s in rhs}
        return Vector([s for s in lhs if _signature(s.labels, node.matching) not in right])
    if node.op == "or":
        left = {_signature(s.labels, node.matching) for s in lhs}
        return Vector([*lhs, *(s for s in rhs if _signature(s.labels, node.matching) not in left)])
    return _match(node, lhs, rhs)


def _with_scalar(node: Binary, vector: Vector, scalar: float, scalar_first: bool) -> Vector:
    out = Vector()
    drop_name = node.op in ARITHMETIC or node.return_bool
    for sample in vector:
        left, right = (scalar, sample.value) if scalar_first else (sample.value, scalar)
        value, keep = _apply(node.op, left, right)
        if node.op in COMPARISON and scalar_first:
            value = right  # a comparison keeps the vector's value, whichever side it is on
        if node.return_bool:
            value, keep = float(keep), True
        if keep:
            out.append(Sample(without_name(sample.labels) if drop_name else sample.labels,
                              value))
    return out


def _signature(labels: Labels, matching: Matching) -> Labels:
    if matching.on:
        return tuple(pair for pair in labels if pair[0] in matching.labels)
    return tuple(pair for pair in labels
                 if pair[0] != METRIC_NAME and pair[0] not in matching.labels)


def _result_labels(many: Labels, one: Labels, op: str, matching: Matching) -> Labels:
    labels = dict(many)
    if op in ARITHMETIC:
        labels.pop(METRIC_NAME, None)
    if matching.card == "one-to-one":
        if matching.on:
            labels = {k: v for k, v in labels.items() if k in matching.labels}
        else:
            labels = {k: v for k, v in labels.items() if k not in matching.labels}
    one_side = dict(one)
    for name in matching.include:  # group_x(labels): copied from the "one" side
        labels[name] = one_side.get(name, "")
    return labels_of(labels)


def _match(node: Binary, lhs: Vector, rhs: Vector) -> Vector:
    """Arithmetic or comparison between two vectors, sample by matching labels."""
    if not lhs or not rhs:
        return Vector()
    matching = node.matching
    swapped = matching.card == "one-to-many"
    many, one = (rhs, lhs) if swapped else (lhs, rhs)
    one_by_signature: dict[Labels, Sample] = {}
    for sample in one:
        signature = _signature(sample.labels, matching)
        earlier = one_by_signature.get(signature)
        if earlier is not None:
            side = "left" if swapped else "right"
            raise ExecutionError(
                f"found duplicate series for the match group {format_labels(signature)} on "
                f"the {side} hand-side of the operation: [{format_labels(sample.labels)}, "
                f"{format_labels(earlier.labels)}];many-to-many matching not allowed: "
                "matching labels must be unique on one side")
        one_by_signature[signature] = sample
    results: dict[Labels, set[Labels]] = {}
    out = Vector()
    for sample in many:
        signature = _signature(sample.labels, matching)
        partner = one_by_signature.get(signature)
        if partner is None:
            continue
        left, right = (partner.value, sample.value) if swapped else (sample.value, partner.value)
        value, keep = _apply(node.op, left, right)
        if node.return_bool:
            value = float(keep)
        elif not keep:
            continue
        labels = _result_labels(sample.labels, partner.labels, node.op, matching)
        if node.return_bool:
            labels = without_name(labels)
        made = results.setdefault(signature, set())
        if matching.card == "one-to-one" and made:
            raise ExecutionError("multiple matches for labels: many-to-one matching must be "
                                 "explicit (group_left/group_right)")
        if labels in made:
            raise ExecutionError("multiple matches for labels: grouping labels must ensure "
                                 "unique matches")
        made.add(labels)
        out.append(Sample(labels, value))
    return out
