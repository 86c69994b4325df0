"""Dashboards as code: listed, and rendered with every widget's query run over one range."""

from __future__ import annotations

import time
from typing import Any

from tests.conftest import RunningServer

MINUTE_MS = 60_000

RESOURCES: dict[str, Any] = {
    "by-route": {"type": "query", "properties": {"name": "Requests by route", "parameters": {
        "datasets": ["web"], "calculations": ["COUNT"], "groupBys": ["route"],
        "from": "7d"}}},
    "overview": {"type": "dashboard", "properties": {
        "name": "Overview", "description": "The web tier", "widgets": [
            {"type": "timeseries", "title": "Requests", "query": "by-route"},
            {"type": "statistic", "title": "Errors", "query": {
                "datasets": ["web"], "calculations": ["COUNT"], "filters": ["$error = true"]}},
            {"type": "bar", "title": "Slow", "query": {
                "datasets": ["web"], "calculations": ["MAX(ms)"], "groupBys": ["route"]}},
            {"type": "table", "title": "Broken", "query": {
                "datasets": ["web"], "calculations": ["SUM(nope)"]}},
        ]}},
}


def test_dashboards_render_every_widget_over_the_range(server: RunningServer) -> None:
    now_ms = time.time_ns() // 1_000_000
    events = [{"route": "/a", "ms": 10, "error": False, "timestamp": now_ms - 5 * MINUTE_MS},
              {"route": "/a", "ms": 30, "error": True, "timestamp": now_ms - 4 * MINUTE_MS},
              {"route": "/b", "ms": 20, "error": False, "timestamp": now_ms - 3 * MINUTE_MS},
              {"route": "/b", "ms": 99, "error": True, "timestamp": now_ms - 3 * 3_600_000}]
    with server.client() as client:
        assert client.post("/v1/events/web", json=events).status_code == 202
        assert client.put("/api/resources/shop", json=RESOURCES).status_code == 200
        listed = client.get("/api/dashboards").json()["dashboards"]
        shown = client.get("/api/dashboards/shop/overview", params={"from": "1h"}).json()
        longer = client.get("/api/dashboards/shop/overview", params={"from": "6h"}).json()
        missing = client.get("/api/dashboards/shop/nope")
        bad_range = client.get("/api/dashboards/shop/overview", params={"from": "soon"})
        key = server.create_key("query")
        with server.client(key) as reader:
            assert reader.get("/api/dashboards/shop/overview").status_code == 200
    assert listed == [{"service": "shop", "id": "overview", "name": "Overview",
                       "description": "The web tier", "widgets": 4}]
    requests, errors, slow, broken = shown["widgets"]
    # The saved query's own range gives way to the dashboard's.
    assert requests["query_id"] == "by-route" and requests["spec"]["from"] == shown["from_ms"]
    assert {a["groups"]["route"]: a["values"]["COUNT"]
            for a in requests["result"]["aggregates"]} == {"/a": 2, "/b": 1}
    assert len(requests["result"]["series"]) > 1  # a time series gets a granularity
    assert errors["result"]["aggregates"][0]["values"]["COUNT"] == 1
    assert errors["result"]["series"] == []
    assert {a["groups"]["route"]: a["values"]["MAX(ms)"]
            for a in slow["result"]["aggregates"]} == {"/a": 30, "/b": 20}
    assert "result" not in broken and "nope" in broken["error"]
    assert longer["widgets"][1]["result"]["aggregates"][0]["values"]["COUNT"] == 2
    assert missing.status_code == 404
    assert bad_range.status_code == 400 and "from" in bad_range.json()["message"]
