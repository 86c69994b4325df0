"""Shared by the error-tracking tests: waiting for groups, reading them, Slack routing."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

from limelight.errors.tracker import ErrorTracker
from tests.alerts.receivers import put_resources
from tests.conftest import RunningServer


def settled(server: RunningServer) -> None:
    """Wait until the server has folded every committed error into its group."""
    tracker: ErrorTracker = server.server.config.app.state.errors
    assert tracker.idle(), "error groups were not updated in time"


def groups(server: RunningServer, **params: Any) -> list[dict[str, Any]]:
    with server.client() as client:
        response = client.get("/api/errors", params=params)
        assert response.status_code == 200, response.text
        return response.json()["errors"]  # type: ignore[no-any-return]


def group_detail(server: RunningServer, group_id: str) -> dict[str, Any]:
    with server.client() as client:
        response = client.get(f"/api/errors/{group_id}")
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]


def route_errors_to_slack(server: RunningServer, service: str, slack_url: str) -> None:
    put_resources(server, service, {
        "errors-to-chat": ("route", {"match": {"kind": "error"}, "channels": ["team-slack"]}),
        "team-slack": ("channel", {"kind": "slack", "url": slack_url + "/services/T0/B0/x"}),
    })


def import_path(path: Path, name: str) -> ModuleType:
    """Import a source file as module `name` (two versions of one module, side by side)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_version(directory: Path, padding: int, reference: str) -> Path:
    """`shop.py`: the same bugs each deploy, at shifted lines and with a new reference."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "shop.py"
    path.write_text(
        '"""A shop module as deployed."""\n' + "# (a change above moved the code down)\n" * padding
        + "\n\ndef charge(order):\n"
        + f'    raise ValueError(f"payment for order {{order}} declined (ref {reference})")\n'
        + "\n\ndef ship(order):\n"
        + '    return {"id": order}["address"]\n'
    )
    return path
