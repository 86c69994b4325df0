"""OTLP/HTTP protobuf ingest, end to end with durable acknowledgement, next to the raw engine.

    python bench/ingest.py            # 3 runs of 300k spans through a real `limelight serve`
    python bench/ingest.py --quick    # a smoke run

Every run starts a fresh server subprocess on a free port with a temp data dir;
client threads (8 keep-alive connections by default, as a collector's exporter
queue would use) post ExportTraceServiceRequest batches of 1,000 spans to
/v1/traces and only 200 answers count. A few warm-up requests go first (the
first big request starts the server's decoder processes) and are not timed.
The stored count (warm-up included) is checked with POST /api/query. The server
seals every `--segment-rows` spans into a Parquet segment while the load runs (its
cost is in the rate); bytes per span is the data on disk once the last seal is done
and the server has stopped (DuckDB file, WAL, hot rows log and segments) divided by the spans
stored. The same bodies then go through the engine in-process, on one thread
(protobuf parse alone; decode; append; decode + DuckDBStore.append), for the
side-by-side figures, and the rows stored in-process are measured three more ways:
sealed by the store, and copied by raw DuckDB into a table and into a Parquet file
with the store's options.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import math
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from _common import ADMIN_KEY, Server, make_bodies, median, table
from limelight.ingest.otlp.common import Target
from limelight.ingest.otlp.traces import decode_traces
from limelight.model import Batch
from limelight.store.duckdb import DuckDBStore
from limelight.store.duckdb.segments import PARQUET

PROTOBUF = "application/x-protobuf"
TARGET_SPANS_PER_S = 50_000
TARGET_BYTES_PER_SPAN = 40
WARM_UP_REQUESTS = 8
WARM_UP_PAUSE_S = 3.0
SEALED_QUIET_S = 2.5  # no segment written for this long: the server's last seal is done


@dataclass
class LoadResult:
    spans_acked: int
    requests_ok: int
    requests_refused: int  # 429/503 answers (retried)
    seconds: float

    @property
    def spans_per_s(self) -> float:
        return self.spans_acked / self.seconds


def post_all(url: str, bodies: list[bytes], spans_per_body: int, connections: int) -> LoadResult:
    """Post every body once over `connections` keep-alive connections; retry 429/503."""
    next_index = itertools.count()
    lock = threading.Lock()
    ok = refused = 0
    errors: list[str] = []
    headers = {"content-type": PROTOBUF, "x-api-key": ADMIN_KEY}

    def worker() -> None:
        nonlocal ok, refused
        with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
            while True:
                with lock:
                    index = next(next_index)
                if index >= len(bodies):
                    return
                while True:
                    response = client.post("/v1/traces", content=bodies[index])
                    if response.status_code == 200:
                        with lock:
                            ok += 1
                        break
                    if response.status_code in (429, 503):
                        with lock:
                            refused += 1
                        time.sleep(min(float(response.headers.get("retry-after", 1)), 0.2))
                        continue
                    errors.append(f"{response.status_code}: {response.text[:200]}")
                    return

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} requests failed, first: {errors[0]}")
    return LoadResult(ok * spans_per_body, ok, refused, seconds)


@dataclass
class EndToEnd:
    load: LoadResult
    stored: int
    file_bytes: int  # the whole data dir
    sealed_rows: int
    sealed_bytes: int  # the segment files

    @property
    def bytes_per_span(self) -> float:
        return self.file_bytes / self.stored

    @property
    def sealed_bytes_per_span(self) -> float:
        return self.sealed_bytes / self.sealed_rows if self.sealed_rows else math.nan


def end_to_end(warm_up: list[bytes], bodies: list[bytes], spans_per_body: int,
               connections: int, segment_rows: int, workdir: Path, run: int) -> EndToEnd:
    """A fresh server: warm-up requests (the first big request starts the decoder
    processes), a pause for them to come up, then the timed load."""
    server = Server(workdir / f"e2e-{run}",
                    env={"LIMELIGHT_SEGMENT_ROWS": str(segment_rows)}).start()
    try:
        warmed = post_all(server.url, warm_up, spans_per_body, connections)
        time.sleep(WARM_UP_PAUSE_S)
        load = post_all(server.url, bodies, spans_per_body, connections)
        stored = server.count()
        wait_for_quiet(server.data_dir)
    finally:
        server.stop()
    acked = warmed.spans_acked + load.spans_acked
    if stored != acked:
        raise RuntimeError(f"stored {stored} spans but {acked} were acknowledged")
    segment_dir = server.database.with_suffix(".segments")
    sealed_rows = duckdb.sql(
        f"SELECT count(*) FROM read_parquet('{segment_dir}/*.parquet')").fetchall()[0][0] if any(
        segment_dir.glob("*.parquet")) else 0
    return EndToEnd(load, stored, tree_bytes(server.data_dir), sealed_rows,
                    tree_bytes(segment_dir))


def tree_bytes(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())


def wait_for_quiet(data_dir: Path) -> None:
    """Until no segment file has appeared or changed for SEALED_QUIET_S."""
    def state() -> list[tuple[str, int]]:
        return sorted((p.name, p.stat().st_size) for p in data_dir.glob("*.segments/*"))
    last, since = state(), time.monotonic()
    while time.monotonic() - since < SEALED_QUIET_S:
        time.sleep(0.25)
        if (now := state()) != last:
            last, since = now, time.monotonic()


def _decode(body: bytes) -> Batch:
    return decode_traces(body, PROTOBUF, Target("otel")).batch


def engine_rates(bodies: list[bytes], spans: int, group: int, workdir: Path,
                 run: int) -> dict[str, float]:
    """Spans/s in-process: parse alone, decode alone, append alone, decode + append."""
    rates: dict[str, float] = {}

    started = time.perf_counter()
    for body in bodies:
        ExportTraceServiceRequest.FromString(body)
    rates["parse"] = spans / (time.perf_counter() - started)

    gc.disable()
    try:
        started = time.perf_counter()
        batches = [_decode(body) for body in bodies]
        rates["decode"] = spans / (time.perf_counter() - started)
    finally:
        gc.enable()

    store = DuckDBStore(workdir / f"append-{run}.duckdb")
    started = time.perf_counter()
    for i in range(0, len(batches), group):
        store.append(batches[i : i + group])
    rates["append"] = spans / (time.perf_counter() - started)
    store.close()
    del batches

    path = workdir / f"engine-{run}.duckdb"
    store = DuckDBStore(path)
    started = time.perf_counter()
    for i in range(0, len(bodies), group):
        gc.disable()
        try:
            decoded = [_decode(body) for body in bodies[i : i + group]]
        finally:
            gc.enable()
        store.append(decoded)
    rates["engine"] = spans / (time.perf_counter() - started)
    store.close()
    rates["engine_bytes"] = path.stat().st_size / spans
    rates["raw_bytes"] = copied_file_bytes(path, workdir / f"raw-{run}.duckdb") / spans
    rates["raw_parquet_bytes"] = parquet_bytes(path, workdir / f"raw-{run}.parquet") / spans
    sealing = DuckDBStore(path, segment_rows=1)
    sealing.seal_due()
    sealing.close()
    assert sealing.segment_dir is not None
    rates["sealed_bytes"] = tree_bytes(sealing.segment_dir) / spans
    return rates


def parquet_bytes(source: Path, target: Path) -> int:
    """Size of the same rows written by raw DuckDB into one Parquet file with the
    options the store seals with."""
    db = duckdb.connect()
    try:
        db.execute("ATTACH ? AS source (READ_ONLY)", [str(source)])
        db.execute(f"COPY source.main.\"otel\" TO '{target}' ({PARQUET})")
    finally:
        db.close()
    return target.stat().st_size


def copied_file_bytes(source: Path, target: Path) -> int:
    """Size of a fresh DuckDB file holding the same rows, written by one CREATE TABLE AS:
    what the raw engine stores for exactly this data when written all at once."""
    db = duckdb.connect(str(target))
    try:
        db.execute("ATTACH ? AS source (READ_ONLY)", [str(source)])
        db.execute('CREATE TABLE otel AS SELECT * FROM source."otel"')
        db.execute("DETACH source")
        db.execute("CHECKPOINT")
    finally:
        db.close()
    return target.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--spans", type=int, default=300_000, help="spans per run")
    parser.add_argument("--batch", type=int, default=1000, help="spans per request")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--segment-rows", type=int, default=100_000,
                        help="the server's LIMELIGHT_SEGMENT_ROWS")
    parser.add_argument("--group", type=int, default=4,
                        help="requests per in-process append (like a group commit)")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.spans = 1, 20_000

    n_bodies = max(1, args.spans // args.batch)
    spans = n_bodies * args.batch
    started = time.perf_counter()
    everything = make_bodies(n_bodies + WARM_UP_REQUESTS, args.batch)
    warm_up, bodies = everything[:WARM_UP_REQUESTS], everything[WARM_UP_REQUESTS:]
    mb = sum(map(len, bodies)) / 1e6
    print(f"generated {n_bodies} requests x {args.batch} spans ({mb:.0f} MB, "
          f"{mb * 1e6 / spans:.0f} B/span on the wire) in {time.perf_counter() - started:.1f}s")

    e2e: list[EndToEnd] = []
    engine: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="limelight-bench-") as tmp:
        for run in range(args.runs):
            result = end_to_end(warm_up, bodies, args.batch, args.connections,
                                args.segment_rows, Path(tmp), run)
            e2e.append(result)
            print(f"run {run + 1}: {result.load.spans_per_s:,.0f} spans/s end to end "
                  f"({result.load.seconds:.2f}s, {result.load.requests_refused} refused), "
                  f"{result.bytes_per_span:.1f} B/span on disk "
                  f"({result.sealed_rows:,} sealed at {result.sealed_bytes_per_span:.1f} B/span)")
        for run in range(args.runs):
            rates = engine_rates(bodies, spans, args.group, Path(tmp), run)
            engine.append(rates)
            print(f"run {run + 1}: in-process parse {rates['parse']:,.0f}/s, "
                  f"decode {rates['decode']:,.0f}/s, append {rates['append']:,.0f}/s, "
                  f"decode+append {rates['engine']:,.0f}/s")

    rate = median([r.load.spans_per_s for r in e2e])
    size = median([r.bytes_per_span for r in e2e])
    sealed = median([r.sealed_bytes_per_span for r in e2e])

    def med(key: str) -> float:
        return median([r[key] for r in engine])

    def verdict(met: bool) -> str:
        return "met" if met else "NOT met"

    print()
    print(f"{spans:,} spans per run, {args.connections} connections, "
          f"{args.batch} spans/request, median of {args.runs} run(s)")
    print(table(
        ["measure", "median", "end to end / this", "target"],
        [
            ["end to end, HTTP + durable ack (spans/s)", f"{rate:,.0f}", "1.00",
             f">= {TARGET_SPANS_PER_S:,}: {verdict(rate >= TARGET_SPANS_PER_S)}"],
            ["in-process decode + DuckDBStore.append (spans/s)", f"{med('engine'):,.0f}",
             f"{rate / med('engine'):.2f}", ""],
            ["in-process decode_traces alone (spans/s)", f"{med('decode'):,.0f}",
             f"{rate / med('decode'):.2f}", ""],
            ["in-process DuckDBStore.append alone (spans/s)", f"{med('append'):,.0f}",
             f"{rate / med('append'):.2f}", ""],
            ["protobuf parse alone, upb (spans/s)", f"{med('parse'):,.0f}",
             f"{rate / med('parse'):.2f}", ""],
            ["bytes on disk per span, server, sealed segments", f"{sealed:.1f}", "",
             f"<= {TARGET_BYTES_PER_SPAN}: {verdict(sealed <= TARGET_BYTES_PER_SPAN)}"],
            ["bytes on disk per span, server, whole data dir (sealed + hot log + table)",
             f"{size:.1f}", "", ""],
            ["bytes on disk per span, in-process, in the DuckDB table",
             f"{med('engine_bytes'):.1f}", "", ""],
            ["bytes on disk per span, in-process, sealed", f"{med('sealed_bytes'):.1f}", "", ""],
            ["bytes on disk per span, the same rows copied by raw DuckDB into a table",
             f"{med('raw_bytes'):.1f}",
             f"table in-process / this: {med('engine_bytes') / med('raw_bytes'):.2f}", ""],
            ["bytes on disk per span, the same rows copied by raw DuckDB into Parquet",
             f"{med('raw_parquet_bytes'):.1f}",
             f"sealed server / this: {sealed / med('raw_parquet_bytes'):.2f}", ""],
        ],
    ))


if __name__ == "__main__":
    main()
