"""Terminal output for query results: aggregate tables, sparkline charts, event lines."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

_BLOCKS = "▁▂▃▄▅▆▇█"
_LEVEL_STYLES = {"error": "red", "fatal": "bold red", "warn": "yellow", "debug": "dim"}


def sparkline(values: list[float | None], width: int = 40) -> str:
    """Unicode blocks for a series, squeezed to `width` by averaging neighbouring buckets."""
    if len(values) > width:
        size = -(-len(values) // width)
        chunks = [values[i : i + size] for i in range(0, len(values), size)]
        values = [
            sum(present) / len(present) if (present := [v for v in c if v is not None]) else None
            for c in chunks
        ]
    numbers = [v for v in values if v is not None]
    if not numbers:
        return " " * len(values)
    # Bars stand on zero (unless values go below it): one bucket, or a flat series, of 2,772
    # events then shows as full bars, not as the lowest block.
    low, high = min(0.0, *numbers), max(numbers)
    span = (high - low) or 1.0
    return "".join(
        " " if v is None else _BLOCKS[int((v - low) / span * (len(_BLOCKS) - 1))] for v in values
    )


def _label(groups: dict[str, Any]) -> str:
    return ", ".join(f"{v}" for v in groups.values()) or "all"


def _cell(value: Any) -> Text:
    """A value as a table cell, printed literally (a value is never read as Rich markup)."""
    if value is None:
        return Text("(null)", style="dim")
    if isinstance(value, bool):
        return Text("true" if value else "false")
    if isinstance(value, float):
        return Text(f"{value:,.3f}".rstrip("0").rstrip("."))
    return Text(f"{value:,}" if isinstance(value, int) else str(value))


def render_result(console: Console, result: dict[str, Any]) -> None:
    if result["aggregates"]:
        render_aggregates(console, result)
    else:
        for event in reversed(result["events"]):
            console.print(event_line(event), soft_wrap=True)
        if not result["events"]:
            console.print("no events matched; widen --from or run `limelight demo`",
                          style="dim")
    stats = result["statistics"]
    console.print(f"{stats['rows_read']:,} rows · {stats['elapsed_ms']:.1f} ms", style="dim")


def render_aggregates(console: Console, result: dict[str, Any]) -> None:
    aggregates = result["aggregates"]
    group_keys = list(aggregates[0]["groups"])
    labels = list(aggregates[0]["values"])
    table = Table()
    for header in [*group_keys, *labels]:
        table.add_column(Text(header))
    if result["series"]:
        table.add_column("trend", no_wrap=True)
    first = labels[0] if labels else None
    for row in aggregates:
        points = [
            next((d["values"].get(first) for d in bucket["data"] if d["groups"] == row["groups"]),
                 None)
            for bucket in result["series"]
        ]
        trend = [Text(sparkline(points), style="cyan")] if result["series"] else []
        table.add_row(
            *[_cell(row["groups"][k]) for k in group_keys],
            *[_cell(row["values"][k]) if row["values"][k] is not None else Text("")
              for k in labels],
            *trend,
        )
    console.print(table)
    if result["series"]:
        start = datetime.fromtimestamp(result["series"][0]["time"] / 1000, UTC)
        end = datetime.fromtimestamp(result["series"][-1]["time"] / 1000, UTC)
        console.print(f"trend of {first} from {start:%Y-%m-%d %H:%M} to {end:%H:%M} UTC",
                      style="dim")


def event_line(event: dict[str, Any]) -> Text:
    line = Text()
    line.append(event.get("$timestamp", "")[:23].replace("T", " ") + " ", style="dim")
    line.append(f"{event.get('$service', '')}/{event.get('$namespace', '')} ", style="blue")
    level = event.get("$level") or ("error" if event.get("$error") else event.get("$kind", ""))
    line.append(f"{level:<6}", style=_LEVEL_STYLES.get(level, ""))
    text = event.get("$message") or event.get("$name") or ""
    line.append(" " + str(text))
    if "$duration_ms" in event:
        line.append(f" {event['$duration_ms']:.1f}ms", style="magenta")
    if "$trace_id" in event:
        line.append(f" trace={event['$trace_id'][:16]}", style="dim")
    return line
