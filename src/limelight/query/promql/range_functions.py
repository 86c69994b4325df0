"""Functions over range vectors (`rate(x[5m])`, `avg_over_time(x[1h])`, ...): each turns
one series' samples in the window into one number, or none."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from itertools import pairwise

from limelight.query.promql.values import Matrix, RangeSeries

# (the series' window, the matrix it is from, the call's scalar arguments, the evaluation
# time in ms) -> the value, or None for no sample.
RangeFunction = Callable[[RangeSeries, Matrix, Sequence[float], int], float | None]


def extrapolated_rate(series: RangeSeries, window: Matrix, counter: bool,
                      per_second: bool) -> float | None:
    """rate, increase and delta: the change over the samples, extrapolated towards the
    window's ends (not beyond half a sample interval past the data, nor below zero for
    a counter), corrected for counter resets."""
    times, values = series.times, series.values
    if len(values) < 2:
        return None
    result = values[-1] - values[0]
    if counter:
        last = 0.0
        for value in values:
            if value < last:
                result += last  # a reset: what had been counted before it still counts
            last = value
    to_start = (times[0] - window.range_start_ms) / 1000
    to_end = (window.range_end_ms - times[-1]) / 1000
    sampled = (times[-1] - times[0]) / 1000
    average_gap = sampled / (len(values) - 1)
    if counter and result > 0 and values[0] >= 0:
        # A counter starts from zero: do not extrapolate to before it would have been zero.
        to_zero = sampled * (values[0] / result)
        to_start = min(to_start, to_zero)
    threshold = average_gap * 1.1
    interval = sampled
    interval += to_start if to_start < threshold else average_gap / 2
    interval += to_end if to_end < threshold else average_gap / 2
    result = result * (interval / sampled)
    if per_second:
        result = result / ((window.range_end_ms - window.range_start_ms) / 1000)
    return result


def instant_delta(series: RangeSeries, per_second: bool) -> float | None:
    """irate and idelta: from the last two samples only."""
    if len(series.values) < 2:
        return None
    previous, last = series.values[-2], series.values[-1]
    result = last - previous
    if per_second and last < previous:
        result = last  # a counter reset
    gap = series.times[-1] - series.times[-2]
    if gap == 0:
        return None
    return result / (gap / 1000) if per_second else result


def out_of_range_quantile(q: float) -> float | None:
    """What Prometheus answers for a q outside [0, 1] (NaN, -Inf, +Inf); None for a
    q within it."""
    if math.isnan(q):
        return math.nan
    if q < 0:
        return -math.inf
    if q > 1:
        return math.inf
    return None


def quantile(q: float, values: Sequence[float]) -> float:
    """The q-quantile, interpolating between the two nearest ranks (as Prometheus)."""
    if not values:
        return math.nan
    if (edge := out_of_range_quantile(q)) is not None:
        return edge
    ordered = sorted(values, key=lambda v: (not math.isnan(v), v))
    rank = q * (len(ordered) - 1)
    lower = max(0, math.floor(rank))
    upper = min(len(ordered) - 1, lower + 1)
    weight = rank - math.floor(rank)
    return ordered[lower] * (1 - weight) + ordered[upper] * weight


def exact_sum(values: Sequence[float]) -> float:
    """The correctly rounded sum; with infinities of both signs NaN, as plain addition."""
    try:
        return math.fsum(values)
    except (ValueError, OverflowError):
        return sum(values, 0.0)


def mean(values: Sequence[float]) -> float:
    mean, count = 0.0, 0.0
    for value in values:
        count += 1
        if math.isinf(mean):
            if math.isinf(value) and (mean > 0) == (value > 0):
                continue
            if not math.isinf(value) and not math.isnan(value):
                continue
        mean += value / count - mean / count
    return mean


def variance(values: Sequence[float]) -> float:
    count, mean, aux = 0.0, 0.0, 0.0
    for value in values:
        count += 1
        delta = value - mean
        mean += delta / count
        aux += delta * (value - mean)
    return aux / count


def lowest(values: Sequence[float]) -> float:
    found = values[0]
    for value in values:
        if value < found or math.isnan(found):
            found = value
    return found


def highest(values: Sequence[float]) -> float:
    found = values[0]
    for value in values:
        if value > found or math.isnan(found):
            found = value
    return found


def _changes(values: Sequence[float]) -> float:
    return float(sum(1 for before, after in pairwise(values)
                     if after != before and not (math.isnan(after) and math.isnan(before))))


def _resets(values: Sequence[float]) -> float:
    return float(sum(1 for before, after in pairwise(values)
                     if after < before))


def linear_regression(series: RangeSeries, intercept_ms: int) -> tuple[float, float]:
    """Least-squares slope (per second) and the value at `intercept_ms`."""
    values = series.values
    if all(v == values[0] for v in values):
        return (math.nan, math.nan) if math.isinf(values[0]) else (0.0, values[0])
    xs = [(t - intercept_ms) / 1000 for t in series.times]
    n = float(len(values))
    sum_x, sum_y = exact_sum(xs), exact_sum(values)
    sum_xy = exact_sum([x * y for x, y in zip(xs, values, strict=True)])
    sum_x2 = exact_sum([x * x for x in xs])
    covariance = sum_xy - sum_x * sum_y / n
    variance = sum_x2 - sum_x * sum_x / n
    slope = covariance / variance if variance else math.nan
    return slope, sum_y / n - slope * sum_x / n


def _deriv(series: RangeSeries) -> float | None:
    if len(series.values) < 2:
        return None
    return linear_regression(series, series.times[0])[0]


def _predict_linear(series: RangeSeries, seconds: float, time_ms: int) -> float | None:
    if len(series.values) < 2:
        return None
    slope, intercept = linear_regression(series, time_ms)
    return slope * seconds + intercept


RANGE_FUNCTIONS: dict[str, RangeFunction] = {
    "rate": lambda s, m, a, t: extrapolated_rate(s, m, counter=True, per_second=True),
    "increase": lambda s, m, a, t: extrapolated_rate(s, m, counter=True, per_second=False),
    "delta": lambda s, m, a, t: extrapolated_rate(s, m, counter=False, per_second=False),
    "irate": lambda s, m, a, t: instant_delta(s, per_second=True),
    "idelta": lambda s, m, a, t: instant_delta(s, per_second=False),
    "avg_over_time": lambda s, m, a, t: mean(s.values),
    "sum_over_time": lambda s, m, a, t: exact_sum(s.values),
    "count_over_time": lambda s, m, a, t: float(len(s.values)),
    "min_over_time": lambda s, m, a, t: lowest(s.values),
    "max_over_time": lambda s, m, a, t: highest(s.values),
    "last_over_time": lambda s, m, a, t: s.values[-1],
    "present_over_time": lambda s, m, a, t: 1.0,
    "stdvar_over_time": lambda s, m, a, t: variance(s.values),
    "stddev_over_time": lambda s, m, a, t: math.sqrt(variance(s.values)),
    "quantile_over_time": lambda s, m, a, t: quantile(a[0], s.values),
    "changes": lambda s, m, a, t: _changes(s.values),
    "resets": lambda s, m, a, t: _resets(s.values),
    "deriv": lambda s, m, a, t: _deriv(s),
    "predict_linear": lambda s, m, a, t: _predict_linear(s, a[0], t),
}
# The one range function whose result keeps the metric name (it acts like an offset).
KEEPS_NAME = frozenset({"last_over_time"})
