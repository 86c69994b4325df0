"""Ask AI end to end: known incidents are ranked and named by the offline explainer."""

from __future__ import annotations

from typing import Any

from tests.ai.incidents import new_log_pattern_after_deploy, payment_outage, slow_dependency_trace
from tests.conftest import RunningServer


def explain(server: RunningServer, target: dict[str, Any]) -> dict[str, Any]:
    with server.client() as client:
        response = client.post("/api/explain", json={"target": target})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_error_spike_names_the_provider_and_route(server: RunningServer) -> None:
    payment_outage(server)
    answer = explain(server, {"kind": "query", "query": {
        "datasets": ["requests"], "calculations": ["COUNT"], "filters": ["$error = true"],
        "from": "60m", "granularity": "1m"}})
    analysis = answer["analysis"]
    assert analysis["anomalies"], "the spike must be found"
    assert analysis["anomalies"][0]["direction"] == "spike"
    top_two = {(d["key"], d["value"]) for d in analysis["differences"][:2]}
    assert top_two == {("payment.provider", "acme"), ("http.route", "/checkout")}
    assert "acme" in answer["root_cause"] or "/checkout" in answer["root_cause"]
    assert any("acme" in line for line in answer["evidence"])
    assert answer["provider"] == "offline"
    assert answer["sent_payload"] is None


def test_latency_spike_points_at_the_slow_path(server: RunningServer) -> None:
    payment_outage(server)
    answer = explain(server, {"kind": "query", "query": {
        "datasets": ["requests"], "calculations": ["P99($duration_ms)"],
        "from": "60m", "granularity": "1m"}})
    top = answer["analysis"]["differences"][0]
    assert (top["key"], top["value"]) in {("payment.provider", "acme"),
                                         ("http.route", "/checkout")}


def test_new_log_pattern_after_a_deploy_is_reported(server: RunningServer) -> None:
    new_log_pattern_after_deploy(server)
    answer = explain(server, {"kind": "query", "query": {
        "datasets": ["logs"], "calculations": ["COUNT"], "filters": ["$level = error"],
        "from": "60m", "granularity": "1m"}})
    patterns = answer["analysis"]["log_patterns"]
    assert patterns[0]["new"] is True
    assert patterns[0]["template"].startswith("redis connection refused on")
    assert any("redis connection refused" in line for line in answer["evidence"])
    differences = {(d["key"], d["value"]) for d in answer["analysis"]["differences"]}
    assert ("version", "2.4.1") in differences


def test_trace_names_the_slow_dependency(server: RunningServer) -> None:
    trace_id = slow_dependency_trace(server)
    answer = explain(server, {"kind": "trace", "trace_id": trace_id})
    slowest = answer["analysis"]["slowest_spans"][0]
    assert slowest["name"] == "SELECT inventory"
    assert abs(slowest["self_ms"] - 880) < 1
    assert [p["name"] for p in answer["analysis"]["critical_path"]] == [
        "POST /checkout", "load cart", "SELECT inventory", "render"]
    assert "SELECT inventory" in answer["root_cause"]


def test_trace_with_error_names_where_it_started(server: RunningServer) -> None:
    trace_id = slow_dependency_trace(server, failing=True)
    answer = explain(server, {"kind": "trace", "trace_id": trace_id})
    failure = answer["analysis"]["first_error"]
    assert failure["name"] == "charge card"
    assert failure["exception"] == {"type": "TimeoutError",
                                    "message": "acme did not answer in 25 ms"}
    assert [a["name"] for a in failure["propagated_to"]] == ["render", "POST /checkout"]
    assert "charge card" in answer["root_cause"] and "acme did not answer" in answer["root_cause"]


def test_bad_targets(server: RunningServer) -> None:
    with server.client() as client:
        missing = client.post("/api/explain", json={"target": {"kind": "trace",
                                                               "trace_id": "ab" * 16}})
        unknown = client.post("/api/explain", json={"target": {"kind": "nope"}})
        malformed = client.post("/api/explain", json={"target": {"kind": "trace",
                                                                 "trace_id": "xyz"}})
    assert missing.status_code == 404
    assert unknown.status_code == 400
    assert malformed.status_code == 400


def test_cli_explain_prints_cause_evidence_and_actions(server: RunningServer) -> None:
    from click.testing import CliRunner

    from limelight.cli.main import main

    trace_id = slow_dependency_trace(server, failing=True)
    result = CliRunner().invoke(main, ["explain", "--trace", trace_id, "--url", server.url,
                                       "--api-key", server.admin_key])
    assert result.exit_code == 0, result.output
    assert "Likely cause" in result.output and "charge card" in result.output
    assert "What to do" in result.output
    assert "explained by: offline" in result.output
    usage = CliRunner().invoke(main, ["explain", "--url", server.url])
    assert usage.exit_code == 2
