"""The engine in a running server: retries with history, reminders, snooze, restarts, apply
without restart, and `limelight alerts`."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from limelight.cli.main import main
from tests.alerts.conftest import FAST
from tests.alerts.receivers import (
    Receiver,
    Reply,
    alert_view,
    flaky_reply,
    history,
    put_resources,
    send_events,
    signed_reply,
    slack_reply,
)
from tests.conftest import RunningServer, start_server, stop_server
from tests.daemons import wait_until

SECRET = "s"
REF = "shop/errors"


def errors_alert(hook_url: str, window: str = "4s", **extra: Any) -> dict[
        str, tuple[str, dict[str, Any]]]:
    return {
        "errors": ("alert", {
            "name": "Errors", "severity": "error", "channels": ["hook"], **extra,
            "parameters": {"query": {"datasets": ["app"], "calculations": ["COUNT"],
                                     "filters": ["status >= 500"]},
                           "threshold": ">= 2", "frequency": "1s", "window": window}}),
        "hook": ("channel", {"kind": "webhook", "url": hook_url, "secret": SECRET}),
    }


def fail(server: RunningServer, count: int = 3) -> None:
    send_events(server, [{"message": "boom", "status": 500} for _ in range(count)])


def events_of(receiver: Receiver) -> list[str]:
    return [body["event"] for body in receiver.bodies()]


def cli(server: RunningServer, *args: str) -> str:
    options = ["--url", server.url, "--data-dir", str(server.data_dir)]
    result = CliRunner().invoke(main, [*args, *options], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_failed_deliveries_are_retried_and_every_attempt_recorded(
    alert_server: RunningServer, receivers: Callable[[Reply], Receiver],
) -> None:
    hook = receivers(flaky_reply(failures=2))
    send_events(alert_server, [{"message": "ok", "status": 200}])
    put_resources(alert_server, "shop", {
        **errors_alert(hook.url, window="30s"),
        "hook": ("channel", {"kind": "slack", "url": hook.url})})
    fail(alert_server)
    wait_until(lambda: len(hook.received()) >= 3, what="third attempt")
    deliveries = wait_until(lambda: [e for e in history(alert_server, REF, kind="delivery")
                                     if e["ok"]] and history(alert_server, REF, kind="delivery"),
                            what="recorded success")
    attempts = [(e["attempt"], e["ok"], e["status"]) for e in reversed(deliveries)]
    assert attempts == [(1, False, 503), (2, False, 503), (3, True, 200)]
    assert deliveries[-1]["retry_in_s"] == 1.0 and deliveries[-2]["retry_in_s"] == 2.0
    assert len(hook.received()) == 3  # nothing more once delivered

    output = cli(alert_server, "alerts", "history", REF)
    assert "#1 failed 503" in output and "#3 delivered 200" in output
    assert "ok → firing" in output and "firing → hook" in output
    listing = cli(alert_server, "alerts")
    assert "shop/errors" in listing and "firing" in listing and ">= 2" in listing


def test_reminders_repeat_while_firing(
    alert_server: RunningServer, receivers: Callable[[Reply], Receiver],
) -> None:
    hook = receivers(signed_reply(SECRET))
    put_resources(alert_server, "shop", errors_alert(hook.url, window="30s", reminder="2s"))
    fail(alert_server)
    wait_until(lambda: events_of(hook)[:2] == ["firing", "reminder"], what="a reminder")
    first, reminder = hook.bodies()[:2]
    assert reminder["time_ms"] - first["time_ms"] >= 2000
    assert reminder["instance"]["dedup_key"] == first["instance"]["dedup_key"]
    assert reminder["state"] == "firing"


def test_snooze_holds_notifications_until_it_ends(
    alert_server: RunningServer, receivers: Callable[[Reply], Receiver],
) -> None:
    hook = receivers(signed_reply(SECRET))
    put_resources(alert_server, "shop", errors_alert(hook.url, window="30s"))
    wait_until(lambda: alert_view(alert_server, REF)["state"] in ("ok", "error"),
               what="first evaluation")
    with alert_server.client() as client:
        snoozed = client.post(f"/api/alerts/{REF}/snooze", json={"until": "1h"})
        assert snoozed.status_code == 200, snoozed.text
        assert snoozed.json()["snoozed_until_ms"] > time.time() * 1000 + 3_500_000
        with alert_server.client(alert_server.create_key("query")) as reader:
            assert reader.post(f"/api/alerts/{REF}/snooze", json={"until": None}).status_code \
                == 403
            assert reader.get("/api/alerts").json()["alerts"][0]["snoozed_until_ms"]
        with alert_server.client(alert_server.create_key("ingest")) as writer:
            assert writer.get("/api/alerts").status_code == 403
    fail(alert_server)
    firing_since = wait_until(lambda: alert_view(alert_server, REF)["state"] == "firing"
                              and time.monotonic(), what="firing while snoozed")
    wait_until(lambda: time.monotonic() > firing_since + 2.5, what="evaluations while snoozed")
    assert hook.received() == []
    assert "snoozed" in cli(alert_server, "alerts")

    cli(alert_server, "alerts", "snooze", REF, "off")
    assert wait_until(lambda: events_of(hook), what="firing after the snooze") == ["firing"]


def test_restart_while_firing_sends_nothing_twice(
    tmp_path: Path, receivers: Callable[[Reply], Receiver],
) -> None:
    hook = receivers(signed_reply(SECRET))
    server = start_server(tmp_path / "data", **FAST)
    try:
        put_resources(server, "shop", errors_alert(hook.url, window="6s"))
        fail(server)
        assert wait_until(lambda: events_of(hook), what="firing") == ["firing"]
    finally:
        stop_server(server)
    restarted = start_server(tmp_path / "data", **FAST)
    try:
        started_ms = time.time() * 1000
        wait_until(lambda: (alert_view(restarted, REF)["last_eval_ms"] or 0) > started_ms + 1000,
                   what="evaluations after the restart")
        assert alert_view(restarted, REF)["state"] == "firing"
        assert events_of(hook) == ["firing"]
        # The errors age out of the window: one resolve, with the same instance.
        wait_until(lambda: events_of(hook)[1:], timeout=15, what="resolve")
        assert events_of(hook) == ["firing", "resolved"]
        first, last = hook.bodies()
        assert first["instance"]["dedup_key"] == last["instance"]["dedup_key"]
    finally:
        stop_server(restarted)


def test_resources_are_reread_without_restart(
    alert_server: RunningServer, receivers: Callable[[Reply], Receiver],
) -> None:
    slack = receivers(slack_reply)
    hook = receivers(signed_reply(SECRET))
    put_resources(alert_server, "shop", errors_alert(hook.url, window="30s"))
    fail(alert_server)
    wait_until(lambda: events_of(hook), what="firing")
    # Re-pointed at another channel, then disabled: the disable resolves where it now goes.
    resources = errors_alert(hook.url, window="30s", channels=["chat"])
    resources["chat"] = ("channel", {"kind": "slack", "url": slack.url})
    resources["errors"][1]["enabled"] = False
    put_resources(alert_server, "shop", resources)
    message = wait_until(lambda: slack.bodies(), what="resolve on disable")[0]
    assert message["text"].startswith(
        ":large_green_circle: [RESOLVED] Errors: alert disabled (last COUNT = ")
    assert wait_until(lambda: alert_view(alert_server, REF)["state"] == "disabled", what="off")
    # An invalid alert is reported, not evaluated.
    resources["errors"][1]["parameters"]["threshold"] = "above 3"
    put_resources(alert_server, "shop", resources)
    view = wait_until(lambda: (v := alert_view(alert_server, REF))["state"] == "invalid" and v,
                      what="invalid state")
    assert view["error"].startswith("parameters.threshold: 'above 3' is not a threshold")
    assert events_of(hook) == ["firing"]


@pytest.mark.parametrize("snoozed", [False, True], ids=["awake", "snoozed"])
def test_a_removed_alert_resolves_and_is_forgotten(
    alert_server: RunningServer, receivers: Callable[[Reply], Receiver], snoozed: bool,
) -> None:
    hook = receivers(signed_reply(SECRET))
    put_resources(alert_server, "shop", errors_alert(hook.url, window="30s"))
    fail(alert_server)
    wait_until(lambda: events_of(hook), what="firing")
    if snoozed:  # nothing would resolve it later: the receiver would stay firing for good
        with alert_server.client() as client:
            assert client.post(f"/api/alerts/{REF}/snooze",
                               json={"until": "1h"}).status_code == 200
    store = alert_server.server.config.app.state.limelight.store
    assert store.meta_delete("resources", "shop/errors")
    wait_until(lambda: events_of(hook)[1:], what="resolve on removal")
    assert events_of(hook) == ["firing", "resolved"]
    fired, resolved = hook.bodies()
    assert fired["reason"] is None and resolved["reason"] == "alert removed"
    assert resolved["summary"].startswith("[RESOLVED] Errors: alert removed (last COUNT = ")
    with alert_server.client() as client:
        wait_until(lambda: client.get(f"/api/alerts/{REF}/history").status_code == 404,
                   what="history forgotten")
        assert client.get(f"/api/alerts/{REF}").status_code == 404
        assert client.get("/api/alerts").json() == {"alerts": []}
    assert store.meta_get("alert_state", REF) is None

