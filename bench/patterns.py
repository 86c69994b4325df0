"""Log-pattern grouping accuracy on the loghub 2k samples, next to Drain's published figures.

    python bench/patterns.py [--data ../shared/data/loghub]

Grouping accuracy as the log-parsing literature defines it: a line is correct
when the set of lines in its mined group equals the set sharing its true
template. Also reports mining throughput (lines/s, median of 5 runs).
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time
from pathlib import Path

from limelight.ai.patterns import PatternMiner, grouping_accuracy

# Drain's grouping accuracy as published with the loghub benchmark.
DRAIN = {"HDFS": 0.998, "Hadoop": 0.948, "Spark": 0.920, "Zookeeper": 0.967, "BGL": 0.963,
         "HPC": 0.887, "Linux": 0.690, "HealthApp": 0.780, "Apache": 1.000, "OpenSSH": 0.788}
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "loghub"


def load(data: Path, system: str) -> tuple[list[str], list[str]]:
    path = data / f"{system}_2k.log_structured.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [r["Content"] for r in rows], [r["EventId"] for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    print(f"{'system':<10} {'ours':>6} {'Drain':>6} {'ratio':>6} {'lines/s':>9}")
    ours_all = []
    for system, drain in DRAIN.items():
        messages, truth = load(args.data, system)
        accuracy = grouping_accuracy(PatternMiner().add_all(messages), truth)
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            PatternMiner().add_all(messages)
            timings.append(time.perf_counter() - started)
        rate = len(messages) / statistics.median(timings)
        ours_all.append(accuracy)
        print(f"{system:<10} {accuracy:6.3f} {drain:6.3f} {accuracy / drain:6.3f} {rate:9,.0f}")
    mean_ours = statistics.mean(ours_all)
    mean_drain = statistics.mean(DRAIN.values())
    print(f"{'mean':<10} {mean_ours:6.3f} {mean_drain:6.3f} {mean_ours / mean_drain:6.3f}")


if __name__ == "__main__":
    main()
