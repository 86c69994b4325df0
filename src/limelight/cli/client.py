"""How CLI commands reach a server: URL and key from options, environment or the data dir."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import httpx

from limelight.app import admin_key_path

DEFAULT_URL = "http://127.0.0.1:4318"


@dataclass
class Connection:
    url: str
    api_key: str | None
    # Where the admin key was looked for when none was given: named when the server says 401.
    key_file: Path | None = None

    def client(self, timeout: float = 30.0) -> httpx.Client:
        headers = {"x-api-key": self.api_key} if self.api_key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """One API call; any failure becomes a short CLI error instead of a traceback."""
        try:
            with self.client() as client:
                response = client.request(method, path, **kwargs)
        except httpx.UnsupportedProtocol as exc:
            raise click.ClickException(
                f"--url {self.url!r} is not a server address: give http://HOST:PORT") from exc
        except httpx.HTTPError as exc:
            raise click.ClickException(
                f"cannot reach Limelight at {self.url} ({exc}); is `limelight serve` running?"
            ) from exc
        if response.status_code >= 400:
            try:
                message = response.json().get("message", response.text)
            except ValueError:
                message = response.text
            if response.status_code == 401 and self.api_key is None:
                looked = f" (none in {self.key_file})" if self.key_file else ""
                message += (f"; no key was given{looked}: use --api-key or LIMELIGHT_API_KEY, "
                            "or --data-dir for the local server's data dir")
            raise ApiError(response.status_code, message)
        return response.json() if response.content else None


class ApiError(click.ClickException):
    """The server refused a call; `status` and the server's `detail` stay at hand."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail


def resolve_key(explicit: str | None, data_dir: Path) -> str | None:
    """An explicit key, else the local server's admin key file (readable only by its owner)."""
    if explicit:
        return explicit
    path = admin_key_path(data_dir)
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


def connection_options(function: Any) -> Any:
    """--url, --api-key and --data-dir on every command that talks to a server."""
    function = click.option(
        "--data-dir", type=click.Path(path_type=Path), envvar="LIMELIGHT_DATA_DIR",
        default=Path("limelight-data"), show_default=True,
        help="Local server's data dir, where the admin key is read when no key is given.",
    )(function)
    function = click.option(
        "--api-key", envvar="LIMELIGHT_API_KEY", default=None,
        help="API key [env LIMELIGHT_API_KEY].",
    )(function)
    return click.option(
        "--url", envvar="LIMELIGHT_URL", default=DEFAULT_URL, show_default=True,
        help="Server URL [env LIMELIGHT_URL].",
    )(function)


def connect(url: str, api_key: str | None, data_dir: Path) -> Connection:
    return Connection(url.rstrip("/"), resolve_key(api_key or os.environ.get("LIMELIGHT_API_KEY"),
                                                   data_dir), admin_key_path(data_dir))
