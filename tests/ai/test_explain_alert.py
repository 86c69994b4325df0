"""Ask AI about an alert: its state, then the cause found in its query's data."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from limelight.cli.main import main
from tests.ai.incidents import payment_outage
from tests.alerts.receivers import put_resources
from tests.conftest import start_server, stop_server
from tests.daemons import wait_until

# Stored directly: the API holds users to a 10s frequency, this server evaluates every second.
RESOURCES: dict[str, tuple[str, dict[str, Any]]] = {
    "errors": ("query", {"name": "Errors", "parameters": {
        "datasets": ["requests"], "calculations": ["COUNT"], "filters": ["$error = true"]}}),
    "checkout-errors": ("alert", {
        "name": "Checkout errors", "severity": "critical", "parameters": {
            "query": "errors", "threshold": "> 20", "frequency": "1s", "window": "5m"}}),
}


def test_explaining_a_firing_alert_names_its_state_and_the_cause(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data", alert_min_frequency_s=1.0)
    try:
        payment_outage(server)
        put_resources(server, "shop", RESOURCES)
        with server.client() as client:

            def firing() -> dict[str, Any] | None:
                alert = client.get("/api/alerts/shop/checkout-errors").json()
                return alert if alert["state"] == "firing" else None

            wait_until(firing, what="the alert to fire")
            response = client.post("/api/explain", json={
                "target": {"kind": "alert", "id": "shop/checkout-errors"}})
            assert response.status_code == 200, response.text
            answer = response.json()
            missing = client.post("/api/explain", json={
                "target": {"kind": "alert", "id": "shop/nope"}})
        printed = CliRunner().invoke(main, [
            "explain", "--alert", "shop/checkout-errors", "--url", server.url,
            "--data-dir", str(server.data_dir)], catch_exceptions=False)
    finally:
        stop_server(server)
    analysis = answer["analysis"]
    assert analysis["kind"] == "alert"
    assert analysis["alert"]["id"] == "shop/checkout-errors"
    [instance] = analysis["alert"]["firing"]
    assert instance["value"] > 20
    assert answer["summary"].startswith("Alert 'Checkout errors' (critical) is firing (> 20): "
                                        "COUNT = ")
    # The range covers the history before the firing, so the outage stands out against it.
    assert analysis["anomalies"] and analysis["anomalies"][0]["direction"] == "spike"
    assert analysis["window"]["from_ms"] > time.time_ns() // 1_000_000 - 10 * 60_000
    top_two = {(d["key"], d["value"]) for d in analysis["differences"][:2]}
    assert top_two == {("payment.provider", "acme"), ("http.route", "/checkout")}
    assert "acme" in answer["root_cause"] or "/checkout" in answer["root_cause"]
    assert any("snooze" in action for action in answer["actions"])
    assert printed.exit_code == 0, printed.output
    assert printed.output.startswith("Alert 'Checkout errors' (critical) is firing")
    assert "Likely cause" in printed.output
    assert missing.status_code == 404
    assert "shop/nope" in missing.json()["message"]
