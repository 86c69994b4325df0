"""Fixtures for alert tests: a server that evaluates alerts every second, and receivers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.alerts.receivers import Alertmanager, Mailbox, Receiver, Reply
from tests.conftest import RunningServer, start_server, stop_server

# Alerts in tests run every second; users are held to 10s by validation.
FAST = {"alert_min_frequency_s": 1.0}


@pytest.fixture
def alert_server(tmp_path: Path) -> Iterator[RunningServer]:
    running = start_server(tmp_path / "data", **FAST)
    yield running
    stop_server(running)


@pytest.fixture
def receivers() -> Iterator[Callable[[Reply], Receiver]]:
    made: list[Receiver] = []

    def make(reply: Reply) -> Receiver:
        made.append(Receiver(reply))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    yield box
    box.close()


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[Alertmanager]:
    manager = Alertmanager(tmp_path / "alertmanager")
    yield manager
    manager.close()
