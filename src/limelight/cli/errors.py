"""`limelight errors [list]`, `limelight errors show ID`, `limelight errors resolve ID`
(also `ignore`, `reopen`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from limelight.cli.client import connect, connection_options

_STATUS_STYLES = {"active": "bold red", "ignored": "dim", "resolved": "green"}


@click.group(invoke_without_command=True)
@connection_options
@click.pass_context
def errors(ctx: click.Context, url: str, api_key: str | None, data_dir: Path) -> None:
    """Error groups: one per bug, with counts and status (`limelight errors` lists them)."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_errors, url=url, api_key=api_key, data_dir=data_dir)


@errors.command("list")
@click.option("--status", type=click.Choice(["active", "ignored", "resolved"]), default=None,
              help="Only groups in this status.")
@click.option("--service", default=None, help="Only groups seen in this service.")
@click.option("--search", "text", default=None, help="Only groups whose title, message or "
                                                      "culprit contains this text.")
@click.option("--sort", type=click.Choice(["last_seen", "first_seen", "count", "users"]),
              default="last_seen", show_default=True, help="Order, largest first.")
@click.option("--limit", default=50, show_default=True, help="Groups to show.")
@click.option("--offset", default=0, help="Skip this many groups.")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")
@connection_options
def list_errors(url: str, api_key: str | None, data_dir: Path, status: str | None = None,
                service: str | None = None, text: str | None = None, sort: str = "last_seen",
                limit: int = 50, offset: int = 0, as_json: bool = False) -> None:
    """Error groups with their status, count, users and when they were last seen."""
    params: dict[str, str | int] = {"sort": sort, "limit": limit, "offset": offset}
    for name, value in (("status", status), ("service", service), ("q", text)):
        if value:
            params[name] = value
    page = connect(url, api_key, data_dir).request("GET", "/api/errors", params=params)
    if as_json:
        click.echo(json.dumps(page, indent=2))
        return
    console = Console()
    if not page["errors"]:
        console.print("no error groups", style="dim")
        return
    table = Table("id", "error", "status", "events", "users", "last seen", "services")
    table.columns[0].no_wrap = True
    for group in page["errors"]:
        title = Text(f"{group['title']}\n")
        title.append(group.get("culprit") or "", style="dim")
        table.add_row(group["id"], title, _status(group), f"{group['count']:,}",
                      f"{group['users']:,}", _when(group["last_seen_ms"]),
                      ", ".join(group.get("services", [])))
    console.print(table)
    console.print(f"{len(page['errors'])} of {page['total']} groups", style="dim")


@errors.command()
@click.argument("group_id")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")
@connection_options
def show(group_id: str, url: str, api_key: str | None, data_dir: Path,
         as_json: bool = False) -> None:
    """One group: its summary and latest occurrence with stack trace and breadcrumbs."""
    found = connect(url, api_key, data_dir).request("GET", f"/api/errors/{group_id}")
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    group = found["group"]
    console = Console()
    console.print(Text(group["title"], style="bold"))
    console.print(Text.assemble(_status(group), f"  {group['count']:,} events · "
                                f"{group['users']:,} users · first {_when(group['first_seen_ms'])}"
                                f" · last {_when(group['last_seen_ms'])}"))
    if group.get("culprit"):
        console.print(f"culprit: {group['culprit']}")
    if group.get("regressed_at_ms"):
        console.print(f"regressed {_when(group['regressed_at_ms'])}", style="yellow")
    if not found["samples"]:
        return
    latest = found["samples"][0]
    console.print(f"\nlatest: {_when(latest['time_ms'])} in {latest['service']}"
                  + (f" · trace {latest['trace_id']}" if latest.get("trace_id") else ""))
    for frame in latest["stack"]:
        where = frame.get("module") or frame.get("filename", "?")
        line = f":{frame['lineno']}" if frame.get("lineno") else ""
        console.print(f"  {where}{line} in {frame.get('function') or '?'}",
                      style="" if frame.get("in_app") is not False else "dim", highlight=False)
        if frame.get("context_line"):
            console.print(f"      {frame['context_line']}", style="cyan", highlight=False)
    for crumb in latest["breadcrumbs"][-10:]:
        console.print(f"  · {crumb.get('category') or crumb.get('type') or ''} "
                      f"{crumb.get('message') or ''}".rstrip(), style="dim", highlight=False)


@errors.command()
@click.argument("group_id")
@connection_options
def resolve(group_id: str, url: str, api_key: str | None, data_dir: Path) -> None:
    """Mark GROUP_ID resolved; its next occurrence is a regression and notifies."""
    _set_status(group_id, "resolved", url, api_key, data_dir)


@errors.command()
@click.argument("group_id")
@connection_options
def ignore(group_id: str, url: str, api_key: str | None, data_dir: Path) -> None:
    """Mark GROUP_ID ignored: still counted, never notified."""
    _set_status(group_id, "ignored", url, api_key, data_dir)


@errors.command()
@click.argument("group_id")
@connection_options
def reopen(group_id: str, url: str, api_key: str | None, data_dir: Path) -> None:
    """Mark GROUP_ID active again."""
    _set_status(group_id, "active", url, api_key, data_dir)


def _set_status(group_id: str, status: str, url: str, api_key: str | None,
                data_dir: Path) -> None:
    connect(url, api_key, data_dir).request("PATCH", f"/api/errors/{group_id}",
                                            json={"status": status})
    click.echo(f"{group_id} is {status}", err=True)


def _status(group: dict[str, Any]) -> Text:
    status = group["status"]
    return Text(status, style=_STATUS_STYLES.get(status, ""))


def _when(ms: int | None) -> str:
    if not ms:
        return ""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")
