"""Ask AI with an OpenAI-compatible provider: nothing identifying leaves, answers are restored."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.ai.incidents import payment_outage
from tests.conftest import RunningServer, start_server, stop_server

SECRETS = {
    "user.email": "jane.doe@example.com",
    "client.ip": "198.51.100.23",
    "note": "call +44 20 7946 0958 or (415) 555-0100, card 4111 1111 1111 1111",
    "http.request.header.authorization": "Bearer s3cr3t-b34r3r-t0k3n-value",
    "token_hint": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJqYW5lIn0.c2lnbmF0dXJlLXZhbHVl",
    "vendor.key": "sk_live_51HxYzAbCdEfGhIjKlMnOpQr",
    "user.id": "cust-88231",
    "db": {"password": "hunter2-very-secret"},
    "origin": "203.0.113.9",
    "message": "payment timed out for jane.doe@example.com from 203.0.113.9",
}
LEAKS = ["jane.doe@example.com", "198.51.100.23", "7946 0958", "555-0100", "4111 1111",
         "s3cr3t-b34r3r", "eyJhbGciOiJIUzI1NiJ9", "sk_live_51", "cust-88231", "hunter2",
         "203.0.113.9"]


class FakeProvider(ThreadingHTTPServer):
    mode = "echo"
    bodies: list[dict[str, Any]]


class Handler(BaseHTTPRequestHandler):
    server: FakeProvider

    def log_message(self, format: str, *args: Any) -> None:
        del format, args

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        self.server.bodies.append({"path": self.path, "auth": self.headers.get("authorization"),
                                   "body": body})
        if self.server.mode == "slow":
            time.sleep(3)
        if self.server.mode == "refuse":
            self.send_response(429)
            self.end_headers()
            return
        data = body["messages"][1]["content"]
        placeholders = sorted(set(re.findall(r"<(?:EMAIL|IP|USER)_\d+>", data)))
        content = "not json at all" if self.server.mode == "malformed" else json.dumps({
            "summary": "Checkout payments to acme fail for " + ", ".join(placeholders),
            "root_cause": "acme times out", "evidence": ["seen " + " ".join(placeholders)],
            "actions": ["fail over to stripe"],
        })
        answer = json.dumps({"choices": [{"message": {"role": "assistant",
                                                      "content": content}}]}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


@pytest.fixture
def provider() -> Iterator[FakeProvider]:
    fake = FakeProvider(("127.0.0.1", 0), Handler)
    fake.bodies = []
    thread = threading.Thread(target=fake.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.shutdown()
    fake.server_close()


@pytest.fixture
def ai_server(tmp_path: Path, provider: FakeProvider) -> Iterator[RunningServer]:
    running = start_server(tmp_path / "d", ai_base_url=f"http://127.0.0.1:{provider.server_port}/v1",
                           ai_model="test-model", ai_api_key="provider-key", ai_timeout_s=1.0)
    payment_outage(running, extra=SECRETS)
    yield running
    stop_server(running)


TARGET = {"kind": "query", "query": {"datasets": ["requests"], "calculations": ["COUNT"],
                                     "filters": ["$error = true"], "from": "60m",
                                     "granularity": "1m"}}


def ask(server: RunningServer, preview: bool = False) -> dict[str, Any]:
    with server.client() as client:
        response = client.post("/api/explain", json={"target": TARGET, "preview": preview})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_nothing_identifying_reaches_the_provider_and_the_answer_is_restored(
    ai_server: RunningServer, provider: FakeProvider
) -> None:
    answer = ask(ai_server)
    (call,) = provider.bodies
    assert call["path"] == "/v1/chat/completions"
    assert call["auth"] == "Bearer provider-key"
    sent = json.dumps(call["body"])
    for leak in LEAKS:
        assert leak not in sent, leak
    assert "<EMAIL_" in sent and "<USER_" in sent
    assert "<telemetry>" in call["body"]["messages"][1]["content"]
    # The payload shown to the user is exactly what was sent.
    assert answer["sent_payload"] == call["body"]
    assert answer["provider"] == "test-model"
    assert "jane.doe@example.com" in answer["summary"]
    assert "cust-88231" in answer["summary"]
    assert answer["actions"] == ["fail over to stripe"]


def test_every_outbound_payload_is_audited(
    ai_server: RunningServer, provider: FakeProvider
) -> None:
    ask(ai_server)
    with ai_server.client() as client:
        entries = client.get("/api/explain/audit").json()["entries"]
    (entry,) = entries
    assert entry["payload"] == provider.bodies[0]["body"]
    assert entry["outcome"] == "ok"
    assert "db.password" in entry["dropped_keys"]


def test_preview_sends_nothing(ai_server: RunningServer, provider: FakeProvider) -> None:
    answer = ask(ai_server, preview=True)
    assert provider.bodies == []
    assert answer["sent_payload"]["model"] == "test-model"
    for leak in LEAKS:
        assert leak not in json.dumps(answer["sent_payload"])
    assert answer["summary"]  # the offline explanation still answers


@pytest.mark.parametrize("mode", ["malformed", "slow", "refuse"])
def test_a_failing_provider_degrades_to_the_offline_explanation(
    ai_server: RunningServer, provider: FakeProvider, mode: str
) -> None:
    provider.mode = mode
    answer = ask(ai_server)
    assert answer["provider"] == "offline"
    assert "provider failed" in answer["note"]
    assert "spike" in answer["summary"]
    assert answer["root_cause"]
    with ai_server.client() as client:
        (entry,) = client.get("/api/explain/audit").json()["entries"]
    assert entry["outcome"] != "ok"
