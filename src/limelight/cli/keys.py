"""`limelight keys list|create|revoke`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from limelight.apikeys import Scope
from limelight.cli.client import connect, connection_options


@click.group()
def keys() -> None:
    """Manage API keys (needs an admin key)."""


@keys.command("list")
@connection_options
def list_keys(url: str, api_key: str | None, data_dir: Path) -> None:
    """List keys: id, scope, name, created."""
    found = connect(url, api_key, data_dir).request("GET", "/api/api-keys")["keys"]
    table = Table("id", "scope", "name", "created")
    for key in found:
        created = datetime.fromtimestamp(key["created_ms"] / 1000, UTC).strftime("%Y-%m-%d %H:%M")
        table.add_row(key["id"], key["scope"], key["name"], created)
    Console().print(table)


@keys.command()
@click.option("--scope", type=click.Choice([s.value for s in Scope]), required=True,
              help="ingest: write only; query: read; admin: everything.")
@click.option("--name", default="", help="A note to recognise the key by.")
@connection_options
def create(scope: str, name: str, url: str, api_key: str | None, data_dir: Path) -> None:
    """Create a key and print it alone on stdout (it is not shown again)."""
    created = connect(url, api_key, data_dir).request(
        "POST", "/api/api-keys", json={"scope": scope, "name": name}
    )
    click.echo(created["key"])


@keys.command()
@click.argument("key_id")
@connection_options
def revoke(key_id: str, url: str, api_key: str | None, data_dir: Path) -> None:
    """Revoke a key by its id (as `keys list` shows it) or by the key itself."""
    revoked = connect(url, api_key, data_dir).request("DELETE", f"/api/api-keys/{key_id}")
    click.echo(f"revoked {revoked['id']} ({revoked['scope']})", err=True)
