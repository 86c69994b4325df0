"""A problem found in a resource: where (a path of keys and indexes) and what."""

from __future__ import annotations

import re
from dataclasses import dataclass

from limelight.code.yamlfile import Key, Path

_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@dataclass(frozen=True)
class Problem:
    path: Path
    message: str


def field_path(text: str) -> Path:
    """`parameters.filters[1]` as ("parameters", "filters", 1)."""
    parts: list[Key] = []
    for match in _PART.finditer(text):
        parts.append(match.group(1) if match.group(1) is not None else int(match.group(2)))
    return tuple(parts)


def dotted(path: Path) -> str:
    """("parameters", "filters", 1) as `parameters.filters[1]`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


@dataclass(frozen=True)
class Issue:
    """A problem placed: in a resource (`id.field: message`), and in a file when known."""

    message: str
    resource: str | None = None
    path: Path = ()
    file: str | None = None
    line: int | None = None

    @property
    def field(self) -> str:
        inside = len(self.path) > 1 and self.path[0] == "properties"
        path = self.path[1:] if inside else self.path
        return dotted(path)

    def __str__(self) -> str:
        text = self.message
        if self.resource is not None:
            where = f"{self.resource}.{self.field}" if self.field else self.resource
            text = f"{where}: {text}"
        if self.file is not None:
            text = f"{self.file}:{self.line or 1}: {text}"
        return text
