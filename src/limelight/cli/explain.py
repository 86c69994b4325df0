"""`limelight explain`: Ask AI about a query, a trace, an event, an alert or an error group."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from limelight.cli.client import connect, connection_options


@click.command()
@click.option("--trace", "trace_id", default=None, help="Explain this trace id.")
@click.option("--event", "event_ref", default=None, help="Explain an event: DATASET:ID.")
@click.option("--alert", "alert_ref", default=None, help="Explain an alert: SERVICE/ALERT-ID.")
@click.option("--error", "error_id", default=None, help="Explain an error group: its id.")
@click.option("--file", "spec_file", type=click.File("r"), default=None,
              help="Explain the result of the query spec in this JSON file.")
@click.option("--preview", is_flag=True, help="Show what would be sent; send nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the raw response as JSON.")
@connection_options
def explain(
    trace_id: str | None, event_ref: str | None, alert_ref: str | None, error_id: str | None,
    spec_file: Any,
    preview: bool, as_json: bool, url: str, api_key: str | None, data_dir: Path,
) -> None:
    """Explain what is happening, the likely root cause and what to do.

    \b
    Examples:
      limelight explain --trace 5b8efff798038103d269b633813fc60c
      limelight explain --file errors-by-route.json
      limelight explain --event otel:1234 --preview
      limelight explain --alert shop/checkout-errors
      limelight explain --error 3f9c2a71d04b
    """
    chosen = [x for x in (trace_id, event_ref, alert_ref, error_id, spec_file) if x is not None]
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of --trace, --event, --alert, --error or --file")
    target: dict[str, Any]
    if trace_id:
        target = {"kind": "trace", "trace_id": trace_id}
    elif event_ref:
        dataset, _, event_id = event_ref.partition(":")
        if not event_id.isdecimal():
            raise click.UsageError("--event takes DATASET:ID, e.g. otel:1234")
        target = {"kind": "event", "dataset": dataset, "id": int(event_id)}
    elif alert_ref:
        target = {"kind": "alert", "id": alert_ref}
    elif error_id:
        target = {"kind": "error", "id": error_id}
    else:
        try:
            target = {"kind": "query", "query": json.load(spec_file)}
        except json.JSONDecodeError as exc:
            raise click.ClickException(f"{spec_file.name}: not valid JSON: {exc}") from exc
    answer = connect(url, api_key, data_dir).request(
        "POST", "/api/explain", json={"target": target, "preview": preview}
    )
    if as_json:
        click.echo(json.dumps(answer, indent=2))
        return
    console = Console()
    console.print(answer["summary"], style="bold")
    if answer.get("root_cause"):
        console.print(f"\n[bold]Likely cause[/bold]: {answer['root_cause']}")
    if answer["evidence"]:
        console.print("\n[bold]Evidence[/bold]")
        for line in answer["evidence"]:
            console.print(f"  • {line}")
    if answer["actions"]:
        console.print("\n[bold]What to do[/bold]")
        for line in answer["actions"]:
            console.print(f"  • {line}")
    if answer.get("note"):
        console.print(f"\n{answer['note']}", style="yellow")
    console.print(f"\nexplained by: {answer['provider']}", style="dim")
