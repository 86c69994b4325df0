"""The built-in explainer: plain-language findings written from the local analysis alone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%H:%M UTC")


def explain_offline(analysis: dict[str, Any]) -> dict[str, Any]:
    kind = analysis.get("kind")
    if kind == "trace":
        return _trace(analysis)
    if kind == "event":
        answer = _trace(analysis["trace"]) if "trace" in analysis else _nothing("this event")
        event = analysis["event"]
        what = event.get("$message") or event.get("$name") or "an event"
        answer["summary"] = f"{event.get('$service', 'A service')} recorded {what!r}. " + (
            answer["summary"])
        return answer
    if kind == "alert":
        return _alert(analysis)
    if kind == "error":
        return _error(analysis)
    return _query(analysis)


def _error(analysis: dict[str, Any]) -> dict[str, Any]:
    """The group's story: who it hits since when, the release it came with, where it breaks."""
    error = analysis["error"]
    seen = _query(analysis)  # anomalies and differences in the group's own frequency
    users = f" for {error['users']} user{'s' if error['users'] != 1 else ''}" if (
        error.get("users")) else ""
    services = ", ".join(error.get("services") or []) or "an unknown service"
    summary = (f"{error['title']}: {error['count']} event{'s' if error['count'] != 1 else ''}"
               f"{users} in {services} since {_when(error['first_seen_ms'])}")
    if error.get("regressed_at_ms"):
        summary += f"; it came back at {_when(error['regressed_at_ms'])} after being resolved"
    summary += "."
    if analysis.get("anomalies"):
        summary += " " + seen["summary"]
    where = error.get("culprit") or "an unknown place"
    evidence: list[str] = []
    actions = [f"Open {where}: {error.get('type') or 'the error'} is raised there."]
    root_cause = f"{error.get('type') or 'An error'} in {where}: {error.get('message') or ''}"
    release = analysis.get("release")
    if release:
        share = f"{release['share']:.0%} of its events carry {release['key']} = {release['value']}"
        if release.get("correlated"):
            minutes = max(0, round(release["group_started_after_ms"] / 60_000))
            root_cause = (f"It started {minutes} min after {release['key']} {release['value']} "
                          f"first appeared, so that release is the likely cause; it breaks in "
                          f"{where}.")
            actions.insert(0, f"Roll back {release['value']} or ship a fix for {where}.")
        evidence.append(share + ".")
    for frame in reversed((analysis.get("latest") or {}).get("stack") or []):
        line = f" line {frame['lineno']}" if frame.get("lineno") else ""
        code = f": {frame['context_line']}" if frame.get("context_line") else ""
        evidence.append(f"at {frame.get('module') or frame.get('filename', '?')} in "
                        f"{frame.get('function', '?')}{line}{code}")
        if len(evidence) >= 4:
            break
    trace = analysis.get("trace")
    if trace and trace.get("first_error"):
        failure = trace["first_error"]
        chain = " → ".join(f"{a['service']}/{a['name']}" for a in failure["propagated_to"])
        evidence.append(f"In its latest trace the error starts in {failure['service']} / "
                        f"{failure['name']}" + (f" and reaches {chain}." if chain else "."))
    evidence += seen["evidence"][:3]
    actions.append("Resolve the group once the fix is out: a new occurrence reopens it as a "
                   "regression and notifies.")
    return {"summary": summary, "root_cause": root_cause, "evidence": evidence,
            "actions": actions}


def _alert(analysis: dict[str, Any]) -> dict[str, Any]:
    """The alert's state first, then what its query's analysis found."""
    alert = analysis["alert"]
    answer = _query(analysis)
    head = f"Alert {alert['name']!r} ({alert['severity']})"
    if alert["firing"]:
        parts = []
        for instance in alert["firing"][:3]:
            group = ", ".join(f"{k} = {v}" for k, v in instance["group"].items())
            value = "no data" if instance["value"] is None else f"{instance['value']:g}"
            parts.append(f"{alert['calculation']} = {value}" + (f" for {group}" if group else "")
                         + f" since {_when(instance['since_ms'])}")
        head += f" is firing ({alert['threshold']}): " + "; ".join(parts) + "."
    else:
        head += f" is {alert['state']} (threshold {alert['threshold']})."
    answer["summary"] = head + " " + answer["summary"]
    if alert["firing"]:
        answer["actions"] = answer["actions"] + [
            "If this is expected (a deploy, a load test), snooze the alert: "
            f"POST /api/alerts/{alert['id']}/snooze."]
    return answer


def _nothing(what: str) -> dict[str, Any]:
    return {"summary": f"Nothing stands out in {what}.", "root_cause": None, "evidence": [],
            "actions": ["Widen the time range or remove filters to compare against more data."]}


def _query(analysis: dict[str, Any]) -> dict[str, Any]:
    anomalies = analysis.get("anomalies") or []
    differences = analysis.get("differences") or []
    patterns = analysis.get("log_patterns") or []
    calculation = analysis.get("calculation", "the value")
    evidence: list[str] = []
    actions: list[str] = []
    if anomalies:
        top = anomalies[0]
        group = "" if top["group"] == "all" else f" for {top['group']}"
        summary = (f"{calculation}{group} shows a {top['direction']} from {_when(top['start_ms'])}"
                   f" to {_when(top['end_ms'])}: {top['value']:g} against a usual "
                   f"{top['baseline']:g}.")
        evidence.append(f"The peak is {abs(top['score']):.1f} robust deviations from the series' "
                        "own baseline.")
    elif analysis.get("change_points"):
        change = analysis["change_points"][0]
        summary = (f"{calculation} changed level at {_when(change['time_ms'])}: from "
                   f"{change['before']:g} to {change['after']:g}.")
    else:
        summary = f"{calculation} has no anomaly over this range."
    root_cause = None
    if differences:
        top_diff = differences[0]
        root_cause = (f"The affected events concentrate on {top_diff['key']} = "
                      f"{top_diff['value']}: {top_diff['describe']}.")
        evidence += [d["describe"] for d in differences[:5]]
        actions.append(f"Filter on {top_diff['key']} = {top_diff['value']} and look at its "
                       "recent changes, dependencies and errors.")
        related = [d for d in differences[1:4] if d["key"] != top_diff["key"]]
        if related:
            actions.append("Check whether " + ", ".join(f"{d['key']} = {d['value']}"
                                                        for d in related)
                           + " is the same cause seen from another side.")
    for pattern in patterns[:3]:
        if pattern["new"] or pattern["surging"]:
            state = "new" if pattern["new"] else "surging"
            evidence.append(f"Log pattern ({state}, {pattern['count']}×): {pattern['template']}")
            if root_cause is None:
                root_cause = f"A {state} log pattern appears: {pattern['template']}"
    if anomalies and not actions:
        actions.append("Group the query by service, route and version to find where the change "
                       "comes from.")
    if not anomalies and not differences:
        actions.append("Nothing stands out; compare against a longer range.")
    return {"summary": summary, "root_cause": root_cause, "evidence": evidence,
            "actions": actions}


def _trace(analysis: dict[str, Any]) -> dict[str, Any]:
    evidence: list[str] = []
    actions: list[str] = []
    root_cause = None
    slowest = analysis.get("slowest_spans") or []
    summary = (f"Trace of {analysis['span_count']} spans across "
               f"{', '.join(analysis['services'])} took {analysis['duration_ms']:.1f} ms.")
    failure = analysis.get("first_error")
    if failure:
        exception = failure.get("exception") or {}
        detail = exception.get("message") or failure.get("message") or "an error"
        root_cause = (f"The error starts in {failure['service']} / {failure['name']}: {detail}"
                      + (f" ({exception['type']})" if exception.get("type") else "") + ".")
        chain = " → ".join(f"{a['service']}/{a['name']}" for a in failure["propagated_to"])
        if chain:
            evidence.append(f"It propagated up through {chain}.")
        actions.append(f"Look at {failure['service']} / {failure['name']} and the dependency it "
                       "calls; retry or fail fast if it is an external provider.")
    if slowest:
        top = slowest[0]
        share = f" ({top['share']:.0%} of the trace)" if top.get("share") else ""
        evidence.append(f"Most time is spent in {top['service']} / {top['name']}: "
                        f"{top['self_ms']:.1f} ms of its own{share}.")
        if root_cause is None and top.get("share") and top["share"] >= 0.5:
            root_cause = f"{top['service']} / {top['name']} dominates the trace's latency."
            actions.append(f"Speed up or cache {top['name']}, or call it in parallel.")
    path = analysis.get("critical_path") or []
    if path:
        evidence.append("Critical path: " + " → ".join(f"{p['service']}/{p['name']}"
                                                        for p in path))
    for log in analysis.get("error_logs", [])[:3]:
        evidence.append(f"Error log from {log['service']}: {log['message']}")
    if not actions:
        actions.append("Nothing failed; compare with a typical trace of the same route.")
    return {"summary": summary, "root_cause": root_cause, "evidence": evidence,
            "actions": actions}
