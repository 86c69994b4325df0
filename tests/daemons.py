"""Debian's Prometheus-family daemons (Prometheus, Alertmanager) run for real on a free
port with their own storage, for the tests that talk to them."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import httpx

from tests.conftest import free_port

T = TypeVar("T")


def wait_until(check: Callable[[], T | None], timeout: float = 15.0, what: str = "") -> T:
    """Poll `check` until it returns something truthy (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or check}")
        time.sleep(0.05)


class Daemon:
    """One daemon process: `BINARY` started with `CONFIG` written to `CONFIG_NAME`, storage
    under `workdir/data`, ready once `/-/ready` answers 200."""

    BINARY = ""
    CONFIG_NAME = ""
    CONFIG = ""

    def __init__(self, workdir: Path, storage_flag: str, *extra: str,
                 ready_timeout: float = 20) -> None:
        binary = shutil.which(self.BINARY)
        assert binary, f"{self.BINARY} is not installed (.ci/run installs it)"
        workdir.mkdir(parents=True, exist_ok=True)
        config = workdir / self.CONFIG_NAME
        config.write_text(self.CONFIG)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = (workdir / f"{self.BINARY}.log").open("wb")
        self._process = subprocess.Popen(
            [binary, f"--config.file={config}", f"{storage_flag}={workdir / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}", *extra],
            stdout=self._log, stderr=subprocess.STDOUT,
        )
        wait_until(self._ready, timeout=ready_timeout, what=f"{self.BINARY} /-/ready")

    def _ready(self) -> bool:
        assert self._process.poll() is None, f"{self.BINARY} exited; see {self.BINARY}.log"
        try:
            return httpx.get(self.url + "/-/ready", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def close(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._log.close()
