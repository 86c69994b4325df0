"""Anomalies and change points in a time series, against the series' own baseline."""

from __future__ import annotations

import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class Anomaly:
    start_ms: int
    end_ms: int
    peak_ms: int
    value: float
    baseline: float
    score: float  # robust z-score of the peak

    @property
    def direction(self) -> str:
        return "spike" if self.value >= self.baseline else "drop"


@dataclass(frozen=True)
class ChangePoint:
    time_ms: int
    before: float
    after: float

    @property
    def change_ratio(self) -> float:
        return (self.after - self.before) / self.before if self.before else float("inf")


def robust_scores(values: list[float]) -> tuple[float, float, list[float]]:
    """Median, scale and each point's robust z-score (MAD, with a floor so flat series work)."""
    median = statistics.median(values)
    mad = statistics.median(abs(v - median) for v in values)
    peak = max(abs(v) for v in values)
    scale = max(1.4826 * mad, 0.05 * abs(median), 0.01 * peak, 1e-9)
    return median, scale, [(v - median) / scale for v in values]


def find_anomalies(
    points: list[tuple[int, float]], threshold: float = 3.5
) -> list[Anomaly]:
    """Runs of points whose robust z-score passes the threshold, strongest first."""
    if len(points) < 5:
        return []
    values = [v for _, v in points]
    median, _, scores = robust_scores(values)
    anomalies: list[Anomaly] = []
    run: list[int] = []
    for index, score in enumerate([*scores, 0.0]):
        if index < len(scores) and abs(score) >= threshold:
            run.append(index)
            continue
        if run:
            peak = max(run, key=lambda i: abs(scores[i]))
            anomalies.append(Anomaly(points[run[0]][0], points[run[-1]][0], points[peak][0],
                                     values[peak], median, scores[peak]))
            run = []
    return sorted(anomalies, key=lambda a: -abs(a.score))


def find_change_point(points: list[tuple[int, float]], min_side: int = 3) -> ChangePoint | None:
    """The single split where the mean level shifts most, if it is a clear shift."""
    if len(points) < 2 * min_side:
        return None
    values = [v for _, v in points]
    best: tuple[float, int] | None = None
    for split in range(min_side, len(values) - min_side + 1):
        before, after = values[:split], values[split:]
        gap = abs(statistics.fmean(after) - statistics.fmean(before))
        spread = statistics.pstdev(before) + statistics.pstdev(after) + 1e-9
        strength = gap / spread
        if best is None or strength > best[0]:
            best = (strength, split)
    if best is None or best[0] < 2.0:
        return None
    split = best[1]
    return ChangePoint(points[split][0], statistics.fmean(values[:split]),
                       statistics.fmean(values[split:]))
