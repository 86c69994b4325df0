"""The errors API and `limelight errors` against a real server; Sentry endpoint refusals."""

from __future__ import annotations

import gzip
import json
from collections.abc import Sequence

import pytest
from click.testing import CliRunner

from limelight.cli.main import main
from limelight.exceptions import Overloaded
from limelight.model import Batch
from tests.conftest import RunningServer
from tests.errors.helpers import groups, settled

ENVELOPE = b"\n".join([
    b'{"event_id": "9ec79c33ec9942ab8353589fcb2e04dc"}',
    b'{"type": "event"}',
    json.dumps({"exception": {"values": [{"type": "RuntimeError", "value": "broken 1"}]},
                "tags": {"service": "api"}}).encode(),
])


def seed(server: RunningServer) -> None:
    events = [
        {"service": "billing", "error": {"type": "PaymentError", "message": f"card {n} declined"}}
        for n in range(3)
    ] + [{"service": "search", "error": {"type": "IndexError", "message": "shard 4 missing"}}]
    with server.client() as client:
        assert client.post("/v1/events/app", json=events).status_code == 202
    settled(server)


def cli(server: RunningServer, *args: str) -> str:
    result = CliRunner().invoke(main, [*args, "--url", server.url, "--data-dir",
                                       str(server.data_dir)],
                                 env={"COLUMNS": "200"}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_list_filters_sorts_and_pages(server: RunningServer) -> None:
    seed(server)
    assert [g["type"] for g in groups(server, sort="count")] == ["PaymentError", "IndexError"]
    assert [g["type"] for g in groups(server, service="search")] == ["IndexError"]
    assert [g["type"] for g in groups(server, q="payment")] == ["PaymentError"]
    assert len(groups(server, limit=1, offset=1)) == 1
    with server.client() as client:
        assert client.get("/api/errors", params={"sort": "size"}).status_code == 400
        assert client.get("/api/errors", params={"status": "open"}).status_code == 400
        assert client.get("/api/errors/nope").status_code == 404


def test_status_changes_need_an_admin_key(server: RunningServer) -> None:
    seed(server)
    group_id = groups(server, service="search")[0]["id"]
    reader = server.client(server.create_key("query"))
    with reader:
        assert reader.get(f"/api/errors/{group_id}").status_code == 200
        assert reader.patch(f"/api/errors/{group_id}",
                            json={"status": "ignored"}).status_code == 403
    with server.client() as client:
        bad = client.patch(f"/api/errors/{group_id}", json={"status": "done"})
        assert bad.status_code == 400 and "resolved" in bad.json()["message"]
        assert client.patch("/api/errors/nope", json={"status": "ignored"}).status_code == 404
        assert client.patch(f"/api/errors/{group_id}",
                            json={"status": "ignored"}).json()["status"] == "ignored"
    assert [g["type"] for g in groups(server, status="ignored")] == ["IndexError"]


def test_cli_lists_shows_and_changes_status(server: RunningServer) -> None:
    seed(server)
    listed = cli(server, "errors")
    assert "PaymentError: card 2 declined" in listed and "2 of 2 groups" in listed
    group_id = groups(server, service="billing")[0]["id"]
    assert group_id in cli(server, "errors", "list", "--service", "billing")
    shown = cli(server, "errors", "show", group_id)
    assert "PaymentError: card 2 declined" in shown and "3 events" in shown
    for command, status in (("resolve", "resolved"), ("ignore", "ignored"),
                            ("reopen", "active")):
        cli(server, "errors", command, group_id)
        assert groups(server, service="billing")[0]["status"] == status
    page = json.loads(cli(server, "errors", "list", "--json", "--status", "active"))
    assert page["total"] == 2


def test_sentry_keys_and_bad_bodies(server: RunningServer) -> None:
    ingest, reader = server.create_key("ingest"), server.create_key("query")
    path = "/api/7/envelope/"
    with server.client(None) as client:
        assert client.post(path, content=ENVELOPE).status_code == 401
        assert client.post(path, content=ENVELOPE,
                           params={"sentry_key": "unknown"}).status_code == 401
        assert client.post(path, content=ENVELOPE, headers={
            "x-sentry-auth": f"Sentry sentry_key={reader}"}).status_code == 403
        accepted = client.post(path, content=gzip.compress(ENVELOPE), params={
            "sentry_key": ingest}, headers={"content-encoding": "gzip"})
        assert accepted.status_code == 200, accepted.text
        assert accepted.json() == {"id": "9ec79c33ec9942ab8353589fcb2e04dc"}
        assert client.post("/api/7/store/", content=ENVELOPE.split(b"\n")[2],
                           headers={"x-api-key": ingest}).status_code == 200
        bad = client.post(path, content=b"{}\n{\"type\": \"event\"}\n{oops\n",
                          headers={"authorization": f"Bearer {ingest}"})
        assert bad.status_code == 400
        assert "item 1 (event) is not valid JSON" in bad.json()["message"]
        corrupt = client.post(path, content=b"garbage", params={"sentry_key": ingest},
                              headers={"content-encoding": "br"})
        assert corrupt.status_code == 400 and "not valid br" in corrupt.json()["message"]
    settled(server)
    [group] = groups(server)
    assert (group["count"], group["services"]) == (2, ["api"])


def test_full_queue_tells_the_sdk_to_back_off(server: RunningServer,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    async def full(batches: Sequence[Batch]) -> None:
        raise Overloaded("400000 rows are waiting to be written; retry", retry_after_s=3)

    monkeypatch.setattr(server.server.config.app.state.limelight.queue, "submit", full)
    with server.client() as client:
        response = client.post("/api/7/envelope/", content=ENVELOPE)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "3"
    assert response.headers["x-sentry-rate-limits"] == "3::organization"
