"""Server memory: resident set size idle after start, and while the ingest load runs.

    python bench/rss.py            # 3 runs, 300k spans of load each
    python bench/rss.py --quick    # 1 run, 20k spans

RSS is VmRSS from /proc/<pid>/status, summed over the server and every process
under it (the decoder workers, started by the first big ingest request).
"Idle" is sampled for a few seconds after /healthz first answers; "under load"
every 50 ms while bench/ingest.py's client posts; "after load" once the load
has ended and the server has been idle for a few seconds.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from _common import Server, make_bodies, median, rss_kib, table
from ingest import post_all

TARGET_IDLE_MB = 200
IDLE_S = 3.0
SAMPLE_S = 0.05


@dataclass
class Sample:
    idle_mb: float
    load_median_mb: float
    load_peak_mb: float
    after_mb: float
    spans_per_s: float


def sample_run(bodies: list[bytes], spans_per_body: int, connections: int,
               workdir: Path, run: int) -> Sample:
    server = Server(workdir / f"rss-{run}").start()
    try:
        idle: list[int] = []
        deadline = time.monotonic() + IDLE_S
        while time.monotonic() < deadline:
            idle.append(rss_kib(server.pid))
            time.sleep(SAMPLE_S)
        during: list[int] = []
        done = threading.Event()

        def watch() -> None:
            while not done.is_set():
                during.append(rss_kib(server.pid))
                time.sleep(SAMPLE_S)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            load = post_all(server.url, bodies, spans_per_body, connections)
        finally:
            done.set()
            watcher.join()
        time.sleep(IDLE_S)
        after = rss_kib(server.pid)
    finally:
        server.stop()
    return Sample(max(idle) / 1024, median(during) / 1024, max(during) / 1024, after / 1024,
                  load.spans_per_s)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 run of 20k spans")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--spans", type=int, default=300_000, help="spans of load per run")
    parser.add_argument("--batch", type=int, default=1000, help="spans per request")
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    if args.quick:
        args.runs, args.spans = 1, 20_000

    bodies = make_bodies(max(1, args.spans // args.batch), args.batch)
    samples = []
    with tempfile.TemporaryDirectory(prefix="limelight-rss-") as tmp:
        for run in range(args.runs):
            sample = sample_run(bodies, args.batch, args.connections, Path(tmp), run)
            samples.append(sample)
            print(f"run {run + 1}: idle {sample.idle_mb:.0f} MB, under load median "
                  f"{sample.load_median_mb:.0f} MB / peak {sample.load_peak_mb:.0f} MB, "
                  f"after {sample.after_mb:.0f} MB ({sample.spans_per_s:,.0f} spans/s)")

    idle = median([s.idle_mb for s in samples])
    print()
    print(f"server + children VmRSS, median of {args.runs} run(s), "
          f"{len(bodies) * args.batch:,} spans of load, {args.connections} connections")
    print(table(["measure", "MB", "target"], [
        ["idle after start", f"{idle:.0f}",
         f"< {TARGET_IDLE_MB}: {'met' if idle < TARGET_IDLE_MB else 'NOT met'}"],
        ["under load, median", f"{median([s.load_median_mb for s in samples]):.0f}", ""],
        ["under load, peak", f"{median([s.load_peak_mb for s in samples]):.0f}", ""],
        ["idle after the load", f"{median([s.after_mb for s in samples]):.0f}", ""],
    ]))


if __name__ == "__main__":
    main()
