"""Real local receivers for notifications: HTTP servers speaking Slack's, PagerDuty's and a
webhook's protocol, an SMTP server (aiosmtpd) and a real Alertmanager process."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import httpx
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.conftest import RunningServer, free_port
from tests.daemons import Daemon

T = TypeVar("T")


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Reply = Callable[[Request, int], tuple[int, str, bytes]]  # (request, n-th) -> status, type, body


@dataclass
class Receiver:
    """An HTTP server on a free local port that records each POST and answers with `reply`."""

    reply: Reply
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                request = Request(self.path, {k.lower(): v for k, v in self.headers.items()},
                                  body)
                with receiver._lock:
                    receiver.requests.append(request)
                    count = len(receiver.requests)
                status, content_type, answer = receiver.reply(request, count)
                self.send_response(status)
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def received(self) -> list[Request]:
        with self._lock:
            return list(self.requests)

    def bodies(self) -> list[Any]:
        return [r.json() for r in self.received()]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def slack_reply(request: Request, count: int) -> tuple[int, str, bytes]:
    """Slack incoming webhooks answer a plain `ok`, or 400 `invalid_payload`."""
    body = request.json()
    if not isinstance(body.get("text"), str) or not body["text"]:
        return 400, "text/plain", b"invalid_payload"
    return 200, "text/plain", b"ok"


def pagerduty_reply(request: Request, count: int) -> tuple[int, str, bytes]:
    """Events API v2: 202 with the dedup_key; 400 for an event it would reject."""
    body = request.json()
    valid = (request.path == "/v2/enqueue" and body.get("routing_key")
             and body.get("event_action") in ("trigger", "acknowledge", "resolve")
             and (body["event_action"] != "trigger" or (
                 body.get("payload", {}).get("summary") and body["payload"].get("source")
                 and body["payload"].get("severity") in ("critical", "error", "warning",
                                                         "info"))))
    if not valid:
        answer = {"status": "invalid event", "message": "Event object is invalid"}
        return 400, "application/json", json.dumps(answer).encode()
    answer = {"status": "success", "message": "Event processed",
              "dedup_key": body.get("dedup_key")}
    return 202, "application/json", json.dumps(answer).encode()


def signed_reply(secret: str) -> Reply:
    """A webhook receiver that checks `X-Limelight-Signature` and refuses bad signatures."""

    def reply(request: Request, count: int) -> tuple[int, str, bytes]:
        expected = "sha256=" + hmac.new(secret.encode(), request.body,
                                        hashlib.sha256).hexdigest()
        given = request.headers.get("x-limelight-signature", "")
        if not hmac.compare_digest(expected, given):
            return 401, "text/plain", b"bad signature"
        return 200, "application/json", b'{"received": true}'

    return reply


def flaky_reply(failures: int) -> Reply:
    """503 for the first `failures` requests, then 200."""

    def reply(request: Request, count: int) -> tuple[int, str, bytes]:
        if count <= failures:
            return 503, "text/plain", b"temporarily unavailable"
        return 200, "text/plain", b"ok"

    return reply


class Mailbox:
    """A local SMTP server (aiosmtpd) keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[Envelope, EmailMessage]] = []
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        mail = message_from_bytes(content, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        self.messages.append((envelope, mail))
        return "250 Message accepted for delivery"

    def close(self) -> None:
        self._controller.stop()


class Alertmanager(Daemon):
    """Debian's prometheus-alertmanager, no clustering."""

    BINARY = "prometheus-alertmanager"
    CONFIG_NAME = "alertmanager.yml"
    CONFIG = 'route:\n  receiver: "null"\nreceivers:\n  - name: "null"\n'

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir, "--storage.path", "--cluster.listen-address=")

    def alerts(self) -> list[dict[str, Any]]:
        response = httpx.get(self.url + "/api/v2/alerts", timeout=5)
        response.raise_for_status()
        found: list[dict[str, Any]] = response.json()
        return found


def put_resources(server: RunningServer, service: str,
                  resources: dict[str, tuple[str, dict[str, Any]]]) -> None:
    """Store resources the way `limelight apply` does (meta collection `resources`)."""
    store = server.server.config.app.state.limelight.store
    for resource_id, (kind, properties) in resources.items():
        store.meta_put("resources", f"{service}/{resource_id}", {
            "service": service, "id": resource_id, "type": kind, "properties": properties,
            "updated_ms": int(time.time() * 1000)})


def send_events(server: RunningServer, events: list[dict[str, Any]],
                dataset: str = "app") -> None:
    with server.client() as client:
        response = client.post(f"/v1/events/{dataset}", json=events)
        assert response.status_code == 202, response.text


def alert_view(server: RunningServer, ref: str) -> dict[str, Any]:
    with server.client() as client:
        response = client.get(f"/api/alerts/{ref}")
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found


def history(server: RunningServer, ref: str, **params: Any) -> list[dict[str, Any]]:
    with server.client() as client:
        response = client.get(f"/api/alerts/{ref}/history", params=params)
        assert response.status_code == 200, response.text
        entries: list[dict[str, Any]] = response.json()["entries"]
        return entries

