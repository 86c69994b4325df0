"""What the API says about a check: its status from its spec and state."""

from __future__ import annotations

import pytest

from limelight.checks.probe import ProbeResult
from limelight.checks.scheduler import StoredCheck
from limelight.checks.spec import CheckSpec
from limelight.checks.state import CheckState, record
from limelight.checks.views import check_detail, check_view, status_of

SPEC = CheckSpec(url="https://example.com", failures=2)


def state_after(*oks: bool) -> CheckState:
    state = CheckState("shop/site")
    for t, ok in enumerate(oks):
        record(state, ProbeResult(ok, t, 200, float(t)), SPEC.failures)
    return state


@pytest.mark.parametrize(("check", "state", "status"), [
    (StoredCheck("shop", "site", None, "interval: must be at least 10s"), None, "invalid"),
    (StoredCheck("shop", "site", CheckSpec(url="https://x", enabled=False)), state_after(False),
     "disabled"),
    (StoredCheck("shop", "site", SPEC), None, "pending"),
    (StoredCheck("shop", "site", SPEC), CheckState("shop/site"), "pending"),
    (StoredCheck("shop", "site", SPEC), state_after(True), "up"),
    (StoredCheck("shop", "site", SPEC), state_after(True, False), "failing"),
    (StoredCheck("shop", "site", SPEC), state_after(False, False), "down"),
    (StoredCheck("shop", "site", SPEC), state_after(False, False, True), "up"),
], ids=["invalid", "disabled", "never-run", "no-runs-yet", "up", "failing", "down", "recovered"])
def test_status(check: StoredCheck, state: CheckState | None, status: str) -> None:
    assert status_of(check, state) == status


def test_view_and_detail() -> None:
    check = StoredCheck("shop", "site", SPEC)
    view = check_view(check, state_after(True, False, False))
    assert {k: view[k] for k in ("name", "status", "consecutive_failures", "since_ms",
                                 "recent_latency_ms", "failures_to_alert", "interval_s")} == {
        "name": "site", "status": "down", "consecutive_failures": 2, "since_ms": 1,
        "recent_latency_ms": [0.0, 1.0, 2.0], "failures_to_alert": 2, "interval_s": 60.0}
    detail = check_detail(check, state_after(True, False), [])
    assert [r["time_ms"] for r in detail["runs"]] == [1, 0]
    invalid = check_view(StoredCheck("shop", "bad", None, "url: is required"), None)
    assert (invalid["status"], invalid["problem"], "url" in invalid) == (
        "invalid", "url: is required", False)
