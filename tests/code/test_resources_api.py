"""/api/resources against a real server: replace a service's set, read, destroy, backtest."""

from __future__ import annotations

import time
from typing import Any

from tests.conftest import RunningServer

QUERY = {"type": "query", "properties": {"name": "Errors", "parameters": {
    "datasets": ["app"], "calculations": ["COUNT"], "filters": ["$error = true"]}}}
ALERT = {"type": "alert", "properties": {"name": "Errors", "severity": "critical", "parameters": {
    "query": "errors", "threshold": "> 10", "frequency": "1m", "window": "2m"}}}
PAGER = {"type": "channel", "properties": {"kind": "pagerduty", "routing_key": "abc123"}}


def put(server: RunningServer, service: str, resources: dict[str, Any],
        key: str | None = None) -> Any:
    with server.client(key or server.admin_key) as client:
        return client.put(f"/api/resources/{service}", json=resources)


def listed(server: RunningServer, key: str | None = None, **params: str) -> list[Any]:
    with server.client(key or server.admin_key) as client:
        response = client.get("/api/resources", params=params)
        assert response.status_code == 200, response.text
        return response.json()["resources"]  # type: ignore[no-any-return]


def ids(docs: list[Any]) -> list[str]:
    return [f"{d['service']}/{d['id']}" for d in docs]


def test_put_replaces_one_service_and_leaves_the_others(server: RunningServer) -> None:
    first = put(server, "shop", {"errors": QUERY, "errors-alert": ALERT})
    assert first.status_code == 200, first.text
    assert first.json() == {"service": "shop", "add": ["errors", "errors-alert"], "change": [],
                            "remove": [], "unchanged": 0}
    assert put(server, "shop2", {"errors": QUERY}).status_code == 200
    before = {d["id"]: d for d in listed(server, service="shop")}
    assert before["errors"] == {"service": "shop", "id": "errors", "type": "query",
                                "properties": QUERY["properties"],
                                "updated_ms": before["errors"]["updated_ms"]}
    time.sleep(0.01)
    changed = dict(ALERT, properties={**ALERT["properties"], "name": "Renamed"})
    second = put(server, "shop", {"errors": QUERY, "errors-alert": changed, "pager": PAGER})
    assert second.json() == {"service": "shop", "add": ["pager"], "change": ["errors-alert"],
                             "remove": [], "unchanged": 1}
    after = {d["id"]: d for d in listed(server, service="shop")}
    assert after["errors"]["updated_ms"] == before["errors"]["updated_ms"]  # unchanged: kept
    assert after["errors-alert"]["updated_ms"] > before["errors-alert"]["updated_ms"]
    third = put(server, "shop", {"pager": PAGER})
    assert third.json()["remove"] == ["errors", "errors-alert"]
    assert ids(listed(server)) == ["shop/pager", "shop2/errors"]
    assert ids(listed(server, type="query")) == ["shop2/errors"]
    with server.client() as client:
        assert client.get("/api/resources/shop2/errors").json()["properties"] == (
            QUERY["properties"])
        assert client.get("/api/resources/shop/errors").status_code == 404


def test_an_invalid_set_is_refused_whole_with_every_error(server: RunningServer) -> None:
    assert put(server, "shop", {"errors": QUERY}).status_code == 200
    bad_alert = dict(ALERT, properties={**ALERT["properties"], "parameters": {
        **ALERT["properties"]["parameters"], "threshold": "above 3"}})
    response = put(server, "shop", {
        "errors-alert": bad_alert, "board": {"type": "dashboard", "properties": {
            "name": "B", "widgets": [{"type": "pie", "query": "nope"}]}},
        "fine": PAGER})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors[0].startswith("errors-alert.parameters.threshold: 'above 3' is not a threshold")
    assert errors[1:] == [
        "board.widgets[0].type: 'pie' is not one of timeseries, statistic, table, bar",
        "errors-alert.parameters.query: no query 'errors' in this service (query ids: none)",
        "board.widgets[0].query: no query 'nope' in this service (query ids: none)",
    ]
    assert ids(listed(server)) == ["shop/errors"]  # nothing changed
    assert put(server, "bad/name", {}).status_code == 405  # /api/resources/{service}/{id}
    assert put(server, "bad name", {}).status_code == 400
    with server.client() as client:
        assert client.put("/api/resources/shop", content=b"{not json").status_code == 400
        assert client.put("/api/resources/shop", json=[1]).status_code == 400


def test_delete_destroys_one_service(server: RunningServer) -> None:
    put(server, "shop", {"errors": QUERY})
    put(server, "shopping", {"errors": QUERY})
    with server.client() as client:
        response = client.delete("/api/resources/shop")
    assert response.json() == {"service": "shop", "remove": ["errors"]}
    assert ids(listed(server)) == ["shopping/errors"]


def test_scopes_and_masked_secrets(server: RunningServer) -> None:
    put(server, "shop", {"pager": PAGER})
    query_key = server.create_key("query")
    ingest_key = server.create_key("ingest")
    assert put(server, "shop", {}, key=query_key).status_code == 403
    with server.client(query_key) as client:
        assert client.delete("/api/resources/shop").status_code == 403
        one = client.get("/api/resources/shop/pager").json()
    assert one["properties"]["routing_key"] == "********"
    assert listed(server, query_key)[0]["properties"]["routing_key"] == "********"
    assert listed(server)[0]["properties"]["routing_key"] == "abc123"
    with server.client(ingest_key) as client:
        assert client.get("/api/resources").status_code == 403
    with server.client(None) as client:
        assert client.get("/api/resources").status_code == 401


SLACK = {"type": "channel", "properties": {
    "kind": "slack", "url": "https://hooks.slack.com/services/T0/B0/tokentoken"}}
HOOK = {"type": "channel", "properties": {
    "kind": "webhook", "url": "https://bot:pw@hooks.example.com/in?token=t0ken", "secret": "s"}}
CHECK = {"type": "check", "properties": {
    "url": "https://probe:pw@shop.example.com/health?key=k3y", "method": "POST",
    "headers": {"authorization": "Bearer b3arer"}, "body": '{"password": "p4ss"}'}}


def test_a_query_key_reads_no_url_token_header_or_body_secret(server: RunningServer) -> None:
    response = put(server, "sec", {"slack": SLACK, "hook": HOOK, "probe": CHECK})
    assert response.status_code == 200, response.text
    shown = {d["id"]: d["properties"] for d in listed(server, server.create_key("query"))
             if d["service"] == "sec"}
    text = str(shown)
    for secret in ("tokentoken", "pw", "t0ken", "k3y", "b3arer", "p4ss", "T0/B0"):
        assert secret not in text, secret
    assert shown["slack"]["url"] == "https://hooks.slack.com/********"
    assert shown["hook"]["url"] == "https://bot:********@hooks.example.com/********"
    assert shown["probe"]["url"] == "https://probe:********@shop.example.com/health?********"
    assert shown["probe"]["headers"] == {"authorization": "********"}
    admin = {d["id"]: d["properties"] for d in listed(server) if d["service"] == "sec"}
    assert admin["slack"] == SLACK["properties"] and admin["probe"] == CHECK["properties"]


def send_error_bursts(server: RunningServer, bursts: int, per_burst: int = 20) -> None:
    """`bursts` bursts of errors 20 minutes apart over the last hour, over HTTP."""
    now_ms = int(time.time() * 1000)
    events = [{"timestamp": now_ms - (60 - 20 * b) * 60_000 + i * 1000, "message": "boom",
               "error": True, "route": "/pay"}
              for b in range(bursts) for i in range(per_burst)]
    with server.client() as client:
        response = client.post("/v1/events/app", json=events, headers={"x-service": "shop"})
        assert response.status_code == 202, response.text


def test_backtest_runs_on_the_servers_data(server: RunningServer) -> None:
    send_error_bursts(server, 3)
    with server.client() as client:
        given = client.post("/api/resources/shop/backtest", json={
            "alert": ALERT["properties"], "queries": {"errors": QUERY["properties"]}})
        assert given.status_code == 200, given.text
        result = given.json()
        assert result["fired"] == 3 and result["days"] == 7
        assert 55 * 60e9 < result["covered_ns"] < 62 * 60e9
        assert result["evaluations"] >= 55
        # Without the queries in the body, the service's stored queries are used.
        assert client.post("/api/resources/shop/backtest",
                           json={"alert": ALERT["properties"]}).status_code == 400
        put(server, "shop", {"errors": QUERY})
        stored = client.post("/api/resources/shop/backtest", json={"alert": ALERT["properties"]})
        assert stored.json()["fired"] == 3
        bad = client.post("/api/resources/shop/backtest", json={"alert": {"name": "x"}})
        assert bad.status_code == 400
        assert bad.json()["message"] == "parameters: is required"
        assert client.post("/api/resources/shop/backtest",
                           json={"alert": ALERT["properties"], "days": 99}).status_code == 400
