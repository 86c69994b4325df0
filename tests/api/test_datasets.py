"""Datasets listing, key listing and per-dataset retention enforced in the background."""

from __future__ import annotations

import time
from pathlib import Path

from tests.conftest import RunningServer, start_server, stop_server

DAY_MS = 86_400_000


def test_datasets_and_keys(server: RunningServer) -> None:
    with server.client() as client:
        client.post("/v1/events/shop", json=[{"message": "a", "user": {"id": 7}},
                                             {"message": "b", "paid": True}])
        datasets = client.get("/api/datasets").json()["datasets"]
        keys = client.get("/api/keys", params={"dataset": "shop"}).json()["keys"]
        assert client.get("/api/keys").status_code == 400
        assert client.get("/api/keys", params={"dataset": "nope"}).status_code == 404
    (shop,) = datasets
    assert shop["name"] == "shop" and shop["events"] == 2 and shop["retention_days"] == 30
    by_key = {k["key"]: k for k in keys}
    assert by_key["user.id"] == {"key": "user.id", "type": "number", "count": 1}
    assert by_key["paid"]["type"] == "bool"
    assert by_key["$message"]["count"] == 2


def test_retention_deletes_old_events_per_dataset(tmp_path: Path) -> None:
    server = start_server(tmp_path / "d", retention_interval_s=0.2)
    try:
        now_ms = time.time_ns() // 1_000_000
        with server.client() as client:
            for dataset in ("short", "long"):
                response = client.post(f"/v1/events/{dataset}", json=[
                    {"message": "old", "timestamp": now_ms - 40 * DAY_MS},
                    {"message": "older than a week", "timestamp": now_ms - 8 * DAY_MS},
                    {"message": "new", "timestamp": now_ms},
                ])
                assert response.status_code == 202
            patched = client.patch("/api/datasets/short", json={"retention_days": 7})
            assert patched.status_code == 200
            refused = client.patch("/api/datasets/short", json={"retention_days": 0})
            assert refused.status_code == 400

        def remaining(dataset: str) -> list[str]:
            result = server.query({"datasets": [dataset], "from": "60d"})
            return sorted(e["$message"] for e in result["events"])  # type: ignore[union-attr]

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(remaining("short")) > 1:
            time.sleep(0.1)
        assert remaining("short") == ["new"]
        assert remaining("long") == ["new", "older than a week"]
    finally:
        stop_server(server)
