"""Fixtures for error-tracking tests: a fake Slack incoming webhook."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.alerts.receivers import Receiver, slack_reply


@pytest.fixture
def slack() -> Iterator[Receiver]:
    receiver = Receiver(slack_reply)
    yield receiver
    receiver.close()
