"""Loki push through the server: JSON, gzip JSON, snappy protobuf, and the refusals."""

from __future__ import annotations

import gzip

import httpx
import msgspec

from tests.conftest import RunningServer
from tests.ingest.test_loki import TRACE, protobuf_body

PUSH = "/loki/api/v1/push"


def test_loki_pushes_land_in_logs(server: RunningServer) -> None:
    json_body = msgspec.json.encode({"streams": [{"stream": {"job": "api", "level": "info"},
                                                  "values": [["1700000000000000001", "one"]]}]})
    key = server.create_key("ingest")
    with server.client(key) as client:
        plain = client.post(PUSH, content=json_body, headers={"content-type": "application/json"})
        zipped = client.post(PUSH, content=gzip.compress(json_body.replace(b"one", b"two")),
                             headers={"content-type": "application/json",
                                      "content-encoding": "gzip"})
        proto = client.post(PUSH, content=protobuf_body(),
                            headers={"content-type": "application/x-protobuf"})
        wrong_type = client.post(PUSH, content=b"x", headers={"content-type": "text/plain"})
        broken = client.post(PUSH, content=b'{"streams": 1}',
                             headers={"content-type": "application/json"})
    with server.client(server.create_key("query")) as reader:
        refused = reader.post(PUSH, content=json_body,
                              headers={"content-type": "application/json"})
    # Loki clients' basic_auth: the key as the password (any user name).
    with httpx.Client(base_url=server.url, auth=("tenant", key)) as basic:
        by_basic = basic.post(PUSH, content=json_body.replace(b"one", b"three"),
                              headers={"content-type": "application/json"})
    with httpx.Client(base_url=server.url, auth=("tenant", "wrong")) as basic:
        bad_basic = basic.post(PUSH, content=json_body,
                               headers={"content-type": "application/json"})
    assert by_basic.status_code == 204 and bad_basic.status_code == 401
    assert (plain.status_code, zipped.status_code, proto.status_code) == (204, 204, 204)
    assert wrong_type.status_code == 415
    assert "application/x-protobuf" in wrong_type.json()["message"]
    assert broken.status_code == 400 and "streams" in broken.json()["message"]
    assert refused.status_code == 403

    result = server.query({"datasets": ["logs"], "from": "2023-11-01T00:00:00Z",
                           "to": "2023-11-30T00:00:00Z"})
    by_message = {e["$message"]: e for e in result["events"]}  # type: ignore[union-attr]
    assert sorted(by_message) == ["one", "payment failed", "three", "two"]
    assert by_message["one"]["$service"] == "api" and by_message["one"]["$level"] == "info"
    failed = by_message["payment failed"]
    assert (failed["$service"], failed["$level"], failed["$trace_id"]) == (
        "checkout", "error", TRACE)


def test_a_time_no_store_keeps_is_400_naming_it(server: RunningServer) -> None:
    body = msgspec.json.encode({"streams": [{"stream": {"job": "api"}, "values": [
        ["1700000000000000001", "kept? no"], ["99999999999999999999", "far"]]}]})
    with server.client(server.create_key("ingest")) as client:
        response = client.post(PUSH, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert "99999999999999999999 ns since 1970" in response.json()["message"]
    with server.client() as client:
        assert client.get("/api/datasets").json()["datasets"] == []
