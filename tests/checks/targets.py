"""Real local websites for checks to probe: HTTP or HTTPS, with an answer that can change."""

from __future__ import annotations

import contextlib
import ssl
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import trustme


@dataclass
class Answer:
    status: int = 200
    body: bytes = b"ok"
    delay_s: float = 0.0


class Site:
    """A server on a free local port answering every GET/POST with the current Answer."""

    def __init__(self, answer: Answer | None = None, tls: ssl.SSLContext | None = None) -> None:
        self.answer = answer or Answer()
        self.hits = 0
        self.seen: list[tuple[str, str, dict[str, str], bytes]] = []  # method, path, headers, body
        site = self

        class Handler(BaseHTTPRequestHandler):
            def handle_any(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                with site._lock:
                    site.hits += 1
                    site.seen.append((self.command, self.path,
                                      {k.lower(): v for k, v in self.headers.items()}, body))
                    answer = site.answer
                time.sleep(answer.delay_s)
                # A probe that timed out has hung up already.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.send_response(answer.status)
                    self.send_header("content-type", "text/plain")
                    self.send_header("content-length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)

            do_GET = do_POST = handle_any

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.scheme = "http"
        if tls is not None:
            self.scheme = "https"
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"{self.scheme}://localhost:{self._server.server_address[1]}/health"

    def answer_with(self, **changes: Any) -> None:
        with self._lock:
            self.answer = Answer(**{**self.answer.__dict__, **changes})

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class Authority:
    """A test certificate authority issuing `localhost` certificates expiring when asked."""

    def __init__(self) -> None:
        self.ca = trustme.CA()

    def server_context(self, days_left: float) -> ssl.SSLContext:
        now = datetime.now(UTC)
        leaf = self.ca.issue_cert("localhost", "127.0.0.1", not_before=now - timedelta(days=30),
                                  not_after=now + timedelta(days=days_left))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        leaf.configure_cert(context)
        return context

    def write_pem(self, path: Path) -> Path:
        self.ca.cert_pem.write_to_path(str(path))
        return path
