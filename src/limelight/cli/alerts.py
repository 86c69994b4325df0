"""`limelight alerts [list]`, `limelight alerts history SERVICE/ID`, `limelight alerts snooze`."""

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

_STATE_STYLES = {"firing": "bold red", "error": "yellow", "invalid": "yellow",
                 "disabled": "dim", "pending": "dim", "ok": "green", "resolved": "green"}


@click.group(invoke_without_command=True)
@connection_options
@click.pass_context
def alerts(ctx: click.Context, url: str, api_key: str | None, data_dir: Path) -> None:
    """Alerts: state, last value and last notification (`limelight alerts` lists them)."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_alerts, url=url, api_key=api_key, data_dir=data_dir)


@alerts.command("list")
@click.option("--service", default=None, help="Only this service's alerts.")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")
@connection_options
def list_alerts(url: str, api_key: str | None, data_dir: Path, service: str | None = None,
                as_json: bool = False) -> None:
    """Every alert with its state, last value and last notification."""
    params = {"service": service} if service else {}
    found = connect(url, api_key, data_dir).request("GET", "/api/alerts", params=params)["alerts"]
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    console = Console()
    if not found:
        console.print("no alerts; define them in .limelight/ and run `limelight apply`",
                      style="dim")
        return
    table = Table("alert", "severity", "state", "value", "threshold", "last notification")
    table.columns[0].no_wrap = True
    for alert in found:
        name = Text(f"{alert['service']}/{alert['id']}\n")
        name.append(alert["name"], style="dim")
        table.add_row(
            name, alert["severity"], _state(alert), _value(alert),
            str(alert.get("threshold") or ""), _notification(alert.get("last_notification")),
        )
    console.print(table)
    for alert in found:
        problem = alert.get("error") or alert.get("last_error")
        if problem:
            console.print(f"{alert['service']}/{alert['id']}: {problem}", style="yellow")


@alerts.command()
@click.argument("alert")
@click.option("--limit", default=50, show_default=True, help="Entries to show, newest first.")
@click.option("--offset", default=0, help="Skip this many newest entries.")
@connection_options
def history(alert: str, limit: int, offset: int, url: str, api_key: str | None,
            data_dir: Path) -> None:
    """State changes and every delivery attempt of ALERT (SERVICE/ID), newest first."""
    page = connect(url, api_key, data_dir).request(
        "GET", f"/api/alerts/{_ref(alert)}/history", params={"limit": limit, "offset": offset})
    table = Table("time", "instance", "what", "result")
    for entry in page["entries"]:
        group = ", ".join(f"{k}={v}" for k, v in (entry.get("group") or {}).items()) or "all"
        if entry["kind"] == "transition":
            what = f"{entry['from']} → {entry['to']}"
            result = Text(f"value {entry.get('value')}")
        else:
            what = f"{entry['event']} → {entry['channel']}"
            status = " ".join(str(p) for p in (entry.get("status"), entry.get("detail")) if p)
            verdict = "delivered" if entry["ok"] else "failed"
            result = Text(f"#{entry['attempt']} {verdict} {status}".strip(),
                          style="green" if entry["ok"] else "red")
        table.add_row(_when(entry["time_ms"]), group, what, result)
    console = Console()
    console.print(table)
    console.print(f"{len(page['entries'])} of {page['total']} entries", style="dim")


@alerts.command()
@click.argument("alert")
@click.argument("until")
@connection_options
def snooze(alert: str, until: str, url: str, api_key: str | None, data_dir: Path) -> None:
    """Silence ALERT (SERVICE/ID) UNTIL a time: ISO 8601, a duration from now (`2h`), or `off`."""
    body = {"until": None if until.lower() in ("off", "none", "0") else until}
    found = connect(url, api_key, data_dir).request(
        "POST", f"/api/alerts/{_ref(alert)}/snooze", json=body)
    until_ms = found.get("snoozed_until_ms")
    click.echo(f"{_ref(alert)} snoozed until {_when(until_ms)}" if until_ms
               else f"{_ref(alert)} is not snoozed", err=True)


def _ref(alert: str) -> str:
    if alert.count("/") != 1 or alert.startswith("/") or alert.endswith("/"):
        raise click.BadParameter(f"{alert!r}: give SERVICE/ID, e.g. shop/checkout-errors")
    return alert


def _state(alert: dict[str, Any]) -> Text:
    state = alert["state"]
    firing = sum(1 for i in alert.get("instances", []) if i["state"] == "firing")
    label = f"{state} ({firing})" if state == "firing" and firing > 1 else state
    if alert.get("snoozed_until_ms"):
        label += " · snoozed"
    return Text(label, style=_STATE_STYLES.get(state, ""))


def _value(alert: dict[str, Any]) -> str:
    value = alert.get("value")
    if value is None:
        return ""
    return f"{value:,.4g}" if isinstance(value, float) else f"{value:,}"


def _notification(last: dict[str, Any] | None) -> str:
    if not last:
        return ""
    channels = ", ".join(last["channels"]) or "no channel"
    return f"{last['event']} {_when(last['time_ms'])} → {channels}"


def _when(ms: int | None) -> str:
    if not ms:
        return ""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")
