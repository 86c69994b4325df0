"""Series from the `metrics` dataset, as Prometheus would hold them.

A stored row is one sample of one series (OTLP gauges and sums, remote write, the text
import) or a whole histogram or summary point (OTLP, the text import), which becomes
the series Prometheus has for it: `name_bucket{le=...}` (cumulative), `name_count`,
`name_sum`, or `name{quantile=...}`. Attribute keys become label names with every
character outside `[a-zA-Z0-9_]` replaced by `_` (`http.route` -> `http_route`), metric
names likewise (keeping `:`); OTLP rows also get `job` and `instance` from `service.name`
(with `service.namespace`) and `service.instance.id`, as Prometheus' OTLP receiver does.

SQL only narrows by time, by metric name and by plain equality on string columns;
every matcher is checked again here on the labels Prometheus would show. Identifiers
come from the schema, values are bound parameters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from limelight.model import OVERFLOW_FIELD, FieldType
from limelight.query.promql.ast import Matcher, Selector
from limelight.query.promql.values import METRIC_NAME, Labels, Series, format_value, labels_of
from limelight.query.source import quote
from limelight.store.api import DatasetSchema, Reader

DATASET = "metrics"
# How far back an instant vector selector looks for a sample (Prometheus' default).
LOOKBACK_MS = 300_000
METRIC_PREFIX = "metric."
QUANTILE_PREFIX = "metric.quantile."
# Per-sample numbers: what differs between rows of one series.
_VALUE_COLUMNS = ("metric.value", "metric.count", "metric.sum", "metric.bucket_counts")
# Labels Limelight derives rather than stores under that name: never pushed into SQL.
_DERIVED_LABELS = frozenset({METRIC_NAME, "job", "instance", "le", "quantile"})
_HISTOGRAMS = frozenset({"histogram", "exponential_histogram"})
_SUFFIXES = ("_bucket", "_count", "_sum")
_INVALID_LABEL_CHARS = re.compile(r"[^a-zA-Z0-9_]")
_INVALID_NAME_CHARS = re.compile(r"[^a-zA-Z0-9_:]")
_SQL_INVALID_NAME_CHARS = "[^a-zA-Z0-9_:]"
_decode_json = msgspec.json.Decoder().decode


def label_name(key: str) -> str:
    name = _INVALID_LABEL_CHARS.sub("_", key)
    return "key_" + name if name[:1].isdigit() else name


def metric_name(name: str) -> str:
    cleaned = _INVALID_NAME_CHARS.sub("_", name)
    return "_" + cleaned if cleaned[:1].isdigit() else cleaned


def label_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float | int):
        return format_value(float(value))
    return str(value)


def matches_all(matchers: Iterable[Matcher], labels: dict[str, str]) -> bool:
    return all(m.matches(labels.get(m.name, "")) for m in matchers)


def selector_matches(selector: Selector, labels: dict[str, str]) -> bool:
    if selector.alternatives:
        return any(matches_all(group, labels) for group in selector.alternatives)
    return matches_all(selector.matchers, labels)


def series_labels(attrs: dict[str, Any]) -> dict[str, str]:
    """The labels of a stored row's attributes (not yet `__name__`, `le` or `quantile`)."""
    by_label: dict[str, list[tuple[str, str]]] = {}
    for key, value in attrs.items():
        if key.startswith(METRIC_PREFIX) or value is None:
            continue
        by_label.setdefault(label_name(key), []).append((key, label_text(value)))
    # Two keys with one label name (`http.route`, `http_route`): values joined, as Prometheus.
    labels = {name: ";".join(v for _, v in sorted(pairs)) for name, pairs in by_label.items()}
    service = attrs.get("service.name")
    if service is not None and "job" not in labels:
        namespace = attrs.get("service.namespace")
        labels["job"] = f"{namespace}/{service}" if namespace else label_text(service)
    instance = attrs.get("service.instance.id")
    if instance is not None and "instance" not in labels:
        labels["instance"] = label_text(instance)
    return {name: value for name, value in labels.items() if value != ""}


@dataclass(frozen=True)
class _Output:
    """One Prometheus series a stored row feeds, and which of its numbers it takes."""

    labels: Labels
    part: str  # value | bucket | count | sum | a metric.quantile.* key
    bucket: int = 0


def row_outputs(name: str, attrs: dict[str, Any], selector: Selector | None) -> list[_Output]:
    """The series a row with this name and these attributes becomes, keeping those the
    selector matches (all of them without one)."""
    base = series_labels(attrs)
    metric = metric_name(name)
    kind = attrs.get("metric.type")
    wanted: list[tuple[dict[str, str], str, int]] = []
    if kind in _HISTOGRAMS:
        bounds = _decode_json(attrs.get("metric.bounds") or "[]")
        # No bounds: how the text import keeps a summary without quantiles (no buckets).
        for index, bound in enumerate([*bounds, float("inf")] if bounds else []):
            le = format_value(float(bound))
            wanted.append(({**base, METRIC_NAME: metric + "_bucket", "le": le}, "bucket", index))
        wanted.append(({**base, METRIC_NAME: metric + "_count"}, "count", 0))
        wanted.append(({**base, METRIC_NAME: metric + "_sum"}, "sum", 0))
    elif kind == "summary":
        for key in sorted(k for k in attrs if k.startswith(QUANTILE_PREFIX)):
            quantile = key.removeprefix(QUANTILE_PREFIX)
            wanted.append(({**base, METRIC_NAME: metric, "quantile": quantile}, key, 0))
        wanted.append(({**base, METRIC_NAME: metric + "_count"}, "count", 0))
        wanted.append(({**base, METRIC_NAME: metric + "_sum"}, "sum", 0))
    else:
        wanted.append(({**base, METRIC_NAME: metric}, "value", 0))
    return [_Output(labels_of(labels), part, bucket) for labels, part, bucket in wanted
            if selector is None or selector_matches(selector, labels)]


class _Query:
    """The statement for one selection and how to read its rows."""

    def __init__(self, schema: DatasetSchema, selector: Selector | None, mint_ms: int,
                 maxt_ms: int, labels_only: bool) -> None:
        columns = schema.columns
        self.key_columns = ["$name"] + [c for c in columns if not c.startswith("$") and (
            not c.startswith(METRIC_PREFIX) or c in ("metric.type", "metric.bounds"))]
        self.value_columns = [c for c in columns if c in _VALUE_COLUMNS
                              or c.startswith(QUANTILE_PREFIX)]
        if schema.has_overflow:
            self.key_columns.append(OVERFLOW_FIELD)
        self.params: dict[str, Any] = {}
        where = [f"{quote('$kind')} = 'metric'",
                 f"{quote('$timestamp')} >= {self.param(mint_ms * 1_000_000)}",
                 f"{quote('$timestamp')} < {self.param((maxt_ms + 1) * 1_000_000)}"]
        if selector is not None:
            where += self.pushdown(schema, selector)
        keys = ", ".join(quote(c) for c in self.key_columns)
        if labels_only:
            # Whether a row has each number, not the number: rows of a series collapse.
            present = ", ".join(f"CASE WHEN {quote(c)} IS NULL THEN NULL ELSE 0 END AS {quote(c)}"
                                for c in self.value_columns)
            self.sql = (f"SELECT DISTINCT NULL, {keys}{', ' + present if present else ''} "
                        f"FROM {quote(DATASET)} WHERE {' AND '.join(where)}")
        else:
            values = "".join(", " + quote(c) for c in self.value_columns)
            self.sql = (f"SELECT {quote('$timestamp')}, {keys}{values} FROM {quote(DATASET)} "
                        f"WHERE {' AND '.join(where)} "
                        f"ORDER BY {quote('$timestamp')}, {quote('$id')}")

    def param(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return "$" + name

    def pushdown(self, schema: DatasetSchema, selector: Selector) -> list[str]:
        if selector.alternatives:
            return []
        where = []
        for matcher in selector.matchers:
            if matcher.op != "=" or matcher.value == "":
                continue
            if matcher.name == METRIC_NAME:
                names = ", ".join(self.param(n) for n in stored_name_candidates(matcher.value))
                where.append(f"regexp_replace({quote('$name')}, '{_SQL_INVALID_NAME_CHARS}', "
                             f"'_', 'g') IN ({names})")
                continue
            sources = [c for c in schema.columns if not c.startswith(("$", METRIC_PREFIX))
                       and label_name(c) == matcher.name]
            # Safe only when the label can come from nowhere else (overflow, derived).
            if (len(sources) == 1 and schema.columns[sources[0]] is FieldType.STRING
                    and not schema.has_overflow and matcher.name not in _DERIVED_LABELS):
                where.append(f"{quote(sources[0])} = {self.param(matcher.value)}")
        return where


def stored_name_candidates(exposed: str) -> list[str]:
    """Stored names (as sanitized) that can show as `exposed`: itself, or a histogram's
    or summary's base name for its `_bucket`, `_count` and `_sum` series."""
    names = {exposed} | {exposed.removesuffix(s) for s in _SUFFIXES if exposed.endswith(s)}
    # A leading digit got a `_` in front.
    names |= {n[1:] for n in names if n[:1] == "_" and n[1:2].isdigit()}
    return sorted(names)


def select_series(reader: Reader, selector: Selector | None, mint_ms: int,
                  maxt_ms: int) -> list[Series]:
    """Every matching series with its samples in [mint_ms, maxt_ms], oldest first."""
    schema = reader.schemas().get(DATASET)
    if schema is None:
        return []
    query = _Query(schema, selector, mint_ms, maxt_ms, labels_only=False)
    names, rows = reader.execute(query.sql, query.params)
    found: dict[Labels, Series] = {}
    for time_ns, outputs, values in _read(query, names, rows, selector, labels_only=False):
        time_ms = time_ns // 1_000_000
        for output, value in zip(outputs, values, strict=True):
            if value is None:
                continue
            series = found.get(output.labels)
            if series is None:
                series = found[output.labels] = Series(output.labels)
            if series.times and series.times[-1] == time_ms:
                series.values[-1] = value  # same millisecond: the later write wins
            else:
                series.times.append(time_ms)
                series.values.append(value)
    for series in found.values():
        series.finish()
    return list(found.values())


def select_label_sets(reader: Reader, selector: Selector | None, mint_ms: int,
                      maxt_ms: int) -> set[Labels]:
    """The label sets of the matching series with a sample in [mint_ms, maxt_ms]."""
    schema = reader.schemas().get(DATASET)
    if schema is None:
        return set()
    query = _Query(schema, selector, mint_ms, maxt_ms, labels_only=True)
    names, rows = reader.execute(query.sql, query.params)
    return {output.labels
            for _, outputs, values in _read(query, names, rows, selector, labels_only=True)
            for output, value in zip(outputs, values, strict=True) if value is not None}


def _read(query: _Query, names: Sequence[str], rows: Iterable[tuple[Any, ...]],
          selector: Selector | None, labels_only: bool,
          ) -> Iterator[tuple[int, list[_Output], list[float | None]]]:
    """Each row's time, the series it feeds and the number for each (for label sets only
    whether there is one: 0.0 or None)."""
    key_end = 1 + len(query.key_columns)
    key_names = names[1:key_end]
    value_names = names[key_end:]
    outputs_by_key: dict[tuple[Any, ...], list[_Output]] = {}
    for row in rows:
        key = row[1:key_end]
        # Whether a row has each quantile decides its series, so it is part of the key.
        presence = tuple(v is None for v in row[key_end:])
        outputs = outputs_by_key.get(key + presence)
        if outputs is None:
            attrs = _attributes(key_names, key, value_names, row[key_end:])
            outputs = outputs_by_key[key + presence] = row_outputs(str(key[0]), attrs, selector)
        if outputs:
            numbers = dict(zip(value_names, row[key_end:], strict=True))
            yield row[0], outputs, _numbers(outputs, numbers, labels_only)


def _attributes(key_names: Sequence[str], key: Sequence[Any], value_names: Sequence[str],
                values: Sequence[Any]) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    for name, value in zip(key_names[1:], key[1:], strict=True):
        if value is None:
            continue
        if name == OVERFLOW_FIELD:
            for extra_key, extra in _decode_json(value).items():
                attrs.setdefault(extra_key, extra)
        else:
            attrs[name] = value
    for name, value in zip(value_names, values, strict=True):
        if value is not None:
            attrs[name] = value
    return attrs


def _numbers(outputs: list[_Output], numbers: dict[str, Any],
             labels_only: bool) -> list[float | None]:
    cumulative: list[float] | None = None
    found: list[float | None] = []
    for output in outputs:
        if output.part == "bucket" and labels_only:
            found.append(None if numbers.get("metric.bucket_counts") is None else 0.0)
        elif output.part == "bucket":
            if cumulative is None:
                cumulative = _cumulative(numbers.get("metric.bucket_counts"))
            found.append(cumulative[output.bucket] if output.bucket < len(cumulative) else None)
        else:
            column = "metric." + output.part if output.part in ("value", "count", "sum") else (
                output.part)
            number = numbers.get(column)
            found.append(None if number is None else float(number))
    return found


def _cumulative(counts: Any) -> list[float]:
    if not isinstance(counts, str):
        return []
    total = 0.0
    cumulative = []
    for count in _decode_json(counts):
        total += float(count)
        cumulative.append(total)
    return cumulative
