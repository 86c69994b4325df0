"""Every server setting, declared once with its default, environment variable and help."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any


def _setting(default: Any, env: str, help: str, parse: Callable[[str], Any] = str) -> Any:
    return field(default=default, metadata={"env": env, "help": help, "parse": parse})


def _bool(text: str) -> bool:
    return text.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    host: str = _setting("127.0.0.1", "LIMELIGHT_HOST", "Address the server listens on.")
    port: int = _setting(4318, "LIMELIGHT_PORT", "Port for the API, ingest and console.", int)
    data_dir: Path = _setting(  # noqa: RUF009 - a Path is immutable, safe as a default
        Path("limelight-data"), "LIMELIGHT_DATA_DIR", "Directory holding the database.", Path
    )
    admin_key: str = _setting(
        "", "LIMELIGHT_ADMIN_KEY", "An extra admin API key accepted while this process runs."
    )
    retention_days: int = _setting(
        30, "LIMELIGHT_RETENTION_DAYS", "Default days a dataset keeps its events.", int
    )
    segment_rows: int = _setting(
        250_000, "LIMELIGHT_SEGMENT_ROWS",
        "Rows a dataset gathers before they are sealed into a compressed Parquet segment "
        "(about a third less disk, queried as before); 0 keeps every row in DuckDB's "
        "tables.", int,
    )
    retention_interval_s: float = _setting(
        600.0, "LIMELIGHT_RETENTION_INTERVAL", "Seconds between retention sweeps.", float
    )
    max_request_bytes: int = _setting(
        16 * 1024 * 1024, "LIMELIGHT_MAX_REQUEST_BYTES",
        "Largest OTLP request body accepted, after decompression.", int,
    )
    max_events_request_bytes: int = _setting(
        6 * 1024 * 1024, "LIMELIGHT_MAX_EVENTS_REQUEST_BYTES",
        "Largest Events API request body.", int,
    )
    max_event_bytes: int = _setting(
        256 * 1024, "LIMELIGHT_MAX_EVENT_BYTES", "Largest single free-form event.", int
    )
    queue_max_rows: int = _setting(
        400_000, "LIMELIGHT_QUEUE_MAX_ROWS",
        "Rows waiting for commit before ingest answers 429 with Retry-After.", int,
    )
    max_columns: int = _setting(
        400, "LIMELIGHT_MAX_COLUMNS",
        "Attribute keys per dataset stored as their own column; the rest share one.", int,
    )
    ai_base_url: str = _setting(
        "", "LIMELIGHT_AI_BASE_URL",
        "OpenAI-compatible API base URL for Ask AI; empty keeps explanations offline.",
    )
    ai_model: str = _setting("", "LIMELIGHT_AI_MODEL", "Model name sent to the AI provider.")
    ai_api_key: str = _setting("", "LIMELIGHT_AI_API_KEY", "API key for the AI provider.")
    ai_timeout_s: float = _setting(
        30.0, "LIMELIGHT_AI_TIMEOUT", "Seconds to wait for the AI provider.", float
    )
    demo: bool = _setting(
        False, "LIMELIGHT_DEMO", "Run the demo shop inside the server.", _bool
    )
    public_url: str = _setting(
        "", "LIMELIGHT_PUBLIC_URL",
        "Address people reach the console at, for links in notifications; "
        "default http://HOST:PORT.",
    )
    alert_min_frequency_s: float = _setting(
        10.0, "LIMELIGHT_ALERT_MIN_FREQUENCY",
        "Shortest alert frequency the server evaluates, in seconds.", float,
    )
    check_min_interval_s: float = _setting(
        10.0, "LIMELIGHT_CHECK_MIN_INTERVAL",
        "Shortest health check interval the server runs, in seconds.", float,
    )
    check_concurrency: int = _setting(
        20, "LIMELIGHT_CHECK_CONCURRENCY", "Health checks that may run at the same time.", int
    )
    check_ca_file: str = _setting(
        "", "LIMELIGHT_CHECK_CA_FILE",
        "PEM file of extra CA certificates health checks trust (for internal sites).",
    )
    max_connections: int = _setting(
        1000, "LIMELIGHT_MAX_CONNECTIONS",
        "Open connections the server takes before answering 503 (slow or idle clients "
        "cannot use up its file descriptors).", int,
    )
    session_hours: float = _setting(
        168.0, "LIMELIGHT_SESSION_HOURS",
        "Hours a console login lasts before the browser must log in again.", float,
    )

    @property
    def console_url(self) -> str:
        """The public URL, else one built from the listening address."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        host = f"[{host}]" if ":" in host and not host.startswith("[") else host
        return f"http://{host}:{self.port}"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then environment variables, then explicit (non-None) overrides."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            name = f.metadata["env"]
            if name in env and env[name] != "":
                try:
                    values[f.name] = f.metadata["parse"](env[name])
                except ValueError as exc:
                    raise ValueError(f"{name}={env[name]!r}: {exc}") from exc
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def describe() -> list[tuple[str, str, Any, str]]:
    """(field, env var, default, help) for docs and `--help`."""
    return [(f.name, f.metadata["env"], f.default, f.metadata["help"]) for f in fields(Settings)]
