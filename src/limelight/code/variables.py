"""`{{ name }}` substitution with per-environment values and command-line overrides.

In `index.yml`, a variable is a plain value (the same everywhere) or a mapping
of environment names to values, where `default` serves every environment not
named. A string that is exactly one placeholder takes the variable's value
with its type (a number stays a number); a placeholder inside longer text is
replaced by the value's text. `--var name=value` overrides keep the type of
the value they replace when that is a number or a boolean.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from limelight.code.problem import Problem
from limelight.code.yamlfile import Key, Path

DEFAULT_ENV = "default"
PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*\Z")


@dataclass(frozen=True)
class Unset:
    """A variable with no value for the chosen environment (an error only where it is used)."""

    environment: str


def parse_overrides(pairs: Iterable[str]) -> dict[str, str]:
    """`--var name=value` options as a mapping; raises ValueError for a malformed one."""
    found: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not NAME.match(name):
            raise ValueError(f"--var {pair!r}: write name=value (a name of letters, digits, _ . -)")
        found[name] = value
    return found


def resolve(
    variables: Mapping[str, Any], env: str | None, overrides: Mapping[str, str]
) -> dict[str, Any]:
    """Each variable's value for `env` (Unset when it has none), then the overrides."""
    chosen = env or DEFAULT_ENV
    values: dict[str, Any] = {}
    for name, spec in variables.items():
        if isinstance(spec, dict):
            if chosen in spec:
                values[name] = spec[chosen]
            elif DEFAULT_ENV in spec:
                values[name] = spec[DEFAULT_ENV]
            else:
                values[name] = Unset(chosen)
        else:
            values[name] = spec
    for name, text in overrides.items():
        values[name] = _typed_like(values.get(name), text)
    return values


def substitute(value: Any, values: Mapping[str, Any], path: Path = ()) -> tuple[Any, list[Problem]]:
    """`value` with every placeholder in its strings replaced; problems name the path."""
    problems: list[Problem] = []
    result = _walk(value, values, path, problems)
    return result, problems


def _walk(value: Any, values: Mapping[str, Any], path: Path, problems: list[Problem]) -> Any:
    if isinstance(value, dict):
        return {k: _walk(v, values, (*path, _key(k)), problems) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, values, (*path, i), problems) for i, v in enumerate(value)]
    if isinstance(value, str) and "{{" in value:
        return _text(value, values, path, problems)
    return value


def _text(text: str, values: Mapping[str, Any], path: Path, problems: list[Problem]) -> Any:
    whole = PLACEHOLDER.fullmatch(text.strip())
    if whole:
        found = _lookup(whole.group(1), values, path, problems)
        return text if found is _MISSING else found

    def replace(match: re.Match[str]) -> str:
        found = _lookup(match.group(1), values, path, problems)
        if found is _MISSING:
            return match.group(0)
        if isinstance(found, bool):
            return str(found).lower()
        return "" if found is None else str(found)

    return PLACEHOLDER.sub(replace, text)


_MISSING = object()


def _lookup(name: str, values: Mapping[str, Any], path: Path, problems: list[Problem]) -> Any:
    if name not in values:
        known = ", ".join(sorted(values)) or "none are defined in index.yml"
        problems.append(Problem(path, f"unknown variable {name!r} (variables: {known})"))
        return _MISSING
    found = values[name]
    if isinstance(found, Unset):
        problems.append(Problem(path, f"variable {name!r} has no value for environment "
                                      f"{found.environment!r} and no default"))
        return _MISSING
    return found


def _typed_like(current: Any, text: str) -> Any:
    """An override as a bool or number when it replaces one and reads as one; else the text."""
    if isinstance(current, bool):
        lowered = text.strip().lower()
        if lowered in ("true", "false"):
            return lowered == "true"
    elif isinstance(current, int | float):
        try:
            return int(text) if isinstance(current, int) else float(text)
        except ValueError:
            try:
                return float(text)
            except ValueError:
                pass
    return text


def _key(key: Any) -> Key:
    return key if isinstance(key, str | int) else str(key)
