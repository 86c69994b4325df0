"""The pure plan: local resources against the server's."""

from __future__ import annotations

from typing import Any

from limelight.code.diff import make_plan

QUERY = {"type": "query", "properties": {"name": "Errors", "parameters": {
    "calculations": ["COUNT"], "filters": ["$error = true"]}}}
ALERT = {"type": "alert", "properties": {"name": "Errors", "parameters": {
    "query": "errors", "threshold": "> 10", "frequency": "1m"}}}


def with_threshold(threshold: str) -> dict[str, Any]:
    return {"type": "alert", "properties": {**ALERT["properties"], "parameters": {
        **ALERT["properties"]["parameters"], "threshold": threshold}}}


def test_nothing_to_do() -> None:
    plan = make_plan({"errors": QUERY, "alert": ALERT}, {"alert": ALERT, "errors": QUERY})
    assert not plan.has_changes
    assert plan.summary() == "No changes. 2 resources up to date."


def test_key_order_is_not_a_change() -> None:
    reordered = {"properties": dict(reversed(list(QUERY["properties"].items()))),
                 "type": "query"}
    assert not make_plan({"q": QUERY}, {"q": reordered}).has_changes


def test_add_change_remove_sorted_by_id_with_totals() -> None:
    plan = make_plan({"b-alert": with_threshold("> 50"), "c-new": QUERY},
                     {"b-alert": ALERT, "a-old": QUERY})
    assert [(c.action, c.id, c.type) for c in plan.changes] == [
        ("remove", "a-old", "query"), ("change", "b-alert", "alert"), ("add", "c-new", "query")]
    assert plan.summary() == "Plan: 1 to add, 1 to change, 1 to remove."
    assert plan.unchanged == 0


def test_a_change_reads_as_a_unified_diff_of_the_properties() -> None:
    change = make_plan({"a": with_threshold("> 50")}, {"a": ALERT}).changes[0]
    assert change.diff == [
        "@@ -5,3 +5,3 @@",
        "      frequency: 1m",
        "      query: errors",
        "-     threshold: '> 10'",
        "+     threshold: '> 50'",
    ]


def test_added_and_removed_resources_show_whole() -> None:
    plan = make_plan({"new": QUERY}, {"old": ALERT})
    added, removed = plan.changes
    assert added.diff[:2] == ["+ type: query", "+ properties:"]
    assert "+     - $error = true" in added.diff
    assert removed.diff[0] == "- type: alert"
    assert all(line.startswith("- ") for line in removed.diff)


def test_a_type_change_is_a_change() -> None:
    plan = make_plan({"x": {"type": "dataset", "properties": {}}},
                     {"x": {"type": "query", "properties": {}}})
    assert [(c.action, c.type) for c in plan.changes] == [("change", "dataset")]
    assert plan.changes[0].diff == ["@@ -1,2 +1,2 @@", "- type: query", "+ type: dataset",
                                    "  properties: {}"]
