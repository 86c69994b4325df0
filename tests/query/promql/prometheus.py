"""Debian's real Prometheus on a free port, receiving remote write, for comparing query
results with Limelight's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cramjam
import httpx

from limelight.ingest.remote_write import WriteRequest
from tests.daemons import Daemon

REMOTE_WRITE_HEADERS = {"content-type": "application/x-protobuf", "content-encoding": "snappy",
                        "x-prometheus-remote-write-version": "0.1.0"}
# (labels with __name__, [(unix ms, value), ...] oldest first)
SeriesSamples = tuple[dict[str, str], list[tuple[int, float]]]


def remote_write_body(series: list[SeriesSamples]) -> bytes:
    request = WriteRequest()
    for labels, samples in series:
        written = request.timeseries.add()  # type: ignore[attr-defined]
        for name, value in sorted(labels.items()):
            label = written.labels.add()
            label.name, label.value = name, value
        for stamp, value in samples:
            sample = written.samples.add()
            sample.timestamp, sample.value = stamp, value
    return bytes(cramjam.snappy.compress_raw(request.SerializeToString()))


class Prometheus(Daemon):
    BINARY = "prometheus"
    CONFIG_NAME = "prometheus.yml"
    CONFIG = "global:\n  scrape_interval: 1h\n  evaluation_interval: 1m\n"

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir, "--storage.tsdb.path", "--web.enable-remote-write-receiver",
                         ready_timeout=30)

    def write(self, body: bytes) -> None:
        response = httpx.post(self.url + "/api/v1/write", content=body,
                              headers=REMOTE_WRITE_HEADERS, timeout=30)
        assert response.status_code == 204, response.text

    def get(self, path: str, params: dict[str, Any]) -> httpx.Response:
        return httpx.get(self.url + path, params=params, timeout=30)
