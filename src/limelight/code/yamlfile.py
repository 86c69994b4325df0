"""YAML text to plain values, remembering the line of every mapping key and list item.

Values are what PyYAML's safe loader builds, except that timestamps and dates
come back as ISO 8601 strings (resources travel as JSON). A key repeated in
one mapping is an error rather than a silent overwrite.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

Key = str | int
Path = tuple[Key, ...]


class YamlError(ValueError):
    """Text that is not YAML we accept; `line` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Located:
    """A document's value and the line where each path (keys and list indexes) starts."""

    value: Any
    lines: dict[Path, int] = field(default_factory=dict)

    def line(self, path: Sequence[Key]) -> int:
        """The line of `path`, else of its longest known prefix (1 for an empty document)."""
        probe = tuple(path)
        while probe:
            if probe in self.lines:
                return self.lines[probe]
            probe = probe[:-1]
        return self.lines.get((), 1)


def parse_yaml(text: str) -> Located:
    """One YAML document; raises YamlError for bad syntax, several documents or repeated keys."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise YamlError(line, _yaml_message(exc)) from None
    except yaml.YAMLError as exc:
        raise YamlError(1, str(exc)) from None
    if node is None:
        return Located(None, {(): 1})
    builder = _Builder()
    value = builder.build(node, ())
    return Located(value, builder.lines)


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    parts = [p for p in (exc.context, exc.problem) if p]
    text = ", ".join(parts) or "not valid YAML"
    if "expected a single document" in text:
        return "one YAML document per file (remove the `---` separators)"
    return f"not valid YAML: {text}"


class _Builder:
    def __init__(self) -> None:
        self.loader = yaml.SafeLoader("")
        self.lines: dict[Path, int] = {}
        self.depth = 0

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        self.depth += 1
        if self.depth > 100:
            raise YamlError(node.start_mark.line + 1, "nested too deeply (or a recursive alias)")
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            if isinstance(node, yaml.SequenceNode):
                return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
            return _plain(self.loader.construct_object(node))
        finally:
            self.depth -= 1

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[Any, Any]:
        try:
            self.loader.flatten_mapping(node)  # `<<` merge keys
        except yaml.MarkedYAMLError as exc:
            raise YamlError(node.start_mark.line + 1, _yaml_message(exc)) from None
        built: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlError(line, "a mapping key must be a plain value, not a list or mapping")
            key = _plain(self.loader.construct_object(key_node))
            if not isinstance(key, str | int | float | bool) and key is not None:
                key = str(key)
            if key in built:
                raise YamlError(line, f"key {key!r} appears twice in the same mapping")
            key_path = (*path, key if isinstance(key, str | int) else str(key))
            self.lines[key_path] = line
            built[key] = self.build(value_node, key_path)
        return built


def _plain(value: Any) -> Any:
    """Timestamps and dates as ISO 8601 text; bytes as text; everything else as built."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return value.isoformat()
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value
