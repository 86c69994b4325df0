"""How plans, diffs and backtests read on the terminal (colour when it is one)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.text import Text

from limelight.code.diff import Change, Plan

DAY_NS = 86_400_000_000_000
_MARKS = {"add": ("+", "green"), "change": ("~", "yellow"), "remove": ("-", "red")}
_LINE_STYLES = {"+": "green", "-": "red", "@": "cyan"}


def console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def print_change(out: Console, change: Change, backtest: str | None = None) -> None:
    mark, style = _MARKS[change.action]
    head = Text(f"{mark} {change.id}", style=f"bold {style}")
    head.append(f" ({change.type})", style="dim")
    verb = {"add": "will be added", "change": "will be changed", "remove": "will be removed"}
    head.append(f" {verb[change.action]}", style=style)
    out.print(head)
    for line in change.diff:
        out.print(Text(f"    {line}", style=_LINE_STYLES.get(line[:1], "")))
    if backtest:
        out.print(Text(f"    {backtest}", style="magenta"))


def print_plan(out: Console, plan: Plan, backtests: Mapping[str, str]) -> None:
    for change in plan.changes:
        print_change(out, change, backtests.get(change.id))
        out.print()
    out.print(Text(plan.summary(), style="bold"))


def backtest_sentence(result: Mapping[str, Any], days: int) -> str:
    """`backtest: would have fired 3 times in 7 days` (or in the data there is)."""
    fired = int(result.get("fired") or 0)
    covered = int(result.get("covered_ns") or 0)
    if covered <= 0 or not result.get("evaluations"):
        return f"backtest: no stored events for its query in the last {days} days"
    times = "once" if fired == 1 else f"{fired} times"
    if covered >= days * DAY_NS * 0.99:
        span = f"in {days} days"
    else:
        span = f"in the {duration_text(covered)} of data there is"
    return f"backtest: would have fired {times} {span}"


def duration_text(ns: int) -> str:
    """`2.5 days`, `3 hours`, `12 minutes`."""
    for unit, size in (("day", DAY_NS), ("hour", 3_600_000_000_000), ("minute", 60_000_000_000)):
        if ns >= size:
            return _amount(ns / size, unit)
    return _amount(ns / 1e9, "second")


def _amount(value: float, unit: str) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{text} {unit}" + ("" if text == "1" else "s")
