"""Running a query spec against a Reader and shaping the response of the contract."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import msgspec

from limelight.gcpause import collection_paused
from limelight.model import DATASET_FIELD, OVERFLOW_FIELD, FieldType
from limelight.query import rollup
from limelight.query.parse import parse_spec
from limelight.query.plan import Plan, Statement, plan_query
from limelight.query.spec import QuerySpec
from limelight.store.api import Reader
from limelight.timeparse import format_ns

QueryFn = Callable[[dict[str, Any]], dict[str, Any]]
"""What alerts, AI and the code tools get: a spec in, the response of POST /api/query out."""

_decode_json = msgspec.json.Decoder().decode


def plain(value: Any) -> Any:
    """Numbers stored as doubles read back as integers when they are whole."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def event_from_row(names: list[str], row: tuple[Any, ...], dataset: str | None) -> dict[str, Any]:
    """A stored row as an event: `$` fields and attributes, overflow keys merged back in."""
    event: dict[str, Any] = {}
    if dataset is not None:
        event[DATASET_FIELD] = dataset
    for name, value in zip(names, row, strict=True):
        if value is None:
            continue
        if name == OVERFLOW_FIELD:  # never in place of a field the row has (a "$service")
            for key, kept in _decode_json(value).items():
                event.setdefault(key, kept)
        elif name == "$timestamp":
            event[name] = format_ns(value)
        else:
            event[name] = plain(value)
    return event


class QueryEngine:
    def __init__(self, reader: Reader) -> None:
        self.reader = reader

    def run(self, doc: dict[str, Any]) -> dict[str, Any]:
        """The QueryFn: parse, plan, run, shape. Raises QueryError for a bad spec."""
        started = time.perf_counter()
        spec = parse_spec(doc, time.time_ns())
        plan = plan_query(spec, self.reader.schemas())
        with collection_paused():  # fetching and shaping rows: many objects, no cycles
            if plan.events is not None:
                events = self._events(plan, spec)
                aggregates: list[dict[str, Any]] = []
                series: list[dict[str, Any]] = []
                rows_read = len(events)
            else:
                aggregates, series, rows_read = self._aggregate(plan)
                events = []
        return {
            "aggregates": aggregates,
            "series": series,
            "events": events,
            "statistics": {
                "elapsed_ms": round((time.perf_counter() - started) * 1000, 3),
                "rows_read": rows_read,
            },
        }

    def _run(self, statement: Statement) -> tuple[list[str], list[tuple[Any, ...]]]:
        return self.reader.execute(statement.sql, statement.params)

    def _events(self, plan: Plan, spec: QuerySpec) -> list[dict[str, Any]]:
        assert plan.events is not None
        names, rows = self._run(plan.events)
        single = spec.datasets[0] if len(set(spec.datasets)) == 1 else None
        events = [event_from_row(names, row, single) for row in rows]
        for event in events if plan.retyped else ():
            for key, ftype in plan.retyped.get(event[DATASET_FIELD], {}).items():
                if key in event:
                    event[key] = _typed(event[key], ftype)
        return events

    def _aggregate(self, plan: Plan) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
        if plan.rollup_columns is not None and rollup.worth_it(plan.spec, self.reader):
            return self._rolled_up(plan)
        assert plan.aggregates is not None
        spec = plan.spec
        _, rows = self._run(plan.aggregates)
        n_groups = plan.group_count
        n_values = len(plan.calculation_labels)
        top_groups = [row[:n_groups] for row in rows]
        aggregates = [_aggregate_of(row[:n_groups], row[n_groups : n_groups + n_values], spec)
                      for row in rows]
        matched = sum(int(row[n_groups + n_values] or 0) for row in rows)
        total_groups = len(rows)
        if plan.totals is not None and (spec.offset > 0 or len(rows) >= spec.limit):
            groups_in_all, matched_in_all = (
                rows[0][-2:] if plan.totals_in_rows and rows else self._run(plan.totals)[1][0]
            )
            total_groups, matched = int(groups_in_all), int(matched_in_all or 0)
        if n_groups == 0 and matched == 0:
            aggregates = [_no_events(spec)]
        if not spec.with_series:
            return aggregates, [], matched
        everything_shown = n_groups == 0 or (spec.offset == 0 and total_groups <= spec.limit)
        series_statement = plan.series(None if everything_shown else top_groups)
        series_rows = [] if series_statement is None else self._run(series_statement)[1]
        return aggregates, self._series(series_rows, spec), matched

    def _rolled_up(self, plan: Plan) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
        """One scan: the series of every group, the totals added up from it (query.rollup)."""
        spec = plan.spec
        statement = plan.series(None, rollup=True)
        assert statement is not None
        _, rows = self._run(statement)
        totals, matched = rollup.group_totals(rows, spec)
        groups = rollup.ordered(totals, spec)
        shown = groups[: spec.limit]
        if len(shown) < len(groups):  # the statistics guessed too few groups
            kept = set(shown)
            rows = [row for row in rows if row[1 : 1 + plan.group_count] in kept]
        aggregates = [_aggregate_of(g, totals[g], spec) for g in shown]
        if plan.group_count == 0 and matched == 0:
            aggregates = [_no_events(spec)]
        return aggregates, self._series(rows, spec), matched

    def _series(self, rows: list[tuple[Any, ...]], spec: QuerySpec) -> list[dict[str, Any]]:
        """Rows of (bucket, *groups, *values, ...) as the response's series: every bucket of
        the range, empty ones included."""
        step = spec.granularity_ns
        first = spec.from_ns // step * step
        buckets: dict[int, list[dict[str, Any]]] = {
            t: [] for t in range(first, spec.to_ns, step)
        }
        labels = [c.label for c in spec.calculations]
        group_dicts: dict[tuple[Any, ...], dict[str, Any]] = {}  # shared per group
        keys = spec.group_bys
        # The hot loop of a long series (tens of thousands of points): no per-value calls
        # for the values that need no conversion.
        first_value = 1 + len(keys)
        only = labels[0] if len(labels) == 1 else None  # the common case, built directly
        for row in rows:
            groups = row[1:first_value]
            shown = group_dicts.get(groups)
            if shown is None:
                shown = group_dicts[groups] = {
                    k: plain(v) for k, v in zip(keys, groups, strict=True)
                }
            if only is not None:
                value = row[first_value]
                values = {only: value if value.__class__ is not float else plain(value)}
            else:  # not strict: rolled-up rows carry their counts after the values
                values = {label: value if value.__class__ is not float else plain(value)
                          for label, value in zip(labels, row[first_value:], strict=False)}
            point = {"groups": shown, "values": values}
            bucket = buckets.get(row[0])
            if bucket is None:
                buckets[row[0]] = [point]
            else:
                bucket.append(point)
        return [{"time": t // 1_000_000, "data": data} for t, data in sorted(buckets.items())]


def _typed(text: str, ftype: FieldType) -> Any:
    """A value a union of datasets read as text (see Source.retyped), as it was stored."""
    if ftype is FieldType.BOOL:
        return text == "true"
    return int(text) if ftype is FieldType.INTEGER else plain(float(text))


def _aggregate_of(groups: tuple[Any, ...], values: Any, spec: QuerySpec) -> dict[str, Any]:
    return {
        "groups": {k: plain(v) for k, v in zip(spec.group_bys, groups, strict=True)},
        "values": {c.label: plain(v) for c, v in zip(spec.calculations, values, strict=True)},
    }


def _no_events(spec: QuerySpec) -> dict[str, Any]:
    """The one row of a query without groups that matched nothing."""
    return {"groups": {}, "values": {c.label: _empty_value(c.label, spec)
                                     for c in spec.calculations}}


def _empty_value(label: str, spec: QuerySpec) -> int | None:
    """What an aggregate over no rows is: 0 for counts, null for the rest."""
    for calc in spec.calculations:
        if calc.label == label:
            return 0 if calc.operation in ("COUNT", "COUNT_DISTINCT") else None
    return None
