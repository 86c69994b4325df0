"""Prometheus remote write 1.0 bodies as metric rows; snappy bodies bounded before inflating."""

from __future__ import annotations

import cramjam
import pytest

from limelight.ingest import snappy
from limelight.ingest.remote_write import WriteRequest, decode_write


def write_body() -> bytes:
    """What Prometheus sends: two series, one with two samples, one with an exemplar."""
    request = WriteRequest()
    for labels, samples in (
        ({"__name__": "http_requests_total", "job": "shop", "code": "200"},
         [(1027.0, 1_700_000_000_000), (1030.0, 1_700_000_015_000)]),
        ({"__name__": "up", "instance": "db:9100"}, [(1.0, 1_700_000_000_000)]),
    ):
        series = request.timeseries.add()  # type: ignore[attr-defined]
        for name, value in labels.items():
            label = series.labels.add()
            label.name, label.value = name, value
        for value, stamp in samples:
            sample = series.samples.add()
            sample.value, sample.timestamp = value, stamp
    request.timeseries[1].exemplars.append(b"\x0a\x00")  # type: ignore[attr-defined]
    return bytes(cramjam.snappy.compress_raw(request.SerializeToString()))


def test_series_become_gauge_rows() -> None:
    decoded = decode_write(write_body(), 10**6)
    batch = decoded.batch
    assert batch.system["$name"] == ["http_requests_total"] * 2 + ["up"]
    assert batch.system["$service"] == ["shop", "shop", "prometheus"]
    assert batch.system["$timestamp"][1] == 1_700_000_015_000_000_000
    assert batch.attr_values["metric.value"] == [1027.0, 1030.0, 1.0]
    assert batch.attr_values["metric.type"] == ["gauge"] * 3
    assert batch.attr_values["instance"] == ["db:9100"] and batch.attr_rows["instance"] == [2]
    assert "__name__" not in batch.attr_rows
    assert decoded.skipped == 1


def test_garbage_and_bombs_are_refused() -> None:
    with pytest.raises(ValueError, match="not snappy-compressed"):
        decode_write(b"\x05garbage", 10**6)
    with pytest.raises(ValueError, match="not a remote-write WriteRequest"):
        decode_write(bytes(cramjam.snappy.compress_raw(b"\xff\xff\xff")), 10**6)
    bomb = bytes(cramjam.snappy.compress_raw(b"\0" * 2_000_000))
    assert len(bomb) < 200_000
    with pytest.raises(snappy.TooLarge, match="would be 2000000 bytes; the limit is 1000000"):
        decode_write(bomb, 1_000_000)
