"""`limelight serve`."""

from __future__ import annotations

from pathlib import Path

import click
import uvicorn

from limelight.app import create_app
from limelight.settings import Settings


@click.command()
@click.option("--host", default=None,
              help="Listen address [env LIMELIGHT_HOST, default 127.0.0.1].")
@click.option("--port", type=int, default=None, help="Port [env LIMELIGHT_PORT, default 4318].")
@click.option("--data-dir", type=click.Path(path_type=Path), default=None,
              help="Data directory [env LIMELIGHT_DATA_DIR, default ./limelight-data].")
@click.option("--demo", is_flag=True, default=None,
              help="Also run the demo shop inside the server [env LIMELIGHT_DEMO].")
def serve(host: str | None, port: int | None, data_dir: Path | None, demo: bool | None) -> None:
    """Run the server: ingest, query API and console on one port."""
    settings = Settings.from_env(host=host, port=port, data_dir=data_dir, demo=demo or None)
    click.echo(
        f"Limelight on http://{settings.host}:{settings.port} (data in {settings.data_dir})",
        err=True,
    )
    uvicorn.run(
        create_app(settings), host=settings.host, port=settings.port, log_level="warning",
        timeout_graceful_shutdown=10,
    )
