"""Alert properties into rules: every field's default, and the exact error for each mistake."""

from __future__ import annotations

from typing import Any

import pytest

from limelight.alerts.rules import (
    DEFAULT_REMINDER_NS,
    RuleError,
    Threshold,
    alert_query,
    parse_alert,
    parse_threshold,
)

SPEC = {"datasets": ["otel"], "calculations": ["COUNT", "P99($duration_ms) as p99"],
        "filters": ["$error = true"], "groupBys": ["http.route"], "from": "1h"}


def alert(**changes: Any) -> dict[str, Any]:
    props: dict[str, Any] = {"name": "Checkout errors", "parameters": {
        "query": "checkout-errors", "threshold": "> 10", "frequency": "1m", "window": "5m"}}
    for key, value in changes.items():
        if key in ("query", "threshold", "frequency", "window", "calculation"):
            props["parameters"][key] = value
        elif value is None:
            props.pop(key, None)
        else:
            props[key] = value
    return props


@pytest.mark.parametrize(("text", "operator", "value"), [
    ("> 10", ">", 10), (">= 0.5", ">=", 0.5), ("< -3", "<", -3), ("<= 1e3", "<=", 1000),
    ("= 0", "=", 0), ("!= 7", "!=", 7), ("  >10  ", ">", 10),
    ("INCREASES_BY_MORE_THAN 50%", "INCREASES_BY_MORE_THAN", 50),
    ("DECREASES_BY_MORE_THAN 12.5%", "DECREASES_BY_MORE_THAN", 12.5),
    ("increases_by_more_than 50", "INCREASES_BY_MORE_THAN", 50),
], ids=lambda v: str(v))
def test_thresholds(text: str, operator: str, value: float) -> None:
    assert parse_threshold(text) == Threshold(operator, value)


@pytest.mark.parametrize("text", ["10", "> ten", ">> 1", "== 3", "INCREASES_BY_MORE_THAN -5%",
                                  "GROWS 5%", ""])
def test_bad_thresholds_say_what_is_allowed(text: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_threshold(text)
    assert caught.value.field == "parameters.threshold"
    assert "INCREASES_BY_MORE_THAN" in str(caught.value) and repr(text) in str(caught.value)


@pytest.mark.parametrize("text", ["> 1e400", "< -2e308"])
def test_a_threshold_past_the_largest_number_is_refused(text: str) -> None:
    with pytest.raises(RuleError, match="is past the largest number") as caught:
        parse_threshold(text)
    assert caught.value.field == "parameters.threshold"


def test_defaults() -> None:
    rule = parse_alert({"name": "n", "parameters": {"query": "q", "threshold": "> 1"}})
    assert rule.severity == "warning" and rule.enabled and rule.channels is None
    assert rule.frequency_ns == rule.window_ns == 60 * 10**9
    assert rule.reminder_ns == DEFAULT_REMINDER_NS and rule.labels == {}
    assert rule.snooze_until_ns is None and rule.calculation is None


def test_everything_set() -> None:
    rule = parse_alert(alert(severity="critical", channels=["a", "b"], enabled=False,
                             labels={"team": "payments", "tier": 1, "paging": True},
                             snooze_until="2026-11-23T10:00:00Z", reminder="0",
                             description="d", query=SPEC, calculation="p99"))
    assert rule.severity == "critical" and rule.channels == ("a", "b") and not rule.enabled
    assert rule.labels == {"team": "payments", "tier": "1", "paging": "true"}
    assert rule.snooze_until_ns == 1_795_428_000 * 10**9
    assert rule.reminder_ns == 0 and rule.window_ns == 300 * 10**9
    assert rule.calculation == "p99" and rule.query == SPEC


@pytest.mark.parametrize(("changes", "error"), [
    ({"name": None}, "name: is required"),
    ({"name": ""}, "name: must be a non-empty string"),
    ({"severity": "urgent"},
     "severity: 'urgent' is not one of critical, error, warning, info"),
    ({"threshold": None}, "parameters.threshold: is required"),
    ({"query": None}, "parameters.query: is required"),
    ({"query": 3}, "parameters.query: give a query id or an inline query spec (a mapping)"),
    ({"frequency": "5s"}, "parameters.frequency: '5s' is too often; the least is 10s"),
    ({"frequency": "soon"},
     "parameters.frequency: 'soon' is not a duration (use e.g. 30s, 15m, 1h, 7d)"),
    ({"window": "500ms"}, "parameters.window: must be at least 1s"),
    ({"window": True}, "parameters.window: True is not a duration (use e.g. 30s, 15m, 1h, 7d)"),
    ({"channels": "slack"}, "channels: must be a list of channel ids"),
    ({"labels": ["a"]}, "labels: must be a mapping of names to values"),
    ({"labels": {"team": ["a"]}}, "labels.team: must be a string or a number"),
    ({"enabled": "yes"}, "enabled: 'yes' is not true or false"),
    ({"snooze_until": "tomorrow"},
     "snooze_until: 'tomorrow' is not an ISO 8601 time (e.g. 2026-11-23T10:00:00Z)"),
    ({"reminder": "500ms"}, "reminder: must be at least 1s, or 0 for never"),
    ({"chanels": ["x"]}, "chanels: unknown property (known: name, severity, description, "
                         "parameters, channels, labels, enabled, snooze_until, reminder)"),
    ({"query": {"datasets": ["otel"], "calculations": []}}, "parameters.query: the query has no "
                                              "calculations; an alert compares a calculation's "
                                              "value (e.g. COUNT)"),
    ({"query": {**SPEC, "calculations": ["P42(x)"]}},
     "parameters.query.calculations[0]: unknown calculation 'P42'"),
    ({"query": SPEC, "calculation": "p98"},
     "parameters.calculation: 'p98' is not a calculation of the query (it has: COUNT, p99)"),
], ids=lambda v: str(v)[:40])
def test_errors_name_the_field(changes: dict[str, Any], error: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_alert(alert(**changes))
    assert str(caught.value).startswith(error)
    assert isinstance(caught.value, ValueError)
    assert caught.value.field == error.split(":")[0]


def test_unknown_parameter_is_named_with_its_path() -> None:
    props = alert()
    props["parameters"]["treshold"] = "> 1"
    with pytest.raises(RuleError, match=r"^parameters\.treshold: unknown property"):
        parse_alert(props)


def test_shorter_frequencies_when_the_server_allows_them() -> None:
    assert parse_alert(alert(frequency="1s"), min_frequency_ns=10**9).frequency_ns == 10**9


def test_query_by_reference_and_inline() -> None:
    queries = {"checkout-errors": {"name": "x", "parameters": SPEC}}
    by_ref = alert_query(parse_alert(alert()), queries)
    assert by_ref.label == "COUNT" and by_ref.operation == "COUNT" and by_ref.empty_value == 0
    assert "from" not in by_ref.spec and by_ref.spec["filters"] == ["$error = true"]
    picked = alert_query(parse_alert(alert(query=SPEC, calculation="p99")), {})
    assert (picked.label, picked.operation, picked.key) == ("p99", "P99", "$duration_ms")
    assert picked.empty_value is None
    written = alert_query(parse_alert(alert(query=SPEC, calculation="P99($duration_ms)")), {})
    assert written.label == "p99"


def test_missing_or_broken_query_reference() -> None:
    rule = parse_alert(alert())
    with pytest.raises(RuleError, match=r"^parameters\.query: no query 'checkout-errors' in "
                                        r"this service \(queries: other\)"):
        alert_query(rule, {"other": {"parameters": SPEC}})
    with pytest.raises(RuleError, match=r"^parameters\.query: query 'checkout-errors': "
                                        r"filters\[0\]"):
        alert_query(rule, {"checkout-errors": {"parameters": {**SPEC, "filters": ["x ~ 1"]}}})
