"""What Grafana's query editor asks besides queries: series, label names, label values
and metric metadata, over the same series the engine sees."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from limelight.query.promql.ast import Selector
from limelight.query.promql.select import DATASET, metric_name, select_label_sets
from limelight.query.promql.values import Labels
from limelight.query.source import quote
from limelight.store.api import Reader

# What a stored `metric.type` is called in Prometheus metadata.
_TYPES = {"histogram": "histogram", "exponential_histogram": "histogram",
          "summary": "summary", "gauge": "gauge"}


def label_sets(reader: Reader, selectors: Sequence[Selector | None], start_ms: int,
               end_ms: int) -> list[Labels]:
    """Every series matching any selector (all series for None), sorted."""
    found: set[Labels] = set()
    for selector in selectors:
        found |= select_label_sets(reader, selector, start_ms, end_ms)
    return sorted(found)


def label_names(reader: Reader, selectors: Sequence[Selector | None], start_ms: int,
                end_ms: int) -> list[str]:
    return sorted({name for labels in label_sets(reader, selectors, start_ms, end_ms)
                   for name, _ in labels})


def label_values(reader: Reader, name: str, selectors: Sequence[Selector | None],
                 start_ms: int, end_ms: int) -> list[str]:
    return sorted({value for labels in label_sets(reader, selectors, start_ms, end_ms)
                   for label, value in labels if label == name})


def metric_metadata(reader: Reader, metric: str | None, limit: int | None,
                    ) -> dict[str, list[dict[str, str]]]:
    """Type, help and unit of each metric family, as `/api/v1/metadata` answers."""
    schema = reader.schemas().get(DATASET)
    if schema is None:
        return {}
    wanted = ["metric.type", "metric.description", "metric.unit", "metric.monotonic"]
    present = [c for c in wanted if c in schema.columns]
    picked = "".join(f", any_value({quote(c)})" for c in present)
    _, rows = reader.execute(
        f"SELECT {quote('$name')}{picked} FROM {quote(DATASET)} "
        f"WHERE {quote('$kind')} = 'metric' GROUP BY {quote('$name')}")
    found: dict[str, list[dict[str, str]]] = {}
    for row in sorted(rows, key=lambda r: str(r[0])):
        facts: dict[str, Any] = dict(zip(present, row[1:], strict=True))
        name = metric_name(str(row[0]))
        if metric is not None and name != metric:
            continue
        kind = str(facts.get("metric.type") or "")
        found.setdefault(name, []).append({
            "type": "counter" if kind == "sum" and facts.get("metric.monotonic") else
            _TYPES.get(kind, "gauge" if kind == "sum" else "unknown"),
            "help": str(facts.get("metric.description") or ""),
            "unit": str(facts.get("metric.unit") or ""),
        })
        if limit is not None and len(found) >= limit:
            break
    return found

