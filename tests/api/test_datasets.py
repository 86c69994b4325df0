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


def test_dataset_resources_govern_ingest_and_retention(tmp_path: Path) -> None:
    """A `dataset` resource applied as code: blocked and obfuscated keys, sampling, retention;
    removing the resource lifts them."""
    server = start_server(tmp_path / "d", retention_interval_s=0.2)
    try:
        now_ms = time.time_ns() // 1_000_000
        with server.client() as client:
            client.post("/v1/events/web", json=[{"message": "before"}])
            policy = {"retention_days": 2, "blocked_keys": ["password", "http.header"],
                      "obfuscated_keys": ["user.email"]}
            applied = client.put("/api/resources/shop",
                                 json={"web": {"type": "dataset", "properties": policy}})
            assert applied.status_code == 200, applied.text
            sent = client.post("/v1/events/web", json=[
                {"message": "login", "password": "hunter2", "user": {"email": "a@b.example"},
                 "http": {"header": {"cookie": "c=1"}, "route": "/login"}},
                {"message": "login again", "user": {"email": "a@b.example"}},
                {"message": "three days old", "timestamp": now_ms - 3 * DAY_MS},
            ])
            assert sent.status_code == 202
            refused = client.patch("/api/datasets/web", json={"retention_days": 9})
            assert refused.status_code == 409
            assert "service shop" in refused.json()["message"]
            (web,) = client.get("/api/datasets").json()["datasets"]
            assert web["retention_days"] == 2 and web["managed_by"] == ["shop"]

        def events() -> list[dict[str, object]]:
            result = server.query({"datasets": ["web"], "from": "7d"})
            return result["events"]  # type: ignore[return-value]

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(events()) > 3:
            time.sleep(0.1)
        by_message = {e["$message"]: e for e in events()}
        assert sorted(by_message) == ["before", "login", "login again"]
        login = by_message["login"]
        assert "password" not in login and "http.header.cookie" not in login
        assert login["http.route"] == "/login"
        email = login["user.email"]
        assert isinstance(email, str) and email.startswith("obf:") and "a@b" not in email
        assert by_message["login again"]["user.email"] == email

        with server.client() as client:
            assert client.delete("/api/resources/shop").status_code == 200
            client.post("/v1/events/web", json=[{"message": "free", "password": "p"}])
            assert client.patch("/api/datasets/web", json={"retention_days": 9}).status_code == 200
        free = server.query({"datasets": ["web"], "filters": ["$message = free"]})
        assert free["events"][0]["password"] == "p"  # type: ignore[index]
    finally:
        stop_server(server)
