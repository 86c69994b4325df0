"""Local analysis of an explain target, through the QueryFn only (never the store)."""

from __future__ import annotations

import copy
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from limelight.ai.differences import rank_differences
from limelight.ai.patterns import PatternMiner
from limelight.ai.series import find_anomalies, find_change_point
from limelight.ai.traces import critical_path, first_error, span_times
from limelight.exceptions import BadRequest, NotFound
from limelight.query.run import QueryFn

TraceFn = Callable[[str], dict[str, Any] | None]
SAMPLE = 2000
_LATENCY_OPS = ("P", "AVG", "MAX", "MEDIAN", "SUM")


def _series_by_group(result: dict[str, Any], label: str) -> dict[str, list[tuple[int, float]]]:
    """Each group's points for one calculation, empty buckets as 0, without a still-filling
    last bucket (its partial count would look like a drop)."""
    buckets = result["series"]
    if len(buckets) > 1 and buckets[-1]["time"] + (buckets[1]["time"] - buckets[0]["time"]) > (
        time.time_ns() // 1_000_000
    ):
        buckets = buckets[:-1]
    names = {_group_name(d["groups"]) for bucket in buckets for d in bucket["data"]}
    by_group: dict[str, list[tuple[int, float]]] = {name: [] for name in names}
    for bucket in buckets:
        present = {_group_name(d["groups"]): d["values"].get(label) for d in bucket["data"]}
        for name in names:
            by_group[name].append((bucket["time"], float(present.get(name) or 0)))
    return by_group


def _group_name(groups: dict[str, Any]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in groups.items()) if groups else "all"


def analyze_query(spec: dict[str, Any], query: QueryFn) -> dict[str, Any]:
    result = query({**spec, "granularity": spec.get("granularity") or "auto"})
    analysis: dict[str, Any] = {"kind": "query", "spec": spec,
                                "aggregates": result["aggregates"][:10]}
    calculations = spec.get("calculations") or []
    if not calculations:
        analysis["events"] = len(result["events"])
        return analysis
    label = next(iter(result["aggregates"][0]["values"])) if result["aggregates"] else "COUNT"
    series = _series_by_group(result, label)
    anomalies: list[dict[str, Any]] = []
    for group, points in series.items():
        for anomaly in find_anomalies(points)[:2]:
            anomalies.append({"group": group, "start_ms": anomaly.start_ms,
                              "end_ms": anomaly.end_ms, "peak_ms": anomaly.peak_ms,
                              "value": anomaly.value, "baseline": anomaly.baseline,
                              "score": round(anomaly.score, 2), "direction": anomaly.direction})
        change = find_change_point(points)
        if change is not None:
            analysis.setdefault("change_points", []).append({
                "group": group, "time_ms": change.time_ms, "before": change.before,
                "after": change.after,
            })
    anomalies.sort(key=lambda a: -abs(a["score"]))
    analysis["calculation"] = label
    analysis["anomalies"] = anomalies[:5]
    step_ms = (result["series"][1]["time"] - result["series"][0]["time"]
               if len(result["series"]) > 1 else 60_000)
    window: tuple[int, int] | None = None
    if anomalies:
        window = (int(anomalies[0]["start_ms"]), int(anomalies[0]["end_ms"]) + int(step_ms))
    analysis["window"] = window and {"from_ms": window[0], "to_ms": window[1]}
    slice_events, baseline_events = _slices(spec, query, window, str(calculations[0]))
    analysis["sample"] = {"slice": len(slice_events), "baseline": len(baseline_events)}
    analysis["differences"] = [
        {"key": d.key, "value": d.value, "slice_share": round(d.slice_share, 3),
         "baseline_share": round(d.baseline_share, 3), "describe": d.describe()}
        for d in rank_differences(slice_events, baseline_events)
    ]
    analysis["log_patterns"] = log_patterns(slice_events, baseline_events)
    return analysis


def _events(spec: dict[str, Any], **changes: Any) -> dict[str, Any]:
    events_spec = {k: copy.deepcopy(v) for k, v in spec.items()
                   if k not in ("calculations", "groupBys", "orderBy", "limit", "offset",
                                "granularity")}
    events_spec.update(changes)
    events_spec["limit"] = SAMPLE
    return events_spec


def _slices(
    spec: dict[str, Any], query: QueryFn, window: tuple[int, int] | None, calculation: str,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The affected events and a baseline: the datasets' events before the anomaly (or, with
    no anomaly, every other event in the range)."""
    latency_key = None
    op = calculation.split("(")[0].strip().upper()
    if "(" in calculation and op.startswith(_LATENCY_OPS):
        latency_key = calculation.split("(", 1)[1].split(")")[0].strip()
    changes = {"from": window[0], "to": window[1]} if window else {}
    matching = query(_events(spec, **changes))["events"]
    before = {"to": window[0]} if window else {}
    unfiltered = query(_events(spec, filters=[], needle=None, **before))["events"]
    if latency_key:
        values = sorted(e[latency_key] for e in matching if isinstance(e.get(latency_key),
                                                                       int | float))
        if values:
            cut = values[int(len(values) * 0.9)] if len(values) > 10 else values[-1]
            slow = [e for e in matching if isinstance(e.get(latency_key), int | float)
                    and e[latency_key] >= cut]
            slow_ids = {(e.get("$dataset"), e["$id"]) for e in slow}
            rest = [e for e in unfiltered if (e.get("$dataset"), e["$id"]) not in slow_ids]
            return slow, rest
    matching_ids = {(e.get("$dataset"), e["$id"]) for e in matching}
    return matching, [e for e in unfiltered if (e.get("$dataset"), e["$id"]) not in matching_ids]


def log_patterns(
    slice_events: list[dict[str, Any]], baseline_events: list[dict[str, Any]], limit: int = 8
) -> list[dict[str, Any]]:
    """Message templates of the slice with counts, and which are new or surging."""
    miner = PatternMiner()
    slice_counts: Counter[int] = Counter()
    base_counts: Counter[int] = Counter()
    for event in baseline_events:
        if isinstance(event.get("$message"), str):
            base_counts[miner.add(event["$message"]).id] += 1
    for event in slice_events:
        if isinstance(event.get("$message"), str):
            slice_counts[miner.add(event["$message"]).id] += 1
    patterns = []
    slice_total = sum(slice_counts.values()) or 1
    base_total = sum(base_counts.values()) or 1
    for pattern_id, count in slice_counts.most_common(limit):
        pattern = miner.patterns[pattern_id]
        base = base_counts.get(pattern_id, 0)
        surge = (count / slice_total) / (base / base_total) if base else None
        patterns.append({"template": pattern.template, "count": count, "baseline_count": base,
                         "new": base == 0, "surging": surge is not None and surge >= 3,
                         "example": pattern.examples[0]})
    return patterns


def analyze_trace(trace: dict[str, Any]) -> dict[str, Any]:
    times = span_times(trace)
    path = critical_path(trace)
    failure = first_error(trace)
    slowest = sorted(times.values(), key=lambda t: -t.self_ms)[:5]
    analysis: dict[str, Any] = {
        "kind": "trace",
        "trace_id": trace["trace_id"],
        "duration_ms": trace["duration_ms"],
        "span_count": trace["span_count"],
        "services": trace["services"],
        "critical_path": [{"span_id": s, "name": times[s].name, "service": times[s].service,
                           "duration_ms": round(times[s].duration_ms, 3),
                           "self_ms": round(times[s].self_ms, 3)} for s in path],
        "slowest_spans": [{"span_id": t.span_id, "name": t.name, "service": t.service,
                           "self_ms": round(t.self_ms, 3),
                           "share": round(t.self_ms / trace["duration_ms"], 3)
                           if trace["duration_ms"] else None} for t in slowest],
        "error_logs": [{"message": e.get("$message"), "service": e.get("$service"),
                        "level": e.get("$level")}
                       for e in trace["logs"] if e.get("$error")][:10],
    }
    if failure is not None:
        span, ancestors = failure
        analysis["first_error"] = {
            "span_id": span["$span_id"], "name": span.get("$name"),
            "service": span.get("$service"), "message": span.get("$message"),
            "exception": next(({"type": ev.get("exception.type"),
                                "message": ev.get("exception.message")}
                               for ev in span.get("events", [])
                               if ev.get("$name") == "exception"), None),
            "propagated_to": [{"span_id": a, "name": times[a].name, "service": times[a].service}
                              for a in reversed(ancestors) if a in times],
        }
    return analysis


def analyze_event(dataset: str, event_id: Any, query: QueryFn, trace: TraceFn) -> dict[str, Any]:
    if not dataset or not isinstance(event_id, int):
        raise BadRequest("target: an event needs its dataset and numeric id ($id)")
    found = query({"datasets": [dataset], "filters": [f"$id = {event_id}"], "from": "3650d",
                   "to": "now", "limit": 1})["events"]
    if not found:
        raise NotFound(f"no event {event_id} in dataset {dataset!r}")
    event = found[0]
    analysis: dict[str, Any] = {"kind": "event", "event": event}
    if isinstance(event.get("$name"), str):
        similar = query({"datasets": [dataset], "calculations": ["COUNT"],
                         "filters": [f"$name = {event['$name']}"], "from": "1d",
                         "groupBys": ["$error"]})
        analysis["similar_last_day"] = similar["aggregates"]
    if event.get("$trace_id"):
        found_trace = trace(str(event["$trace_id"]))
        if found_trace is not None:
            analysis["trace"] = analyze_trace(found_trace)
    return analysis
