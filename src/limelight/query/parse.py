"""User JSON to a QuerySpec. Every error names the field and the problem."""

from __future__ import annotations

import difflib
import math
import re
from typing import Any

from limelight.exceptions import QueryError
from limelight.query.regex import regex_problem
from limelight.query.spec import (
    CALCULATIONS,
    LIST_OPERATORS,
    MAX_BUCKETS,
    MAX_LIMIT,
    OPERATORS,
    UNARY_OPERATORS,
    Calculation,
    Filter,
    FilterValue,
    Needle,
    OrderBy,
    QuerySpec,
)
from limelight.timeparse import parse_duration_ns, parse_time_ns

_CALCULATION = re.compile(
    r"^\s*(?P<op>[A-Za-z_0-9]+)\s*(?:\(\s*(?P<key>[^()]*?)\s*\))?\s*(?:\s[aA][sS]\s+(?P<alias>.+?))?\s*$"
)
_NICE_GRANULARITIES_S = (1, 5, 10, 15, 30, 60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600,
                         43200, 86400, 604800)
# Bounds on what one query asks for: past them a query costs minutes or the machine's memory
# (5,000 calculations took 19 GB) rather than giving an answer anyone reads.
MOST = {"datasets": 50, "calculations": 100, "filters": 100, "groupBys": 20}
MOST_LIST_VALUES = 1_000
MOST_PATTERN_CHARS = 1_024  # a needle or a regular expression
_KNOWN_FIELDS = {"datasets", "calculations", "filters", "filterCombination", "groupBys",
                 "orderBy", "limit", "offset", "needle", "from", "to", "granularity"}


def parse_spec(doc: Any, now_ns: int) -> QuerySpec:
    if not isinstance(doc, dict):
        raise QueryError("query spec must be a JSON object")
    for field in doc:
        if field not in _KNOWN_FIELDS:
            raise QueryError(f"{field}: not a field of a query{_did_you_mean(field)}")
    for field, most in MOST.items():
        if isinstance(doc.get(field), list) and len(doc[field]) > most:
            raise QueryError(f"{field}: {len(doc[field])} of them; the most is {most}")
    datasets = _string_list(doc.get("datasets", ["otel"]), "datasets")
    if not datasets:
        raise QueryError("datasets: name at least one dataset")
    from_ns = _time(doc.get("from", "1h"), "from", now_ns)
    to_ns = _time(doc.get("to", "now"), "to", now_ns)
    if from_ns >= to_ns:
        raise QueryError("from: must be earlier than to")
    calculations = tuple(
        parse_calculation(c, f"calculations[{i}]")
        for i, c in enumerate(_list(doc.get("calculations", []), "calculations"))
    )
    labels = [c.label for c in calculations]
    if len(set(labels)) != len(labels):
        raise QueryError("calculations: two calculations have the same name; give one an alias")
    filters = tuple(
        parse_filter(f, f"filters[{i}]")
        for i, f in enumerate(_list(doc.get("filters", []), "filters"))
    )
    combination = str(doc.get("filterCombination") or "AND").upper()
    if combination not in ("AND", "OR"):
        raise QueryError(f"filterCombination: {combination!r} is not AND or OR")
    group_bys = tuple(_string_list(doc.get("groupBys", []), "groupBys"))
    if group_bys and not calculations:
        raise QueryError('groupBys: grouping needs a calculation, e.g. "calculations": ["COUNT"]')
    limit = _int(doc.get("limit", 100), "limit", 1, MAX_LIMIT)
    offset = _int(doc.get("offset", 0), "offset", 0, 10_000_000)
    order_by = _order_by(doc.get("orderBy"), labels, group_bys)
    granularity_ns = _granularity(doc.get("granularity"), to_ns - from_ns)
    return QuerySpec(
        datasets=tuple(datasets),
        from_ns=from_ns,
        to_ns=to_ns,
        granularity_ns=granularity_ns,
        calculations=calculations,
        filters=filters,
        combination="OR" if combination == "OR" else "AND",
        group_bys=group_bys,
        order_by=order_by,
        limit=limit,
        offset=offset,
        needle=_needle(doc.get("needle")),
        with_series=doc.get("granularity") not in (None, ""),
    )


def _did_you_mean(field: object) -> str:
    close = difflib.get_close_matches(str(field), sorted(_KNOWN_FIELDS), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else (
        f"; the fields are {', '.join(sorted(_KNOWN_FIELDS))}")


def parse_calculation(item: Any, where: str) -> Calculation:
    if isinstance(item, dict):
        op = str(item.get("operation", item.get("operator", ""))).upper()
        key = item.get("key")
        alias = item.get("alias")
        written = f"{op}({key})" if key else op
    elif isinstance(item, str):
        match = _CALCULATION.match(item)
        if not match:
            raise QueryError(
                f"{where}: cannot read {item!r}; write e.g. 'P99($duration_ms) as p99'"
            )
        op, key, alias = match.group("op").upper(), match.group("key") or None, match.group("alias")
        written = item.strip() if alias is None else item[: item.lower().rfind(" as ")].strip()
    else:
        raise QueryError(f"{where}: a calculation is a string or an object")
    if op not in CALCULATIONS:
        raise QueryError(
            f"{where}: unknown calculation {op!r}; use one of {', '.join(CALCULATIONS)}"
        )
    if key is not None and not isinstance(key, str):
        raise QueryError(f"{where}: key must be a string")
    if op != "COUNT" and not key:
        raise QueryError(f"{where}: {op} needs a key, e.g. {op}($duration_ms)")
    return Calculation(op, key or None, str(alias).strip() if alias else written)


def parse_filter(item: Any, where: str) -> Filter:
    if isinstance(item, dict):
        key = item.get("key")
        op = str(item.get("operation", item.get("operator", ""))).upper()
        value = item.get("value")
        if not isinstance(key, str) or not key:
            raise QueryError(f"{where}: key must be a non-empty string")
    elif isinstance(item, str):
        parts = item.strip().split(None, 2)
        if len(parts) < 2:
            raise QueryError(f"{where}: write 'key operator value', e.g. 'http.status_code >= 500'")
        key, op = parts[0], parts[1].upper()
        value = parts[2] if len(parts) == 3 else None
        if op in LIST_OPERATORS and isinstance(value, str):
            value = _split_list(value, where)
    else:
        raise QueryError(f"{where}: a filter is a string or an object")
    if op not in OPERATORS:
        raise QueryError(f"{where}: unknown operator {op!r}; use one of {' '.join(OPERATORS)}")
    if op in UNARY_OPERATORS:
        return Filter(key, op, None)
    if value is None:
        raise QueryError(f"{where}: {op} needs a value")
    if op in LIST_OPERATORS:
        if not isinstance(value, list) or not value:
            raise QueryError(f"{where}: {op} needs a list of values, e.g. (a, b)")
        if len(value) > MOST_LIST_VALUES:
            raise QueryError(f"{where}: {len(value)} values; the most is {MOST_LIST_VALUES}")
    elif isinstance(value, list | dict):
        raise QueryError(
            f"{where}: {op} takes one value, not a {'list' if isinstance(value, list) else 'map'}"
        )
    if op == "MATCH_REGEX" and len(str(value)) > MOST_PATTERN_CHARS:
        raise QueryError(f"{where}: the regular expression is {len(str(value))} characters; "
                         f"the most is {MOST_PATTERN_CHARS}")
    if op == "MATCH_REGEX" and (problem := regex_problem(str(value))):
        raise QueryError(f"{where}: invalid regular expression {value!r}: {problem}")
    typed: FilterValue = value
    return Filter(key, op, typed)


def _split_list(text: str, where: str) -> list[str | float | bool]:
    text = text.strip()
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1]
    if not text.strip():
        return []
    items = [part.strip() for part in text.split(",")]
    if not all(items):
        raise QueryError(f"{where}: empty item in list {text!r}")
    return [item.strip("'\"") for item in items]


def _flag(needle: dict[str, Any], name: str) -> bool:
    flag = needle.get(name)
    if flag is None:
        return False
    if not isinstance(flag, bool):
        raise QueryError(f"needle.{name}: must be true or false, not {flag!r}")
    return flag


def _needle(value: Any) -> Needle | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        needle = Needle(value)
    elif isinstance(value, dict) and isinstance(value.get("value"), str):
        needle = Needle(value["value"], _flag(value, "isRegex"), _flag(value, "matchCase"))
    else:
        raise QueryError('needle: give {"value": "text", "isRegex": false, "matchCase": false}')
    if not needle.value:
        return None
    if len(needle.value) > MOST_PATTERN_CHARS:
        raise QueryError(f"needle: {len(needle.value)} characters; the most is "
                         f"{MOST_PATTERN_CHARS}")
    if needle.is_regex and (problem := regex_problem(needle.value)):
        raise QueryError(f"needle: invalid regular expression: {problem}")
    return needle


def _order_by(value: Any, labels: list[str], group_bys: tuple[str, ...]) -> OrderBy | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = {"value": value}
    if not isinstance(value, dict) or not isinstance(value.get("value"), str):
        raise QueryError("orderBy: give {\"value\": \"COUNT\", \"order\": \"DESC\"}")
    order = str(value.get("order", "DESC")).upper()
    if order not in ("ASC", "DESC"):
        raise QueryError(f"orderBy.order: {order!r} is not ASC or DESC")
    target = value["value"]
    # Events are ordered by time, or by arrival ($id, within one dataset).
    events_order = target in ("$timestamp", "$id") and not labels
    if target not in labels and target not in group_bys and not events_order:
        choices = ", ".join(labels + list(group_bys)) or "$timestamp or $id"
        raise QueryError(f"orderBy.value: {target!r} is not a calculation or group; use {choices}")
    return OrderBy(target, order == "DESC")


def _granularity(value: Any, range_ns: int) -> int:
    if value in (None, "", "auto"):
        target_s = range_ns / 1e9 / 60  # about 60 buckets
        for nice in _NICE_GRANULARITIES_S:
            if nice >= target_s:
                return nice * 1_000_000_000
        # Longer than 60 weeks: whole days, still about 60 buckets.
        return math.ceil(target_s / 86400) * 86_400_000_000_000
    try:
        ns = parse_duration_ns(str(value))
    except ValueError as exc:
        raise QueryError(f"granularity: {exc}") from exc
    if ns < 1_000_000:  # series times are whole milliseconds
        raise QueryError(f"granularity: {value} is less than the smallest, 1ms")
    if range_ns / ns > MAX_BUCKETS:
        raise QueryError(
            f"granularity: {value} gives {int(range_ns / ns)} buckets over this time range; "
            f"the most is {MAX_BUCKETS}"
        )
    return ns


def _time(value: Any, where: str, now_ns: int) -> int:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise QueryError(f"{where}: give ISO 8601, epoch milliseconds or e.g. '15m'")
    try:
        return parse_time_ns(value, now_ns)
    except ValueError as exc:
        raise QueryError(f"{where}: {exc}") from exc


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise QueryError(f"{where}: must be a list")
    return value


def _string_list(value: Any, where: str) -> list[str]:
    items = _list(value, where)
    for i, item in enumerate(items):
        if not isinstance(item, str) or not item:
            raise QueryError(f"{where}[{i}]: must be a non-empty string")
    return items


def _int(value: Any, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise QueryError(f"{where}: must be a whole number")
    if not low <= value <= high:
        raise QueryError(f"{where}: must be between {low} and {high}")
    return value
