"""How runs move a check between up, failing and down, and what survives a restart."""

from __future__ import annotations

from limelight.checks.probe import ProbeResult
from limelight.checks.state import RECENT, CheckState, record, stop


def run(ok: bool, time_ms: int) -> ProbeResult:
    return ProbeResult(ok, time_ms, 200 if ok else 500, 12.5, None if ok else "status 500")


def test_fires_on_the_nth_failure_in_a_row_and_resolves_on_the_first_success() -> None:
    state = CheckState("shop/site")
    events = [record(state, run(ok, t), failures_to_fire=3)
              for t, ok in enumerate([False, False, True, False, False, False, False, True, True])]
    assert events == [None, None, None, None, None, "firing", None, "resolved", None]
    assert (state.failures, state.firing, state.since_ms) == (0, False, 7)


def test_since_marks_the_start_of_the_current_streak() -> None:
    state = CheckState("shop/site")
    for t, ok in enumerate([True, True, False, False]):
        record(state, run(ok, t * 10), failures_to_fire=2)
    assert (state.since_ms, state.failures, state.firing) == (20, 2, True)


def test_only_the_latest_runs_are_kept() -> None:
    state = CheckState("shop/site")
    for t in range(RECENT + 5):
        record(state, run(True, t), failures_to_fire=2)
    assert [r["time_ms"] for r in state.recent] == list(range(5, RECENT + 5))
    assert state.last_run_ms == RECENT + 4


def test_stopping_a_firing_check_resolves_it_once() -> None:
    state = CheckState("shop/site")
    record(state, run(False, 1), failures_to_fire=1)
    assert stop(state) == "resolved"
    assert stop(state) is None
    assert (state.failures, state.firing) == (0, False)


def test_state_round_trips_through_its_document() -> None:
    state = CheckState("shop/site")
    for t, ok in enumerate([True, False, False]):
        record(state, run(ok, t), failures_to_fire=2)
    again = CheckState.from_doc("shop/site", state.to_doc())
    assert again == state
    assert state.to_doc()["version"] == 1
