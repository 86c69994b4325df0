"""PromQL function calls: the range functions (range_functions.py) applied per series,
and the functions of instant vectors and scalars."""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from limelight.query.promql import gomath
from limelight.query.promql.ast import Call, Selector
from limelight.query.promql.errors import BadData, ExecutionError
from limelight.query.promql.range_functions import (
    KEEPS_NAME,
    RANGE_FUNCTIONS,
    out_of_range_quantile,
)
from limelight.query.promql.values import (
    METRIC_NAME,
    Labels,
    Matrix,
    Sample,
    Scalar,
    Text,
    Value,
    Vector,
    label_value,
    labels_of,
    with_label,
    without_name,
)
from limelight.query.regex import compile_re2

_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*\Z")
_TEMPLATE_REFERENCE = re.compile(r"\$(?:(\$)|\{([a-zA-Z0-9_]+)\}|([a-zA-Z0-9_]+))")


def _sign(value: float) -> float:
    return math.copysign(1.0, value) if value != 0 and not math.isnan(value) else value


_MATH: dict[str, Callable[[float], float]] = {
    "abs": abs, "ceil": gomath.ceil, "floor": gomath.floor, "sgn": _sign,
    "exp": gomath.guarded(math.exp), "sqrt": gomath.guarded(math.sqrt),
    "ln": gomath.logarithm(math.log), "log2": gomath.logarithm(math.log2),
    "log10": gomath.logarithm(math.log10), "deg": math.degrees, "rad": math.radians,
    # cosh is even: on |v| its overflow is +Inf, as it should be.
    "cosh": gomath.guarded(lambda v: math.cosh(abs(v))),
    **{name: gomath.guarded(getattr(math, name)) for name in (
        "acos", "acosh", "asin", "asinh", "atan", "atanh", "cos", "sin", "sinh", "tan",
        "tanh")},
}

_DATE_PARTS: dict[str, Callable[[datetime], float]] = {
    "minute": lambda d: d.minute, "hour": lambda d: d.hour,
    "day_of_week": lambda d: (d.weekday() + 1) % 7, "day_of_month": lambda d: d.day,
    "day_of_year": lambda d: d.timetuple().tm_yday,
    "days_in_month": lambda d: calendar.monthrange(d.year, d.month)[1],
    "month": lambda d: d.month, "year": lambda d: d.year,
}


def call(node: Call, args: list[Value], time_ms: int) -> Value:
    name = node.name
    if name in RANGE_FUNCTIONS:
        return _range_call(node, args, time_ms)
    if name in _MATH:
        return _each(args[0], _MATH[name])
    if name in _DATE_PARTS:
        vector = args[0] if args else Vector([Sample((), time_ms / 1000)])
        return _each(vector, lambda v: _date_part(name, v))
    simple = _SIMPLE.get(name)
    if simple is None:
        raise BadData(f"invalid parameter \"query\": function {name}() is not supported")
    return simple(node, args, time_ms)


def _range_call(node: Call, args: list[Value], time_ms: int) -> Vector:
    matrix = next(arg for arg in args if isinstance(arg, Matrix))
    scalars = [arg.value for arg in args if isinstance(arg, Scalar)]
    function = RANGE_FUNCTIONS[node.name]
    keep = node.name in KEEPS_NAME
    out = Vector()
    for series in matrix:
        value = function(series, matrix, scalars, time_ms)
        if value is not None:
            out.append(Sample(series.labels if keep else without_name(series.labels), value))
    return out


def _each(value: Value, function: Callable[[float], float]) -> Vector:
    assert isinstance(value, Vector)
    return Vector([Sample(without_name(s.labels), function(s.value)) for s in value])


def _date_part(name: str, seconds: float) -> float:
    if math.isnan(seconds) or math.isinf(seconds):
        return math.nan
    return float(_DATE_PARTS[name](datetime.fromtimestamp(int(seconds), UTC)))


def _vector_arg(args: list[Value], index: int) -> Vector:
    value = args[index]
    assert isinstance(value, Vector)
    return value


def _scalar_arg(args: list[Value], index: int, default: float) -> float:
    if index >= len(args):
        return default
    value = args[index]
    assert isinstance(value, Scalar)
    return value.value


def _text_arg(args: list[Value], index: int) -> str:
    value = args[index]
    assert isinstance(value, Text)
    return value.value


def _round(node: Call, args: list[Value], time_ms: int) -> Value:
    inverse = gomath.divide(1.0, _scalar_arg(args, 1, 1.0))
    return _each(args[0], lambda v: gomath.divide(gomath.floor(v * inverse + 0.5), inverse))


def _clamp(node: Call, args: list[Value], time_ms: int) -> Value:
    low, high = _scalar_arg(args, 1, -math.inf), _scalar_arg(args, 2, math.inf)
    if node.name == "clamp" and high < low:
        return Vector()
    if node.name == "clamp_min":
        return _each(args[0], lambda v: gomath.maximum(v, low))
    if node.name == "clamp_max":
        high = _scalar_arg(args, 1, math.inf)
        return _each(args[0], lambda v: gomath.minimum(v, high))
    return _each(args[0], lambda v: gomath.maximum(low, gomath.minimum(high, v)))


def _timestamp(node: Call, args: list[Value], time_ms: int) -> Value:
    vector = _vector_arg(args, 0)
    times = vector.times or [time_ms] * len(vector)
    return Vector([Sample(without_name(s.labels), t / 1000)
                   for s, t in zip(vector, times, strict=True)])


def _sort(node: Call, args: list[Value], time_ms: int) -> Value:
    vector = _vector_arg(args, 0)
    descending = node.name == "sort_desc"
    ordered = sorted(vector, key=lambda s: (not math.isnan(s.value),
                                            -s.value if descending else s.value))
    return Vector(ordered)


def _vector(node: Call, args: list[Value], time_ms: int) -> Value:
    return Vector([Sample((), _scalar_arg(args, 0, math.nan))])


def _scalar(node: Call, args: list[Value], time_ms: int) -> Value:
    vector = _vector_arg(args, 0)
    return Scalar(vector[0].value if len(vector) == 1 else math.nan)


def _time(node: Call, args: list[Value], time_ms: int) -> Value:
    return Scalar(time_ms / 1000)


def _pi(node: Call, args: list[Value], time_ms: int) -> Value:
    return Scalar(math.pi)


def absent_labels(node: Call) -> Labels:
    """What absent() and absent_over_time() answer with: the selector's equality
    matchers as labels (a name matched twice is left out)."""
    argument = node.args[0]
    if not isinstance(argument, Selector):
        return ()
    seen: dict[str, str] = {}
    twice: set[str] = set()
    for matcher in argument.matchers:
        if matcher.op == "=" and matcher.name != METRIC_NAME:
            if matcher.name in seen:
                twice.add(matcher.name)
            seen[matcher.name] = matcher.value
    return labels_of({k: v for k, v in seen.items() if k not in twice})


def _absent(node: Call, args: list[Value], time_ms: int) -> Value:
    if args[0]:
        return Vector()
    return Vector([Sample(absent_labels(node), 1.0)])


def _label_replace(node: Call, args: list[Value], time_ms: int) -> Value:
    destination, replacement = _text_arg(args, 1), _text_arg(args, 2)
    source, pattern = _text_arg(args, 3), _text_arg(args, 4)
    try:
        regex = compile_re2(pattern)
    except ValueError as exc:
        raise ExecutionError(f"invalid regular expression in label_replace(): {pattern}"
                             ) from exc
    if not _LABEL_NAME.match(destination):
        raise ExecutionError(f"invalid destination label name in label_replace(): "
                             f"{destination}")
    out = Vector()
    for sample in _vector_arg(args, 0):
        found = regex.fullmatch(label_value(sample.labels, source))
        labels = sample.labels
        if found is not None:
            labels = with_label(labels, destination, _expand(found, replacement))
        out.append(Sample(labels, sample.value))
    return out


def _expand(found: Any, template: str) -> str:
    """Go's Regexp.Expand: `$1`, `${1}`, `$name`, `${name}`, `$$`."""

    def reference(ref: re.Match[str]) -> str:
        if ref.group(1):
            return "$"
        name = ref.group(2) or ref.group(3)
        try:
            group = found.group(int(name) if name.isdecimal() else name)
        except IndexError:
            return ""
        return group or ""

    return _TEMPLATE_REFERENCE.sub(reference, template)


def _label_join(node: Call, args: list[Value], time_ms: int) -> Value:
    destination, separator = _text_arg(args, 1), _text_arg(args, 2)
    sources = [_text_arg(args, i) for i in range(3, len(args))]
    if not _LABEL_NAME.match(destination):
        raise ExecutionError(f"invalid destination label name in label_join(): {destination}")
    return Vector([
        Sample(with_label(s.labels, destination,
                          separator.join(label_value(s.labels, name) for name in sources)),
               s.value)
        for s in _vector_arg(args, 0)])


def histogram_quantile(q: float, buckets: Sequence[tuple[float, float]]) -> float:
    """The q-quantile of classic buckets (upper bound, cumulative count), interpolating
    linearly inside the bucket it falls in."""
    if (edge := out_of_range_quantile(q)) is not None:
        return edge
    ordered = sorted(buckets)
    if not ordered or not math.isinf(ordered[-1][0]):
        return math.nan
    merged: list[list[float]] = []
    for bound, count in ordered:  # equal bounds (from label spellings) add up
        if merged and merged[-1][0] == bound:
            merged[-1][1] += count
        else:
            merged.append([bound, count])
    highest = -math.inf
    for bucket in merged:  # a count below an earlier one (a scrape race) is raised to it
        if bucket[1] > highest:
            highest = bucket[1]
        elif bucket[1] < highest:
            bucket[1] = highest
    if len(merged) < 2 or merged[-1][1] == 0:
        return math.nan
    rank = q * merged[-1][1]
    index = next((i for i in range(len(merged) - 1) if merged[i][1] >= rank), len(merged) - 1)
    if index == len(merged) - 1:
        return merged[-2][0]
    if index == 0 and merged[0][0] <= 0:
        return merged[0][0]
    start, end, count = 0.0, merged[index][0], merged[index][1]
    if index > 0:
        start = merged[index - 1][0]
        count -= merged[index - 1][1]
        rank -= merged[index - 1][1]
    return start + (end - start) * (rank / count)


def _histogram_quantile(node: Call, args: list[Value], time_ms: int) -> Value:
    q = _scalar_arg(args, 0, math.nan)
    groups: dict[Labels, list[tuple[float, float]]] = {}
    for sample in _vector_arg(args, 1):
        try:
            bound = float(label_value(sample.labels, "le"))
        except ValueError:
            continue  # not a bucket
        key = tuple(p for p in sample.labels if p[0] not in (METRIC_NAME, "le"))
        groups.setdefault(key, []).append((bound, sample.value))
    return Vector([Sample(key, histogram_quantile(q, buckets))
                   for key, buckets in groups.items()])


_SIMPLE: dict[str, Callable[[Call, list[Value], int], Value]] = {
    "round": _round, "clamp": _clamp, "clamp_min": _clamp, "clamp_max": _clamp,
    "timestamp": _timestamp, "sort": _sort, "sort_desc": _sort, "vector": _vector,
    "scalar": _scalar, "time": _time, "pi": _pi, "absent": _absent,
    "label_replace": _label_replace, "label_join": _label_join,
    "histogram_quantile": _histogram_quantile,
}
