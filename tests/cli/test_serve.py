"""`limelight serve` refuses to start with one clear line when it cannot, making nothing."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx

from limelight.settings import describe
from tests.conftest import RunningServer, free_port


def serve(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "limelight", "serve", *args],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


def test_a_data_dir_another_server_uses_is_refused(server: RunningServer) -> None:
    started = serve("--port", "0", "--data-dir", str(server.data_dir))
    assert started.returncode == 1
    assert f"{server.data_dir} is in use by another Limelight" in started.stderr
    assert "Traceback" not in started.stderr


def test_a_port_in_use_is_refused_before_the_data_dir_is_made(server: RunningServer,
                                                              tmp_path: Path) -> None:
    port = str(urlparse(server.url).port)
    started = serve("--port", port, "--data-dir", str(tmp_path / "new"))
    assert started.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in started.stderr
    assert "admin" not in started.stderr  # no first keys shown, then lost
    assert not (tmp_path / "new").exists()


def test_bad_settings_are_one_line(tmp_path: Path) -> None:
    bad_env = serve("--data-dir", str(tmp_path / "d"), env={"LIMELIGHT_PORT": "abc"})
    assert bad_env.returncode == 1 and "LIMELIGHT_PORT='abc'" in bad_env.stderr
    (tmp_path / "file").write_text("x")
    a_file = serve("--port", "0", "--data-dir", str(tmp_path / "file"))
    assert a_file.returncode == 1 and "is a file, not a directory" in a_file.stderr
    far = serve("--port", "99999")
    assert far.returncode == 2 and "99999 is not in the range" in far.stderr
    for started in (bad_env, a_file, far):
        assert "Traceback" not in started.stderr


def test_help_lists_every_setting_with_its_default() -> None:
    shown = serve("--help")
    assert shown.returncode == 0
    text = " ".join(shown.stdout.split())  # help text is wrapped to the terminal
    for _, env, default, help_text in describe():
        assert env in text, f"serve --help does not mention {env}"
        assert " ".join(help_text.split()) in text
        if default not in ("", False):
            assert f"default {default}" in text


def test_connections_past_the_limit_are_answered_503(tmp_path: Path) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "limelight", "serve", "--port", str(port),
         "--data-dir", str(tmp_path / "data")],
        env={**os.environ, "LIMELIGHT_MAX_CONNECTIONS": "3"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/healthz"
    idle: list[socket.socket] = []
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(url).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        # Clients that connect and send nothing (or trickle) hold the connections.
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
        time.sleep(0.3)
        assert httpx.get(url).status_code == 503
        for connection in idle:
            connection.close()
        time.sleep(0.3)
        assert httpx.get(url).status_code == 200
    finally:
        for connection in idle:
            connection.close()
        server.terminate()
        server.wait(timeout=30)


def test_what_the_server_writes_is_its_user_s_alone(tmp_path: Path) -> None:
    port = free_port()
    data_dir = tmp_path / "data"
    server = subprocess.Popen(
        [sys.executable, "-m", "limelight", "serve", "--port", str(port),
         "--data-dir", str(data_dir)],
        env={**os.environ, "LIMELIGHT_ADMIN_KEY": "perm-key"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not (data_dir / "limelight.duckdb").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        written = list(data_dir.rglob("*"))
        assert written
        for path in written:
            assert path.stat().st_mode & 0o077 == 0, f"{path} is {oct(path.stat().st_mode)}"
    finally:
        server.terminate()
        server.wait(timeout=30)
