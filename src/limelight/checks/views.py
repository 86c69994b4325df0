"""A check as the API shows it: its settings, its state now and its recent runs."""

from __future__ import annotations

from typing import Any

from limelight.checks.notify import display_name
from limelight.checks.scheduler import StoredCheck
from limelight.checks.state import CheckState

NS_PER_S = 1_000_000_000


def status_of(check: StoredCheck, state: CheckState | None) -> str:
    """invalid, disabled, pending (never run), up, failing (not yet alerting) or down."""
    if check.spec is None:
        return "invalid"
    if not check.spec.enabled:
        return "disabled"
    if state is None or state.last is None:
        return "pending"
    if state.firing:
        return "down"
    return "failing" if state.failures else "up"


def check_view(check: StoredCheck, state: CheckState | None) -> dict[str, Any]:
    spec = check.spec
    state = state or CheckState(check.ref)
    recent = state.recent
    view: dict[str, Any] = {
        "service": check.service,
        "id": check.id,
        "name": display_name(check.id, spec) if spec is not None else check.id,
        "status": status_of(check, state),
        "consecutive_failures": state.failures,
        "since_ms": state.since_ms or None,
        "last_run": recent[-1] if recent else None,
        "recent_latency_ms": [run.get("latency_ms") for run in recent],
        "problem": check.problem,
    }
    if spec is not None:
        view.update({
            "url": spec.url,
            "method": spec.method,
            "interval_s": spec.interval_ns / NS_PER_S,
            "timeout_s": spec.timeout_ns / NS_PER_S,
            "failures_to_alert": spec.failures,
            "severity": spec.severity,
            "enabled": spec.enabled,
        })
    return view


def check_detail(check: StoredCheck, state: CheckState | None,
                 deliveries: list[dict[str, Any]]) -> dict[str, Any]:
    """The view plus every kept run and the latest deliveries, newest first."""
    runs = list(reversed(state.recent)) if state is not None else []
    return {**check_view(check, state), "runs": runs, "deliveries": deliveries}
