"""Local resources against the server's: what would be added, changed and removed.

Pure: both sides are `{id: {type, properties}}`. A changed resource carries a
unified diff of its type and properties written as YAML with sorted keys, so
the same content always reads the same and only real differences show.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml

Action = Literal["add", "change", "remove"]
Specs = Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True)
class Change:
    action: Action
    id: str
    type: str
    before: Mapping[str, Any] | None  # {type, properties} on the server
    after: Mapping[str, Any] | None  # {type, properties} in the files
    diff: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Plan:
    changes: list[Change]
    unchanged: int

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    def summary(self) -> str:
        if not self.changes:
            return (f"No changes. {self.unchanged} resource{'s' if self.unchanged != 1 else ''} "
                    "up to date.")
        return (f"Plan: {self.count('add')} to add, {self.count('change')} to change, "
                f"{self.count('remove')} to remove.")


def make_plan(local: Specs, remote: Specs) -> Plan:
    """Changes sorted by id; a resource whose type or properties differ is changed."""
    changes: list[Change] = []
    unchanged = 0
    for rid in sorted(set(local) | set(remote)):
        mine, theirs = local.get(rid), remote.get(rid)
        if theirs is None and mine is not None:
            changes.append(Change("add", rid, str(mine.get("type")), None, mine,
                                  _lines(None, mine)))
        elif mine is None and theirs is not None:
            changes.append(Change("remove", rid, str(theirs.get("type")), theirs, None,
                                  _lines(theirs, None)))
        elif mine is not None and theirs is not None:
            if _comparable(mine) == _comparable(theirs):
                unchanged += 1
            else:
                changes.append(Change("change", rid, str(mine.get("type")), theirs, mine,
                                      unified(theirs, mine)))
    return Plan(changes, unchanged)


def _comparable(spec: Mapping[str, Any]) -> tuple[Any, Any]:
    return spec.get("type"), spec.get("properties")


def as_yaml(spec: Mapping[str, Any] | None) -> list[str]:
    """A resource's `{type, properties}` as YAML lines, keys sorted."""
    if spec is None:
        return []
    shown = {"type": spec.get("type"), "properties": _sorted(spec.get("properties"))}
    text = yaml.safe_dump(shown, sort_keys=False, default_flow_style=False, allow_unicode=True,
                          width=100)
    return text.splitlines()


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def _lines(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[str]:
    """A whole resource added (`+` lines) or removed (`-` lines)."""
    if after is not None:
        return [f"+ {line}" for line in as_yaml(after)]
    return [f"- {line}" for line in as_yaml(before)]


def unified(before: Mapping[str, Any], after: Mapping[str, Any], context: int = 2) -> list[str]:
    """`@@` hunks with `-`/`+`/` ` lines, server side first."""
    lines = difflib.unified_diff(as_yaml(before), as_yaml(after), "server", "files",
                                 n=context, lineterm="")
    out = []
    for line in lines:
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            out.append(line)
        else:
            out.append(f"{line[:1]} {line[1:]}")
    return out
