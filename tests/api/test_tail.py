"""GET /api/tail: new events as Server-Sent Events, resumable from the last id."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx

from tests.conftest import ADMIN_KEY, RunningServer


def send(server: RunningServer, *messages: str) -> None:
    with server.client() as client:
        response = client.post("/v1/events/tail", json=[{"message": m} for m in messages])
        assert response.status_code == 202


def first_event(server: RunningServer, params: dict[str, str],
                headers: dict[str, str] | None = None,
                while_open: tuple[str, ...] = ()) -> tuple[str, dict[str, Any]]:
    """Open the stream, send `while_open`, and return the first event's SSE id and data."""
    sender = threading.Thread(target=send, args=(server, *while_open))
    with httpx.Client(base_url=server.url, timeout=15,
                      headers={"x-api-key": ADMIN_KEY, **(headers or {})}) as client, \
            client.stream("GET", "/api/tail", params=params) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.iter_lines()
        assert next(lines) == ": tailing"
        if while_open:
            sender.start()
        try:
            event_id = ""
            for line in lines:
                if line.startswith("id: "):
                    event_id = line[4:]
                if line.startswith("data: "):
                    return event_id, json.loads(line[6:])
        finally:
            if while_open:
                sender.join()
    raise AssertionError("the stream ended")


def test_tail_streams_only_new_matching_events(server: RunningServer) -> None:
    send(server, "old news")
    event_id, event = first_event(server, {"dataset": "tail", "filter": "$message != skip"},
                                  while_open=("skip", "fresh"))
    assert event["$message"] == "fresh"
    assert event_id == f"tail:{event['$id']}"


def test_tail_resumes_after_last_event_id(server: RunningServer) -> None:
    send(server, "first", "second")
    with server.client() as client:
        events = client.post("/api/query", json={"datasets": ["tail"]}).json()["events"]
    first = next(e for e in events if e["$message"] == "first")
    _, event = first_event(server, {"dataset": "tail"}, {"last-event-id": f"tail:{first['$id']}"})
    assert event["$message"] == "second"


def test_tail_refuses_unknown_datasets_and_bad_filters(server: RunningServer) -> None:
    send(server, "x")
    with server.client() as client:
        assert client.get("/api/tail", params={"dataset": "nope"}).status_code == 400
        bad = client.get("/api/tail", params={"dataset": "tail", "filter": "$message BETWEEN 1"})
        assert bad.status_code == 400


def stream_messages(server: RunningServer, key: str, params: dict[str, str],
                    while_open: Any, stop_after: int) -> list[dict[str, Any]]:
    """Open the stream with `key`, run `while_open()` in a thread, and gather events until
    `stop_after` arrived, the server ends the stream or 20 s passed."""
    events: list[dict[str, Any]] = []
    deadline = time.monotonic() + 20
    with httpx.Client(base_url=server.url, timeout=30, headers={"x-api-key": key}) as client, \
            client.stream("GET", "/api/tail", params=params) as response:
        assert response.status_code == 200
        lines = response.iter_lines()
        assert next(lines) == ": tailing"
        worker = threading.Thread(target=while_open)
        worker.start()
        try:
            for line in lines:
                if line.startswith("data: "):
                    events.append(json.loads(line[6:]))
                if len(events) >= stop_after or time.monotonic() > deadline:
                    break
        finally:
            worker.join()
    return events


def test_a_burst_bigger_than_a_page_arrives_whole(server: RunningServer) -> None:
    def burst() -> None:
        with server.client() as client:
            for part in range(4):  # 2,400 events within a poll or two: pages of 500
                events = [{"message": f"burst {part * 600 + i}"} for i in range(600)]
                assert client.post("/v1/events/burst", json=events).status_code == 202

    send_to = {"dataset": "burst"}
    with server.client() as client:  # the dataset exists before the stream opens
        assert client.post("/v1/events/burst", json=[{"message": "before"}]).status_code == 202
    events = stream_messages(server, ADMIN_KEY, send_to, burst, stop_after=2400)
    assert [e["$message"] for e in events] == [f"burst {i}" for i in range(2400)]


def test_revoking_the_key_ends_the_stream(server: RunningServer) -> None:
    send(server, "before")
    with server.client() as client:
        created = client.post("/api/api-keys", json={"scope": "query"}).json()
    key, key_id = created["key"], created["id"]

    def revoke_then_send() -> None:
        with server.client() as client:
            revoked = client.delete(f"/api/api-keys/{key_id}")
            assert revoked.status_code == 200, revoked.text
            time.sleep(1.5)  # past the stream's next poll
            assert client.post("/v1/events/tail", json=[{"message": "after revoke"}]
                               ).status_code == 202

    events = stream_messages(server, key, {"dataset": "tail"}, revoke_then_send, stop_after=1)
    assert events == []  # the stream ended without showing it


def test_a_tail_of_more_datasets_than_it_follows_is_400(server: RunningServer) -> None:
    with server.client() as client:
        for i in range(51):
            assert client.post(f"/v1/events/many{i}", json=[{"message": "x"}]).status_code == 202
        refused = client.get("/api/tail")
        assert refused.status_code == 400
        assert "a tail follows at most 50: name them with ?dataset=" in refused.json()["message"]
