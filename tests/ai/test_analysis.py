"""Pure analysis: anomalies, change points, differences, trace paths."""

from __future__ import annotations

import pytest

from limelight.ai.differences import rank_differences
from limelight.ai.series import find_anomalies, find_change_point
from limelight.ai.traces import critical_path, first_error, span_times

FLAT = [float(v) for v in [10, 11, 9, 10, 12, 10, 9, 11, 10, 10]]


def points(values: list[float]) -> list[tuple[int, float]]:
    return [(i * 60_000, v) for i, v in enumerate(values)]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (FLAT, []),
        ([*FLAT, 60.0, 10.0], [(600_000, "spike")]),
        ([*FLAT, 0.0, 10.0], [(600_000, "drop")]),
        ([0.0] * 20 + [30.0, 35.0], [(1_200_000, "spike")]),
        ([1.0, 2.0, 3.0], []),
    ],
    ids=["flat", "spike", "drop", "from-zero", "too-short"],
)
def test_anomalies(values: list[float], expected: list[tuple[int, str]]) -> None:
    found = find_anomalies(points(values))
    assert [(a.start_ms, a.direction) for a in found] == expected


def test_change_point_finds_a_level_shift() -> None:
    change = find_change_point(points([10.0, 11, 9, 10, 10, 30, 31, 29, 30, 30]))
    assert change is not None
    assert change.time_ms == 5 * 60_000
    assert change.before == pytest.approx(10) and change.after == pytest.approx(30)
    assert find_change_point(points(FLAT)) is None


def test_differences_rank_the_over_represented_value_first() -> None:
    slice_events = [{"provider": "acme", "route": "/checkout" if i % 4 else "/cart",
                     "region": "eu" if i % 2 else "us"} for i in range(50)]
    baseline = [{"provider": ["acme", "stripe", "adyen"][i % 3], "route": "/checkout",
                 "region": "eu" if i % 2 else "us"} for i in range(300)]
    ranked = rank_differences(slice_events, baseline)
    assert (ranked[0].key, ranked[0].value) == ("provider", "acme")
    assert ranked[0].slice_share == 1.0
    assert ranked[0].baseline_share == pytest.approx(1 / 3)
    assert all(d.key != "region" for d in ranked)  # equally common everywhere
    assert "100% of the affected events have provider = acme" in ranked[0].describe()


def span(
    span_id: str, name: str, start_s: int, duration_ms: float,
    children: list[dict[str, object]], error: bool = False,
) -> dict[str, object]:
    return {"$span_id": span_id, "$name": name, "$service": "svc",
            "$timestamp": f"2026-01-01T00:00:{start_s:02d}.000000000Z",
            "$duration_ms": duration_ms, "$error": error, "children": children, "events": []}


def test_trace_paths_and_errors() -> None:
    leaf = span("c", "db", 2, 3000, [], error=True)
    trace = {"spans": [span("a", "root", 0, 10_000, [
        span("b", "auth", 0, 1000, []),
        span("d", "handler", 1, 5000, [leaf], error=True),
    ], error=True)], "duration_ms": 10_000.0}
    assert critical_path(trace) == ["a", "b", "d", "c"]
    times = span_times(trace)
    assert times["a"].self_ms == pytest.approx(4000)
    assert times["d"].self_ms == pytest.approx(2000)
    failing = first_error(trace)
    assert failing is not None
    assert failing[0]["$span_id"] == "c"
    assert failing[1] == ["a", "d"]
