"""What PromQL expressions evaluate to, label sets, and numbers written as Prometheus
writes them."""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

# A label set: (name, value) pairs sorted by name, no empty values (Prometheus drops them).
Labels = tuple[tuple[str, str], ...]
METRIC_NAME = "__name__"
# The NaN Prometheus writes to end a series (a scrape target went away).
_STALE_NAN = struct.pack("<Q", 0x7FF0000000000002)


def is_stale(value: float) -> bool:
    return value != value and struct.pack("<d", value) == _STALE_NAN


def labels_of(mapping: Mapping[str, str]) -> Labels:
    return tuple(sorted((name, value) for name, value in mapping.items() if value != ""))


def label_value(labels: Labels, name: str) -> str:
    for key, value in labels:
        if key == name:
            return value
    return ""


def without_name(labels: Labels) -> Labels:
    return tuple(pair for pair in labels if pair[0] != METRIC_NAME)


def keep_only(labels: Labels, names: Iterable[str]) -> Labels:
    wanted = set(names)
    return tuple(pair for pair in labels if pair[0] in wanted)


def drop(labels: Labels, names: Iterable[str]) -> Labels:
    unwanted = set(names)
    return tuple(pair for pair in labels if pair[0] not in unwanted)


def with_label(labels: Labels, name: str, value: str) -> Labels:
    """The set with `name` set to `value` (removed when the value is empty)."""
    rest = dict(labels)
    rest[name] = value
    return labels_of(rest)


def format_labels(labels: Labels) -> str:
    return "{" + ", ".join(f'{name}="{value}"' for name, value in labels) + "}"


def format_value(value: float) -> str:
    """As Go's strconv.FormatFloat(v, 'f', -1, 64): shortest digits, never an exponent."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    text = repr(value)
    if "e" in text:
        text = format(Decimal(text), "f")
    return text[:-2] if text.endswith(".0") else text


def format_time(time_ms: int) -> float | int:
    """Unix seconds as the API writes them: whole seconds without a fraction."""
    return time_ms // 1000 if time_ms % 1000 == 0 else time_ms / 1000


@dataclass(slots=True)
class Sample:
    labels: Labels
    value: float


class Vector(list[Sample]):
    """An instant vector. `times` holds each sample's own timestamp when the vector came
    straight from a selector (what `timestamp()` reports); otherwise None."""

    times: list[int] | None = None


@dataclass(slots=True)
class RangeSeries:
    labels: Labels
    times: list[int]
    values: list[float]


class Matrix(list[RangeSeries]):
    """A range vector: each series' samples within [range_start_ms, range_end_ms]."""

    def __init__(self, series: Iterable[RangeSeries], range_start_ms: int,
                 range_end_ms: int) -> None:
        super().__init__(series)
        self.range_start_ms = range_start_ms
        self.range_end_ms = range_end_ms


@dataclass(slots=True)
class Scalar:
    value: float


@dataclass(slots=True)
class Text:
    value: str


Value = Scalar | Vector | Matrix | Text


@dataclass
class Series:
    """One stored series over the selected time range, oldest first. Stale markers stay
    in `times`/`values` (they end the series for instant lookups) and are left out of
    `live_times`/`live_values` (what range vectors read)."""

    labels: Labels
    times: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    live_times: list[int] = field(default_factory=list)
    live_values: list[float] = field(default_factory=list)

    def finish(self) -> None:
        if any(is_stale(value) for value in self.values):
            kept = [(t, v) for t, v in zip(self.times, self.values, strict=True)
                    if not is_stale(v)]
            self.live_times = [t for t, _ in kept]
            self.live_values = [v for _, v in kept]
        else:
            self.live_times, self.live_values = self.times, self.values
