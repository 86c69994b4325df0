"""`limelight serve`."""

from __future__ import annotations

import fcntl
import os
import socket
import textwrap
from pathlib import Path

import click
import uvicorn

from limelight.app import DATABASE_FILE, create_app
from limelight.settings import Settings, describe

_DECLARED = {name: (env, default, help_text) for name, env, default, help_text in describe()}
_OPTION_SETTINGS = {"host", "port", "data_dir", "demo"}


def _option_help(name: str) -> str:
    env, default, help_text = _DECLARED[name]
    shown = "" if default in ("", False) else f", default {default}"
    return f"{help_text} [env {env}{shown}]"


def _settings_epilog() -> str:
    """The settings without an option, from their one declaration, for `serve --help`."""
    lines = ["Other settings, from the environment:", ""]
    for name, (env, default, help_text) in _DECLARED.items():
        if name not in _OPTION_SETTINGS:
            shown = "" if default == "" else f" [default {default}]"
            wrapped = textwrap.fill(help_text, 74, initial_indent="  ", subsequent_indent="  ")
            lines.append(f"\b\n{env}{shown}\n{wrapped}")
    return "\n\n".join(lines)


@click.command(epilog=_settings_epilog())
@click.option("--host", default=None, help=_option_help("host"))
@click.option("--port", type=click.IntRange(0, 65535), default=None, help=_option_help("port"))
@click.option("--data-dir", type=click.Path(path_type=Path), default=None,
              help=_option_help("data_dir"))
@click.option("--demo", is_flag=True, default=None, help=_option_help("demo"))
def serve(host: str | None, port: int | None, data_dir: Path | None, demo: bool | None) -> None:
    """Run the server: ingest, query API and console on one port."""
    try:
        settings = Settings.from_env(host=host, port=port, data_dir=data_dir, demo=demo or None)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    # Checked before the data dir is made, so a start that cannot go on makes nothing (and
    # shows no first keys it would then lose).
    _check_port(settings.host, settings.port)
    _check_data_dir(settings.data_dir / DATABASE_FILE)
    # The database holds key hashes, sessions and the obfuscation secret: what the server
    # writes (database, WAL, segments) is its user's alone.
    os.umask(0o077)
    click.echo(
        f"Limelight on http://{settings.host}:{settings.port} (data in {settings.data_dir})",
        err=True,
    )
    uvicorn.run(
        create_app(settings), host=settings.host, port=settings.port, log_level="warning",
        timeout_graceful_shutdown=10, limit_concurrency=settings.max_connections,
    )


def _check_port(host: str, port: int) -> None:
    if not 0 <= port <= 65535:
        raise click.ClickException(f"port {port} is not between 0 and 65535")
    try:
        socket.create_server((host, port)).close()
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; is another server "
            "running there? Give another --port") from exc


def _check_data_dir(database: Path) -> None:
    directory = database.parent
    if directory.exists() and not directory.is_dir():
        raise click.ClickException(f"--data-dir {directory} is a file, not a directory")
    if not database.exists():
        return
    # DuckDB holds a POSIX lock on the file while a process has it open; probing that lock
    # is instant, where opening the database would replay its log first.
    with database.open("rb+") as file:
        try:
            fcntl.lockf(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise click.ClickException(
                f"{directory} is in use by another Limelight (or another program holding "
                f"{database.name}); stop it or give another --data-dir") from exc
        fcntl.lockf(file, fcntl.LOCK_UN)
