"""Trace analysis: the critical path, the slowest spans by self time, the first error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from limelight.timeparse import parse_iso_ns


@dataclass(frozen=True)
class SpanTime:
    span_id: str
    name: str
    service: str
    start_ns: int
    end_ns: int
    self_ms: float
    error: bool

    @property
    def duration_ms(self) -> float:
        return (self.end_ns - self.start_ns) / 1e6


def _walk(span: dict[str, Any], out: dict[str, tuple[dict[str, Any], list[str]]]) -> None:
    out[span["$span_id"]] = (span, [c["$span_id"] for c in span.get("children", [])])
    for child in span.get("children", []):
        _walk(child, out)


def _bounds(span: dict[str, Any]) -> tuple[int, int]:
    start = parse_iso_ns(span["$timestamp"])
    return start, start + int(float(span.get("$duration_ms", 0)) * 1e6)


def span_times(trace: dict[str, Any]) -> dict[str, SpanTime]:
    """Each span's own time: its duration minus the union of its children's time."""
    nodes: dict[str, tuple[dict[str, Any], list[str]]] = {}
    for root in trace["spans"]:
        _walk(root, nodes)
    times = {}
    for span_id, (span, children) in nodes.items():
        start, end = _bounds(span)
        covered = 0
        cursor = start
        for c_start, c_end in sorted(_bounds(nodes[c][0]) for c in children):
            c_start, c_end = max(c_start, cursor), min(c_end, end)
            if c_end > c_start:
                covered += c_end - c_start
                cursor = c_end
        times[span_id] = SpanTime(span_id, span.get("$name", ""), span.get("$service", ""),
                                  start, end, max(end - start - covered, 0) / 1e6,
                                  bool(span.get("$error")))
    return times


def critical_path(trace: dict[str, Any]) -> list[str]:
    """Span ids on the critical path, in time order.

    Walking back from a span's end, the path goes through the child that ends
    last, then the child that ends last before that one started, and so on;
    each chosen child is expanded the same way.
    """
    if not trace["spans"]:
        return []

    def walk(span: dict[str, Any]) -> list[str]:
        path = [span["$span_id"]]
        cursor = _bounds(span)[1]
        chosen: list[dict[str, Any]] = []
        for child in sorted(span.get("children", []), key=lambda c: -_bounds(c)[1]):
            child_start, child_end = _bounds(child)
            if child_end <= cursor:
                chosen.append(child)
                cursor = child_start
        for child in reversed(chosen):
            path += walk(child)
        return path

    root = max(trace["spans"], key=lambda s: _bounds(s)[1] - _bounds(s)[0])
    return walk(root)


def first_error(trace: dict[str, Any]) -> tuple[dict[str, Any], list[str]] | None:
    """The deepest earliest failing span (where the error started) and its failing ancestors."""
    found: list[tuple[int, int, dict[str, Any], list[str]]] = []

    def visit(span: dict[str, Any], ancestors: list[str]) -> None:
        failed_child = any(c.get("$error") for c in span.get("children", []))
        if span.get("$error") and not failed_child:
            found.append((_bounds(span)[0], -len(ancestors), span, ancestors))
        for child in span.get("children", []):
            visit(child, [*ancestors, span["$span_id"]] if span.get("$error") else ancestors)

    for root in trace["spans"]:
        visit(root, [])
    if not found:
        return None
    _, _, span, ancestors = min(found, key=lambda f: (f[0], f[1]))
    return span, ancestors
