"""Float arithmetic as Prometheus (Go, IEEE 754) does it: where Python raises (division
by zero, a domain error, an overflow), Go answers ±Inf or NaN, and so must PromQL."""

from __future__ import annotations

import math
from collections.abc import Callable


def divide(a: float, b: float) -> float:
    if b != 0:
        return a / b
    if a == 0 or math.isnan(a):
        return math.nan
    return math.copysign(math.inf, a) * math.copysign(1.0, b)


def modulo(a: float, b: float) -> float:
    try:
        return math.fmod(a, b)
    except ValueError:
        return math.nan


def power(a: float, b: float) -> float:
    try:
        return math.pow(a, b)
    except ZeroDivisionError:
        return math.inf
    except ValueError:
        # 0 to a negative power is infinite (signed for odd integer powers); a negative
        # number to a fractional power has no real value.
        if a == 0:
            odd = float(b).is_integer() and int(b) % 2 == 1
            return math.copysign(math.inf, a) if odd else math.inf
        return math.nan
    except OverflowError:
        odd = float(b).is_integer() and int(b) % 2 == 1
        return -math.inf if a < 0 and odd else math.inf


def floor(value: float) -> float:
    return float(math.floor(value)) if math.isfinite(value) else value


def ceil(value: float) -> float:
    return float(math.ceil(value)) if math.isfinite(value) else value


def maximum(a: float, b: float) -> float:
    return math.nan if math.isnan(a) or math.isnan(b) else max(a, b)


def minimum(a: float, b: float) -> float:
    return math.nan if math.isnan(a) or math.isnan(b) else min(a, b)


def logarithm(function: Callable[[float], float]) -> Callable[[float], float]:
    def apply(value: float) -> float:
        if value == 0:
            return -math.inf
        if value < 0 or math.isnan(value):
            return math.nan
        return function(value)

    return apply


def guarded(function: Callable[[float], float]) -> Callable[[float], float]:
    """`function` answering NaN for a domain error and a signed infinity on overflow."""

    def apply(value: float) -> float:
        try:
            return function(value)
        except ValueError:
            return math.nan
        except OverflowError:
            return math.copysign(math.inf, value)

    return apply
