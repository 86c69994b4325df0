"""`limelight checks [list]` and `limelight checks show SERVICE/ID`: health checks and runs."""

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
from limelight.cli.render import sparkline

_STATUS_STYLES = {"down": "bold red", "failing": "yellow", "invalid": "yellow",
                  "disabled": "dim", "pending": "dim", "up": "green"}


@click.group(invoke_without_command=True)
@connection_options
@click.pass_context
def checks(ctx: click.Context, url: str, api_key: str | None, data_dir: Path) -> None:
    """Website health checks: state and recent latency (`limelight checks` lists them)."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_checks, url=url, api_key=api_key, data_dir=data_dir)


@checks.command("list")
@click.option("--service", default=None, help="Only this service's checks.")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")
@connection_options
def list_checks(url: str, api_key: str | None, data_dir: Path, service: str | None = None,
                as_json: bool = False) -> None:
    """Every check with its state, last run and a sparkline of its recent latency."""
    params = {"service": service} if service else {}
    found = connect(url, api_key, data_dir).request("GET", "/api/checks", params=params)["checks"]
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    console = Console()
    if not found:
        console.print("no checks; define them in .limelight/ and run `limelight apply`",
                      style="dim")
        return
    table = Table("check", "state", "last run", "latency", "recent latency")
    table.columns[0].no_wrap = True
    for check in found:
        name = Text(f"{check['service']}/{check['id']}\n")
        name.append(check.get("url") or check["name"], style="dim")
        table.add_row(name, _status(check), _last_run(check.get("last_run")),
                      _latency(check.get("last_run")),
                      sparkline(check.get("recent_latency_ms") or [], width=20))
    console.print(table)
    for check in found:
        problem = check.get("problem") or _failure(check)
        if problem:
            console.print(f"{check['service']}/{check['id']}: {problem}", style="yellow")


@checks.command()
@click.argument("check")
@connection_options
def show(check: str, url: str, api_key: str | None, data_dir: Path) -> None:
    """CHECK (SERVICE/ID): its state, its recent runs and notifications, newest first."""
    if check.count("/") != 1 or check.startswith("/") or check.endswith("/"):
        raise click.BadParameter(f"{check!r}: give SERVICE/ID, e.g. shop/frontpage")
    found = connect(url, api_key, data_dir).request("GET", f"/api/checks/{check}")
    console = Console()
    console.print(Text(f"{check} ", style="bold") + _status(found) +
                  Text(f"  {found.get('method', '')} {found.get('url', '')}", style="dim"))
    table = Table("time", "result", "status", "latency", "TLS days", "error")
    for run in found["runs"]:
        table.add_row(_when(run["time_ms"]),
                      Text("ok", style="green") if run["ok"] else Text("failed", style="red"),
                      str(run.get("status") or ""), _latency(run),
                      "" if run.get("tls_days") is None else f"{run['tls_days']:.1f}",
                      run.get("error") or "")
    console.print(table)
    for entry in found["deliveries"]:
        verdict = "delivered" if entry["ok"] else "failed"
        console.print(f"{_when(entry['time_ms'])} {entry['event']} → {entry['channel']}: "
                      f"{verdict} {entry.get('status') or ''}".rstrip(),
                      style="green" if entry["ok"] else "red")


def _status(check: dict[str, Any]) -> Text:
    status = check["status"]
    label = status
    if status == "failing":
        label += f" ({check['consecutive_failures']}/{check.get('failures_to_alert')})"
    return Text(label, style=_STATUS_STYLES.get(status, ""))


def _last_run(run: dict[str, Any] | None) -> str:
    if not run:
        return ""
    return f"{_when(run['time_ms'])} {run.get('status') or 'no answer'}"


def _latency(run: dict[str, Any] | None) -> str:
    latency = (run or {}).get("latency_ms")
    return "" if latency is None else f"{latency:,.0f} ms"


def _failure(check: dict[str, Any]) -> str | None:
    run = check.get("last_run") or {}
    return None if run.get("ok", True) else run.get("error")


def _when(ms: int | None) -> str:
    if not ms:
        return ""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")
