"""`limelight serve --demo`: the demo shop sending to its own server from a background thread."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from limelight.apikeys import Scope
from limelight.code import stored
from limelight.demo.resources import SERVICE, demo_resources
from limelight.demo.sender import DemoSender

if TYPE_CHECKING:
    from limelight.runtime import Runtime

log = logging.getLogger("limelight.demo")

_ANY_ADDRESS = {"", "0.0.0.0", "::", "localhost"}


class BackgroundDemo:
    def __init__(self, sender: DemoSender, on_stop: Callable[[], object] | None = None) -> None:
        self.sender = sender
        self._on_stop = on_stop
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="limelight-demo", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 15.0) -> None:
        """Stop sending and wait for the thread; safe to call more than once."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)
        self.sender.close()
        if self._on_stop is not None:
            self._on_stop()
            self._on_stop = None

    def _run(self) -> None:
        # The thread starts before the server listens: wait for the health probe.
        if not self.sender.wait_ready(self._stop):
            if not self._stop.is_set():
                log.warning("demo: the server never became ready; not sending")
            return
        try:
            self.sender.run(None, self._stop)
        except Exception:  # a bug in the demo must not take the server down
            log.exception("demo: stopped by an error")


def self_url(host: str, port: int) -> str:
    """The URL a process uses to reach its own server."""
    if host in _ANY_ADDRESS or host.startswith("127."):
        return f"http://127.0.0.1:{port}"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def start_in_server(runtime: Runtime, rate: float = 10.0) -> BackgroundDemo:
    """Start the shop with its own ingest key (revoked again by `stop()`, which must run
    before the runtime closes)."""
    settings = runtime.settings
    url = self_url(settings.host, settings.port)
    apply_in_store(runtime, url)
    key, _ = runtime.keys.create(Scope.INGEST, "demo")
    sender = DemoSender(url, key, rate=rate, strict=False)
    demo = BackgroundDemo(sender, on_stop=lambda: runtime.keys.revoke(key))
    demo.start()
    log.info("demo shop sending to %s", demo.sender.url)
    return demo


def apply_in_store(runtime: Runtime, server_url: str) -> None:
    """The demo's resources, stored as `PUT /api/resources/demo` would store them."""
    now_ms = time.time_ns() // 1_000_000
    current = stored.of_service(runtime.store.meta_list(stored.COLLECTION), SERVICE)
    docs = stored.service_docs(SERVICE, demo_resources(server_url), current, now_ms)
    runtime.store.meta_replace(stored.COLLECTION, stored.prefix(SERVICE), docs)
