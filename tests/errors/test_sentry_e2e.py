"""The real sentry-sdk against a real server: grouping across deploys, regression, Slack."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sentry_sdk

from tests.alerts.receivers import Receiver
from tests.conftest import RunningServer
from tests.daemons import wait_until
from tests.errors.helpers import (
    group_detail,
    groups,
    import_path,
    route_errors_to_slack,
    settled,
    write_version,
)


@pytest.fixture
def sentry(server: RunningServer) -> Iterator[Callable[..., None]]:
    """Start the SDK with a DSN on our server and an ingest key as its public key."""
    key = server.create_key("ingest")
    port = server.url.rsplit(":", 1)[1]

    def init(**options: Any) -> None:
        sentry_sdk.init(
            dsn=f"http://{key}@127.0.0.1:{port}/42", default_integrations=False,
            auto_enabling_integrations=False, in_app_include=["shop"], **options,
        )
        sentry_sdk.set_tag("service", "shop")

    yield init
    # Closing stops the SDK's threads, which would otherwise keep this server alive.
    sentry_sdk.get_client().close()


def capture(call: Callable[[], object]) -> None:
    try:
        call()
    except Exception as exc:
        sentry_sdk.capture_exception(exc)
    sentry_sdk.flush()


def test_one_group_per_bug_across_deploys_then_regression_notifies_slack(
    server: RunningServer, sentry: Callable[..., None], tmp_path: Path, slack: Receiver,
) -> None:
    route_errors_to_slack(server, "shop", slack.url)
    sentry()
    v1 = import_path(write_version(tmp_path / "v1", 0, "5f2a9c1e"), "shop")
    v2 = import_path(write_version(tmp_path / "v2", 7, "88bb1c2d"), "shop")

    sentry_sdk.add_breadcrumb(category="cart", message="added 2 items")
    sentry_sdk.set_user({"id": "alice"})
    capture(lambda: v1.charge(1001))
    sentry_sdk.set_user({"id": "bob"})
    capture(lambda: v2.charge(2002))
    capture(lambda: v2.ship(3003))
    settled(server)

    found = {g["type"]: g for g in groups(server)}
    assert set(found) == {"ValueError", "KeyError"}
    charge = found["ValueError"]
    assert charge["count"] == 2
    assert charge["users"] == 2
    assert charge["culprit"] == "shop in charge"
    assert charge["services"] == ["shop"]
    assert found["KeyError"]["count"] == 1
    assert charge["id"] != found["KeyError"]["id"]

    detail = group_detail(server, charge["id"])
    newest = detail["samples"][0]
    assert "order 2002" in newest["message"]
    assert newest["stack"][-1]["function"] == "charge"
    assert newest["stack"][-1]["context_line"].startswith("raise ValueError")
    assert any(crumb.get("message") == "added 2 items" for crumb in newest["breadcrumbs"])

    # Both new groups were announced in Slack, with a link to the console.
    texts = [b["text"] for b in wait_until(lambda: slack.bodies()[1:] and slack.bodies(),
                                          what="two Slack messages")]
    assert sorted(t.split("New error: ")[1].split(":")[0] for t in texts) == [
        "KeyError", "ValueError"]
    assert f"/errors/{charge['id']}" in str(slack.bodies())
    details = slack.bodies()[0]["blocks"][1]["text"]["text"]
    assert "*Service:* shop" in details and "*Where:* " in details
    assert "|Open the error in Limelight>" in details

    with server.client() as client:
        response = client.patch(f"/api/errors/{charge['id']}", json={"status": "resolved"})
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "resolved"

    capture(lambda: v1.charge(4004))
    settled(server)
    regressed = group_detail(server, charge["id"])["group"]
    assert regressed["status"] == "active"
    assert regressed["regressed_at_ms"] >= regressed["first_seen_ms"]
    assert regressed["count"] == 3
    message = wait_until(lambda: slack.bodies()[2:], what="Slack regression message")[0]
    assert "Regression: ValueError: payment for order 4004" in message["text"]
    deliveries = wait_until(
        lambda: [d for d in group_detail(server, charge["id"])["deliveries"] if d["ok"]][1:],
        what="recorded deliveries")
    assert {d["channel"] for d in deliveries} == {"team-slack"}


def test_error_rows_are_queryable_and_transactions_become_spans(
    server: RunningServer, sentry: Callable[..., None], tmp_path: Path,
) -> None:
    sentry(traces_sample_rate=1.0)
    shop = import_path(write_version(tmp_path / "v1", 0, "5f2a9c1e"), "shop")
    with (sentry_sdk.start_transaction(name="POST /checkout", op="http.server"),
          sentry_sdk.start_span(op="db", name="SELECT orders")):
        capture(lambda: shop.charge(77))
    sentry_sdk.flush()
    settled(server)

    errors = server.query({"datasets": ["errors"], "from": "1h"})
    [row] = errors["events"]  # type: ignore[misc]
    assert row["$service"] == "shop"
    assert row["error.type"] == "ValueError"
    assert row["error.group_id"] == groups(server)[0]["id"]
    assert row["$trace_id"]

    spans = server.query({"datasets": ["otel"], "from": "1h",
                          "filters": [{"key": "$trace_id", "operation": "=",
                                       "value": row["$trace_id"]}]})
    names = {span["$name"] for span in spans["events"]}  # type: ignore[attr-defined]
    assert names == {"POST /checkout", "SELECT orders"}


@pytest.mark.parametrize("algorithm", ["br", "gzip"])
def test_compressed_bodies_from_the_sdk(
    server: RunningServer, sentry: Callable[..., None], algorithm: str,
) -> None:
    sentry(_experiments={"transport_compression_algo": algorithm})
    sentry_sdk.capture_message("cache warmed in 3012 ms")
    sentry_sdk.flush()
    settled(server)
    [group] = groups(server)
    assert group["title"] == "cache warmed in 3012 ms"
    assert group["fingerprint"] == ["message", "", "cache warmed in <n> ms"]
