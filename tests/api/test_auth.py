"""API keys and scopes over HTTP: 401 without a known key, 403 for the wrong scope."""

from __future__ import annotations

from pathlib import Path

import pytest
from google.rpc import status_pb2

from tests.conftest import RunningServer, start_server, stop_server

QUERY = ("POST", "/api/query", {"datasets": ["otel"]})
INGEST = ("POST", "/v1/events/app", [{"message": "hello"}])
ADMIN = ("GET", "/api/api-keys", None)


def call(server: RunningServer, key: str | None, request: tuple[str, str, object]) -> int:
    method, path, body = request
    with server.client(key) as client:
        return client.request(method, path, json=body).status_code


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        ("ingest", {"ingest": 202, "query": 403, "admin": 403}),
        ("query", {"ingest": 403, "query": (200, 400), "admin": 403}),
        ("admin", {"ingest": 202, "query": (200, 400), "admin": 200}),
    ],
    ids=["ingest-key", "query-key", "admin-key"],
)
def test_scopes(server: RunningServer, scope: str, expected: dict[str, object]) -> None:
    key = server.create_key(scope)
    got = {
        "ingest": call(server, key, INGEST),
        "query": call(server, key, QUERY),
        "admin": call(server, key, ADMIN),
    }
    for area, status in expected.items():
        allowed = status if isinstance(status, tuple) else (status,)
        assert got[area] in allowed, (area, got)


@pytest.mark.parametrize("request_", [QUERY, INGEST, ADMIN], ids=["query", "ingest", "admin"])
def test_missing_or_unknown_key_is_401(
    server: RunningServer, request_: tuple[str, str, object]
) -> None:
    assert call(server, None, request_) == 401
    assert call(server, "ll_a_not-a-real-key", request_) == 401


def test_bearer_header_works_like_x_api_key(server: RunningServer) -> None:
    key = server.create_key("query")
    with server.client(None, headers={"Authorization": f"Bearer {key}"}) as client:
        assert client.get("/api/datasets").status_code == 200


def test_revoked_key_stops_working(server: RunningServer) -> None:
    key = server.create_key("ingest")
    assert call(server, key, INGEST) == 202
    with server.client() as client:
        listed = client.get("/api/api-keys").json()["keys"]
        key_id = next(k["id"] for k in listed if k["scope"] == "ingest" and k["name"] == "")
        assert client.delete(f"/api/api-keys/{key_id}").status_code == 200
    assert call(server, key, INGEST) == 401


def test_first_start_writes_owner_only_admin_key_file(server: RunningServer) -> None:
    path = server.data_dir / "admin.key"
    assert path.stat().st_mode & 0o777 == 0o600
    key = path.read_text().strip()
    assert call(server, key, ADMIN) == 200


def test_keys_survive_a_restart(tmp_path: object) -> None:
    from pathlib import Path

    from tests.conftest import start_server, stop_server

    data = Path(str(tmp_path)) / "d"
    first = start_server(data)
    key = first.create_key("query")
    stop_server(first)
    second = start_server(data)
    try:
        assert call(second, key, QUERY) in (200, 400)
        assert call(second, key, ADMIN) == 403
    finally:
        stop_server(second)


def test_healthz_needs_no_key(server: RunningServer) -> None:
    assert call(server, None, ("GET", "/healthz", None)) == 200


@pytest.mark.parametrize(("content_type", "key_scope", "status"), [
    ("application/x-protobuf", None, 401), ("application/x-protobuf", "query", 403),
    ("application/json", None, 401), ("application/json", "query", 403),
], ids=["protobuf-401", "protobuf-403", "json-401", "json-403"])
def test_otlp_refusals_are_statuses_in_the_request_encoding(
    server: RunningServer, content_type: str, key_scope: str | None, status: int
) -> None:
    key = server.create_key(key_scope) if key_scope else None
    with server.client(key) as client:
        response = client.post("/v1/traces", content=b"", headers={"content-type": content_type})
    assert response.status_code == status
    assert response.headers["content-type"] == content_type
    if content_type == "application/json":
        message = response.json()["message"]
    else:
        message = status_pb2.Status.FromString(response.content).message
    assert ("scope query" if key_scope else "API key") in message


def test_the_last_admin_key_cannot_be_revoked(tmp_path: Path) -> None:
    running = start_server(tmp_path / "data", admin_key="")  # no LIMELIGHT_ADMIN_KEY
    try:
        first = (tmp_path / "data" / "admin.key").read_text().strip()
        with running.client(first) as client:
            (stored,) = [k for k in client.get("/api/api-keys").json()["keys"]
                         if k["scope"] == "admin"]
            refused = client.delete(f"/api/api-keys/{stored['id']}")
            assert refused.status_code == 409
            assert "last admin key" in refused.json()["message"]
            second = client.post("/api/api-keys", json={"scope": "admin"}).json()["key"]
            assert client.delete(f"/api/api-keys/{stored['id']}").status_code == 200
        with running.client(second) as client:
            assert client.get("/api/api-keys").status_code == 200
    finally:
        stop_server(running)


def test_unknown_paths_and_methods_answer_json_naming_what_is_allowed(
        server: RunningServer) -> None:
    with server.client() as client:
        missing = client.get("/api/nothing-here")
        assert missing.status_code == 404
        assert missing.json() == {"message": "no such endpoint: GET /api/nothing-here"}
        # /api/api-keys is two routes (GET, POST): the 405 names both.
        wrong = client.delete("/api/api-keys")
        assert wrong.status_code == 405
        assert wrong.headers["allow"] == "GET, HEAD, POST"
        assert wrong.json()["message"] == "DELETE is not allowed here; use GET, HEAD, POST"
        head = client.head("/api/tail", timeout=5)
        assert head.status_code == 200
        assert head.headers["content-type"].startswith("text/event-stream")
    with server.client(None) as client:
        refused = client.get("/api/datasets")
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == 'Bearer realm="limelight"'
