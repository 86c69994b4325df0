"""Fixtures: a real Limelight server (uvicorn on a free port, DuckDB in a temp dir)."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from limelight.app import create_app
from limelight.settings import Settings

ADMIN_KEY = "test-admin-key"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningServer:
    url: str
    data_dir: Path
    admin_key: str
    settings: Settings
    server: uvicorn.Server

    def client(
        self, key: str | None = ADMIN_KEY, headers: dict[str, str] | None = None
    ) -> httpx.Client:
        sent = {"x-api-key": key} if key else {}
        return httpx.Client(base_url=self.url, headers={**sent, **(headers or {})}, timeout=30)

    def create_key(self, scope: str) -> str:
        with self.client() as client:
            response = client.post("/api/api-keys", json={"scope": scope})
            response.raise_for_status()
            return str(response.json()["key"])

    def query(self, spec: dict[str, object]) -> dict[str, object]:
        with self.client() as client:
            response = client.post("/api/query", json=spec)
            assert response.status_code == 200, response.text
            return response.json()  # type: ignore[no-any-return]


def start_server(data_dir: Path, **overrides: object) -> RunningServer:
    port = free_port()
    # Servers ignore the caller's environment, except this: LIMELIGHT_SEGMENT_ROWS=1 runs
    # the suite with every row sealed into segments about a second after it arrives.
    sealing = {name: os.environ[name] for name in ["LIMELIGHT_SEGMENT_ROWS"] if name in os.environ}
    settings = Settings.from_env(sealing, data_dir=data_dir, port=port,
                                 **{"admin_key": ADMIN_KEY, **overrides})
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.02)
    running = RunningServer(f"http://127.0.0.1:{port}", data_dir, ADMIN_KEY, settings, server)
    running.server.thread = thread  # type: ignore[attr-defined]
    return running


def stop_server(running: RunningServer) -> None:
    running.server.should_exit = True
    running.server.thread.join(timeout=30)  # type: ignore[attr-defined]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    """A fresh server per test."""
    running = start_server(tmp_path / "data")
    yield running
    stop_server(running)


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """One server for a module's read-only tests (faster than one per test)."""
    running = start_server(tmp_path_factory.mktemp("shared") / "data")
    yield running
    stop_server(running)
