"""`limelight pull`: the server's resources that no local file defines, as a new YAML file."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from limelight.code.project import Source
from limelight.code.yamlfile import YamlError, parse_yaml

PULLED_STEM = "pulled"


def local_ids(sources: Iterable[Source]) -> set[str]:
    """Every id the files define; raises YamlError (message prefixed with the file) if one
    cannot be read, since its ids would then be unknown."""
    ids: set[str] = set()
    for name, text in sources:
        try:
            doc = parse_yaml(text)
        except YamlError as exc:
            raise YamlError(exc.line, f"{name}:{exc.line}: {exc.message}") from None
        if isinstance(doc.value, dict):
            ids.update(str(k) for k in doc.value)
    return ids


def remote_only(remote: Mapping[str, Mapping[str, Any]], ids: set[str]) -> dict[str, Any]:
    return {rid: {"type": spec["type"], "properties": spec["properties"]}
            for rid, spec in sorted(remote.items()) if rid not in ids}


def pulled_text(service: str, resources: Mapping[str, Any], source: str) -> str:
    header = (f"# Resources of service {service} pulled from {source}: they were on the server\n"
              "# but in no file here. Values are as stored (variables already substituted).\n")
    body = yaml.safe_dump(dict(resources), sort_keys=False, default_flow_style=False,
                          allow_unicode=True, width=100)
    return header + body


def free_path(directory: Path) -> Path:
    """`pulled.yml`, else the first free `pulled-N.yml`: an existing file is never replaced."""
    path = directory / f"{PULLED_STEM}.yml"
    n = 2
    while path.exists():
        path = directory / f"{PULLED_STEM}-{n}.yml"
        n += 1
    return path
