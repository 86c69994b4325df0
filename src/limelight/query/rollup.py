"""Group totals added up from the time series rows.

A response with series normally takes two scans: the group totals (which also pick the top
groups), then the series of those groups. When every calculation combines across buckets
(COUNT, SUM, MIN, MAX, AVG) and the store's statistics say the groups are few, the series
statement over every group answers both, and the totals are added up here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from limelight.model import DATASET_FIELD
from limelight.query.spec import QuerySpec
from limelight.store.api import Reader

COMBINABLE = frozenset({"COUNT", "SUM", "MIN", "MAX", "AVG"})

Groups = tuple[Any, ...]
_Item = tuple[Groups, list[Any]]  # a group and its values


def extra_columns(spec: QuerySpec, columns: Sequence[str]) -> list[str] | None:
    """What the series statement adds so its rows can be combined: the bucket's event
    count, and for each AVG how many values it averaged. None when some calculation does
    not combine. `columns` are the calculations' SQL expressions ("*" for none)."""
    if not all(c.operation in COMBINABLE for c in spec.calculations):
        return None
    extra = ["count(*) AS __n"]
    for i, (calc, column) in enumerate(zip(spec.calculations, columns, strict=True)):
        if calc.operation == "AVG":
            extra.append(f"count({column}) AS __k{i}")
    return extra


def worth_it(spec: QuerySpec, reader: Reader) -> bool:
    """Whether one scan over every group beats two: few enough groups for one page."""
    if not spec.with_series or spec.offset > 0:
        return False
    return _estimated_groups(spec, reader) <= spec.limit


def _estimated_groups(spec: QuerySpec, reader: Reader) -> float:
    datasets = list(dict.fromkeys(spec.datasets))
    estimate = 1.0
    for key in spec.group_bys:
        if key == DATASET_FIELD:
            estimate *= len(datasets)
            continue
        counts = [reader.distinct_estimate(dataset, key) for dataset in datasets]
        if None in counts:
            return math.inf
        estimate *= sum(count or 0 for count in counts)
    return estimate


def group_totals(
    rows: Sequence[tuple[Any, ...]], spec: QuerySpec
) -> tuple[dict[Groups, list[Any]], int]:
    """Each group's calculated values over the whole range, and how many events matched.

    A row is (bucket, *groups, *calculations, events, *averaged counts). Running totals,
    one pass: the loop runs once per point of the series."""
    first = 1 + len(spec.group_bys)
    operations = [c.operation for c in spec.calculations]
    events_at = len(operations)  # positions from here on are relative to `first`
    added = [i for i, op in enumerate(operations) if op in ("COUNT", "SUM")]
    smallest = [i for i, op in enumerate(operations) if op == "MIN"]
    largest = [i for i, op in enumerate(operations) if op == "MAX"]
    averaged = [i for i, op in enumerate(operations) if op == "AVG"]
    # An average and the count it averaged, combined as (sum of values, count).
    weighted = [(i, events_at + 1 + n) for n, i in enumerate(averaged)]
    totals: dict[Groups, list[Any]] = {}
    # Each total at position i comes from the row at first + i; the loop indexes the row
    # directly instead of slicing it.
    events_in_row = first + events_at
    for row in rows:
        groups = row[1:first]
        total = totals.get(groups)
        if total is None:
            total = totals[groups] = list(row[first:])
            for i, weight in weighted:
                if total[i] is not None:
                    total[i] *= total[weight]
            continue
        total[events_at] += row[events_in_row]
        for i in added:
            value = row[first + i]
            if value is not None:
                total[i] = value if total[i] is None else total[i] + value
        for i in smallest:
            value = row[first + i]
            if value is not None and (total[i] is None or value < total[i]):
                total[i] = value
        for i in largest:
            value = row[first + i]
            if value is not None and (total[i] is None or value > total[i]):
                total[i] = value
        for i, weight in weighted:
            value = row[first + i]
            if value is not None:
                total[i] = value * row[first + weight] + (total[i] or 0.0)
                total[weight] += row[first + weight]
    for total in totals.values():
        for i, weight in weighted:
            total[i] = total[i] / total[weight] if total[weight] else None
    matched = sum(total[events_at] for total in totals.values())
    return {groups: total[:events_at] for groups, total in totals.items()}, matched


def ordered(totals: dict[Groups, list[Any]], spec: QuerySpec) -> list[Groups]:
    """The groups in the order the aggregates statement gives them: the ordering value
    (DESC unless asked otherwise, nulls last), ties by group values ascending, nulls last."""
    labels = [c.label for c in spec.calculations]
    order = spec.order_by
    descending = order is None or order.descending
    ordering_group: int | None = None
    if order is not None and order.value in labels:
        value = _value_of(labels.index(order.value))
    elif order is not None and order.value in spec.group_bys:
        ordering_group = spec.group_bys.index(order.value)
        value = _group_of(ordering_group)
    else:
        value = _value_of(0)
    items = list(totals.items())
    # Stable sorts, least significant first: the ties, then the ordering value.
    for i in reversed(range(len(spec.group_bys))):
        if i != ordering_group:
            items.sort(key=_nulls_last(_group_of(i)))
    if descending:
        items.sort(key=_nulls_first(value), reverse=True)
    else:
        items.sort(key=_nulls_last(value))
    return [groups for groups, _ in items]


def _group_of(i: int) -> Callable[[_Item], Any]:
    return lambda item: item[0][i]


def _value_of(i: int) -> Callable[[_Item], Any]:
    return lambda item: item[1][i]


def _nulls_last(get: Callable[[_Item], Any]) -> Callable[[_Item], tuple[bool, Any]]:
    def key(item: _Item) -> tuple[bool, Any]:
        value = get(item)
        return (value is None, 0 if value is None else value)
    return key


def _nulls_first(get: Callable[[_Item], Any]) -> Callable[[_Item], tuple[bool, Any]]:
    """Sorted in reverse, this puts nulls last."""
    def key(item: _Item) -> tuple[bool, Any]:
        value = get(item)
        return (value is not None, 0 if value is None else value)
    return key
