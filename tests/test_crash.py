"""Acknowledged means durable: kill -9 the server mid-stream, restart, nothing acked is lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.conftest import free_port

KEY = "crash-test-key"


def start(data_dir: Path, port: int, segment_rows: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LIMELIGHT_ADMIN_KEY": KEY, "LIMELIGHT_SEGMENT_ROWS": str(segment_rows)}
    process = subprocess.Popen(
        [sys.executable, "-m", "limelight", "serve", "--port", str(port),
         "--data-dir", str(data_dir)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("server did not start")


def spans_request(batch: int, size: int) -> bytes:
    request = ExportTraceServiceRequest()
    spans = request.resource_spans.add().scope_spans.add().spans
    now = time.time_ns()
    for i in range(size):
        span = spans.add()
        span.name = f"b{batch}"
        span.trace_id = (batch * size + i + 1).to_bytes(16, "big")
        span.span_id = (i + 1).to_bytes(8, "big")
        span.start_time_unix_nano = now
        span.end_time_unix_nano = now + 1000
    return request.SerializeToString()


def sealed_files(data_dir: Path) -> int:
    return len(list(data_dir.glob("*.segments/*.parquet")))


# 1,000 rows: the server seals about every second, so the kill lands while segments are
# being written and committed.
@pytest.mark.parametrize("segment_rows", [0, 1_000], ids=["unsealed", "sealing"])
def test_kill_9_mid_stream_loses_no_acknowledged_span(tmp_path: Path, segment_rows: int) -> None:
    data_dir, port = tmp_path / "data", free_port()
    url = f"http://127.0.0.1:{port}"
    server = start(data_dir, port, segment_rows)
    acked: list[int] = []
    stop = threading.Event()

    def send(worker: int) -> None:
        batch = worker
        with httpx.Client(base_url=url, headers={"x-api-key": KEY,
                                                 "content-type": "application/x-protobuf"}) as c:
            while not stop.is_set():
                try:
                    if c.post("/v1/traces", content=spans_request(batch, 200)).status_code == 200:
                        acked.append(batch)
                except httpx.HTTPError:
                    return  # the server died under us: that request was never acknowledged
                batch += 4

    senders = [threading.Thread(target=send, args=(w,)) for w in range(4)]
    for thread in senders:
        thread.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (
            len(acked) < 20 or (segment_rows and sealed_files(data_dir) < 2)):
        time.sleep(0.01)
    server.send_signal(signal.SIGKILL)  # while the senders are still sending
    server.wait()
    stop.set()
    for thread in senders:
        thread.join()
    assert len(acked) >= 20
    assert not segment_rows or sealed_files(data_dir) >= 2

    restarted = start(data_dir, port, segment_rows)
    try:
        response = httpx.post(f"{url}/api/query", headers={"x-api-key": KEY}, json={
            "datasets": ["otel"], "calculations": ["COUNT"], "groupBys": ["$name"],
            "from": "1h", "limit": 10000,
        })
        stored = {a["groups"]["$name"]: a["values"]["COUNT"] for a in response.json()["aggregates"]}
    finally:
        restarted.terminate()
        restarted.wait(timeout=30)
    missing = [b for b in acked if stored.get(f"b{b}") != 200]
    assert not missing, f"{len(missing)} acknowledged batches lost or partial: {missing[:5]}"


def children_of(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_decoder_processes_end_with_a_killed_server(tmp_path: Path) -> None:
    port = free_port()
    server = start(tmp_path / "data", port, 0)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={
                "x-api-key": KEY, "content-type": "application/x-protobuf"}) as client:
            deadline = time.monotonic() + 60
            while len(children_of(server.pid)) < 2 and time.monotonic() < deadline:
                # Big requests start the decoder processes.
                assert client.post("/v1/traces", content=spans_request(0, 3000)).status_code == 200
                time.sleep(0.2)
        decoders = children_of(server.pid)
        assert len(decoders) >= 2
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()
    deadline = time.monotonic() + 15
    while any(alive(pid) for pid in decoders) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [pid for pid in decoders if alive(pid)]
    for pid in left:  # not to leave them to the next test
        os.kill(pid, signal.SIGKILL)
    assert not left, f"{len(left)} of the server's processes outlived it"
