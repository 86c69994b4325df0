"""The project's own rules: lint and types clean, every setting and command documented."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click

from limelight.cli.main import main
from limelight.settings import describe

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_is_clean() -> None:
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "src", "tests", "bench"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_readme_documents_every_setting_and_command() -> None:
    readme = (ROOT / "README.md").read_text()
    for _, env, _, _ in describe():
        assert env in readme, f"README does not mention {env}"
    for name, command in main.commands.items():
        assert f"limelight {name}" in readme, f"README does not mention `limelight {name}`"
        if isinstance(command, click.Group):
            for sub in command.commands:
                assert f"limelight {name} {sub}" in readme or f"{name} {sub}" in readme


def test_readme_opens_with_install_run_and_test_commands() -> None:
    head = "\n".join((ROOT / "README.md").read_text().splitlines()[:25])
    assert "pip install -e" in head
    assert "limelight serve" in head
    assert "python -m pytest" in head
    ci = (ROOT / ".ci" / "run").read_text()
    assert ".venv/bin/python -m pytest" in ci
