"""The demo's resources (service `demo`): saved queries, a dashboard, a health check and an
alert that fires.

The shop's payment provider `acme` times out often enough that the alert
fires within a minute of the demo starting, so a newcomer sees the whole
path: telemetry, query, alert state.
"""

from __future__ import annotations

from typing import Any

SERVICE = "demo"
ALERT_ID = "payment-failures"


def demo_resources(server_url: str) -> dict[str, dict[str, Any]]:
    """`{id: {type, properties}}`, as `limelight apply` would send them; the health check
    watches the server the demo sends to."""
    requests = {"datasets": ["otel"], "calculations": ["COUNT"],
                "filters": ["$kind = span", "$parent_span_id DOES_NOT_EXIST"]}
    return {
        "requests-by-route": _query("Requests by route", {
            **requests, "groupBys": ["http.route"]}),
        "errors-by-route": _query("Errors by route", {
            "datasets": ["otel"], "calculations": ["COUNT"],
            "filters": ["$error = true", "http.route exists"], "groupBys": ["http.route"]}),
        "payment-latency": _query("Payment latency by provider", {
            "datasets": ["otel"], "calculations": ["P99($duration_ms)", "MEDIAN($duration_ms)"],
            "filters": ["$service = payments", "payment.provider exists", "$kind = span"],
            "groupBys": ["payment.provider"]}),
        "payment-failures-query": _query("Failed payments", {
            "datasets": ["otel"], "calculations": ["COUNT"],
            "filters": ["$service = payments", "$error = true", "$kind = span"],
            "groupBys": ["payment.provider"]}),
        ALERT_ID: {"type": "alert", "properties": {
            "name": "Payments failing", "severity": "critical",
            "description": "More than 3 failed payment spans a minute for one provider.",
            "parameters": {"query": "payment-failures-query", "threshold": "> 3",
                           "frequency": "10s", "window": "1m"},
            "labels": {"team": "payments"}}},
        "limelight-health": {"type": "check", "properties": {
            "name": "Limelight health", "url": f"{server_url.rstrip('/')}/healthz",
            "interval": "30s", "expect": {"status": [200], "latency": "2s"}}},
        "shop-overview": {"type": "dashboard", "properties": {
            "name": "Shop overview",
            "description": "The demo shop at a glance.",
            "widgets": [
                {"type": "timeseries", "title": "Requests by route",
                 "query": "requests-by-route"},
                {"type": "statistic", "title": "Failed payments",
                 "query": "payment-failures-query"},
                {"type": "bar", "title": "Errors by route", "query": "errors-by-route"},
                {"type": "table", "title": "Payment latency", "query": "payment-latency"},
            ]}},
    }


def _query(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"type": "query", "properties": {"name": name, "parameters": spec}}
