"""`limelight segments check|set-aside`: the sealed segments of a stopped server's data dir."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from limelight.app import DATABASE_FILE
from limelight.store.duckdb import repair


def _data_dir(function: Any) -> Any:
    return click.option(
        "--data-dir", type=click.Path(path_type=Path, file_okay=False),
        envvar="LIMELIGHT_DATA_DIR", default=Path("limelight-data"), show_default=True,
        help="The data dir of the server, which must be stopped.")(function)


@click.group()
def segments() -> None:
    """Sealed segments (Parquet files of older rows): check them, set aside a broken one.

    Both work on a stopped server's data dir."""


@segments.command()
@_data_dir
def check(data_dir: Path) -> None:
    """Read every value of every segment; exit 1 when one cannot be read."""
    try:
        found = repair.check(data_dir / DATABASE_FILE)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    table = Table("dataset", "file", "rows", "state")
    for health in found:
        state = Text("ok", style="green") if health.problem is None else Text(
            health.problem, style="bold red")
        table.add_row(health.segment.dataset, health.segment.file,
                      f"{health.segment.rows:,}", state)
    console = Console()
    if not found:
        console.print("no sealed segments", style="dim")
        return
    console.print(table)
    broken = [h.segment.file for h in found if h.problem is not None]
    if broken:
        console.print(f"{len(broken)} of {len(found)} segments cannot be read: restore them "
                      "from a backup, or `limelight segments set-aside FILE`")
        raise SystemExit(1)


@segments.command("set-aside")
@click.argument("file")
@_data_dir
def set_aside(file: str, data_dir: Path) -> None:
    """Take FILE out of its dataset (renamed FILE.unreadable, not deleted), so the server
    starts and the dataset is queried without that segment's rows."""
    try:
        segment = repair.set_aside(data_dir / DATABASE_FILE, file)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"set aside {file} ({segment.rows:,} rows of dataset {segment.dataset}) as "
               f"{file}{repair.SET_ASIDE_SUFFIX}")
