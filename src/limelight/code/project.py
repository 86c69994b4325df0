"""A `.limelight/` folder read into one service's resources, with every problem placed.

`build_project` is pure (file names and texts in, resources and issues out);
`load_project` reads the folder. `index.yml` names the service and its
variables; every other `*.yml` maps resource ids to `{type, properties}`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from limelight.code.problem import Issue
from limelight.code.resources import check_name, check_resources
from limelight.code.variables import DEFAULT_ENV, resolve, substitute
from limelight.code.variables import NAME as VARIABLE_NAME
from limelight.code.yamlfile import Located, YamlError, parse_yaml

INDEX_FILE = "index.yml"
VERSION = 1
_INDEX_KEYS = ("version", "service", "variables")

Source = tuple[str, str]  # (name shown in messages, text)


@dataclass(frozen=True)
class Resource:
    id: str
    type: str
    properties: dict[str, Any]
    file: str
    line: int

    def spec(self) -> dict[str, Any]:
        return {"type": self.type, "properties": self.properties}


@dataclass
class Index:
    service: str | None
    variables: dict[str, Any]
    issues: list[Issue] = field(default_factory=list)


@dataclass
class Project:
    service: str | None
    resources: dict[str, Resource]
    issues: list[Issue]
    files: list[str]

    def specs(self) -> dict[str, dict[str, Any]]:
        """`{id: {type, properties}}`, what `PUT /api/resources/{service}` takes."""
        return {rid: r.spec() for rid, r in self.resources.items()}


def parse_index(source: Source) -> Index:
    name, text = source
    try:
        doc = parse_yaml(text)
    except YamlError as exc:
        return Index(None, {}, [Issue(exc.message, file=name, line=exc.line)])
    value = doc.value if doc.value is not None else {}
    if not isinstance(value, dict):
        return Index(None, {}, [Issue("must be a mapping with version, service and variables",
                                      file=name, line=1)])
    issues: list[Issue] = []

    def problem(key: str | tuple[str, ...], message: str) -> None:
        path = (key,) if isinstance(key, str) else key
        issues.append(Issue(f"{'.'.join(path)}: {message}", file=name, line=doc.line(path)))

    for key in value:
        if key not in _INDEX_KEYS:
            problem(str(key), f"unknown key (index.yml has {', '.join(_INDEX_KEYS)})")
    if value.get("version") != VERSION:
        problem("version", f"is required and must be {VERSION}" if "version" not in value
                else f"{value['version']!r} is not supported; use {VERSION}")
    service = value.get("service")
    if service is None:
        problem("service", "is required: the service that owns these resources")
    elif (why := check_name(service)) is not None:
        problem("service", why)
    variables = value.get("variables") or {}
    if not isinstance(variables, dict):
        problem("variables", "must be a mapping of names to values (or to {default: .., env: ..})")
        variables = {}
    for var in variables:
        if not isinstance(var, str) or not VARIABLE_NAME.match(var):
            problem(("variables", str(var)), "a variable name is letters, digits, _ . - "
                                              "(starting with a letter or _)")
    good_service = service if isinstance(service, str) and check_name(service) is None else None
    return Index(good_service, dict(variables), issues)


def build_project(
    index: Source | None,
    sources: Sequence[Source],
    env: str | None = None,
    overrides: Mapping[str, str] | None = None,
) -> Project:
    """Every resource of the files, variables substituted, with every problem found."""
    if index is None:
        parsed = Index(None, {}, [Issue(f"no {INDEX_FILE}: create one with version, service "
                                        "and variables (or run `limelight init`)")])
    else:
        parsed = parse_index(index)
    values = resolve(parsed.variables, env, overrides or {})
    issues = [*parsed.issues, *_unknown_choices(parsed.variables, env, overrides or {})]
    merged: dict[str, Any] = {}
    origin: dict[str, tuple[str, Located]] = {}
    unresolved: set[str] = set()
    unread = False  # a file whose resources are unknown: what others name may be in it
    for name, text in sources:
        try:
            doc = parse_yaml(text)
        except YamlError as exc:
            issues.append(Issue(exc.message, file=name, line=exc.line))
            unread = True
            continue
        if doc.value is None:
            continue
        if not isinstance(doc.value, dict):
            issues.append(Issue("a resource file maps ids to {type, properties}", file=name,
                                line=doc.line(())))
            unread = True
            continue
        for rid, resource in doc.value.items():
            line = doc.line((rid,))
            if not isinstance(rid, str):
                issues.append(Issue(f"{rid!r} is not a resource id (ids are text)", file=name,
                                    line=line))
                continue
            if rid in origin:
                first, first_doc = origin[rid]
                issues.append(Issue(f"duplicate id: also defined at {first}:"
                                    f"{first_doc.line((rid,))}", rid, file=name, line=line))
                continue
            origin[rid] = (name, doc)
            done, problems = substitute(resource, values)
            issues += [Issue(p.message, rid, p.path, name, doc.line((rid, *p.path)))
                       for p in problems]
            if problems:
                unresolved.add(rid)
            merged[rid] = done
    for issue in check_resources(merged, complete=not unread):
        if issue.resource in unresolved or issue.resource not in origin:
            continue
        name, doc = origin[issue.resource]
        issues.append(Issue(issue.message, issue.resource, issue.path, name,
                            doc.line((issue.resource, *issue.path))))
    order = {name: i for i, (name, _) in enumerate(sources)}
    issues.sort(key=lambda i: (order.get(i.file or "", -1), i.line or 0))
    resources = {
        rid: Resource(rid, res["type"], res["properties"], origin[rid][0],
                      origin[rid][1].line((rid,)))
        for rid, res in merged.items()
        if isinstance(res, dict) and isinstance(res.get("properties"), dict)
        and isinstance(res.get("type"), str)
    }
    return Project(parsed.service, resources, issues, [name for name, _ in sources])


def _unknown_choices(variables: Mapping[str, Any], env: str | None,
                     overrides: Mapping[str, str]) -> list[Issue]:
    """A misspelt --env or --var would otherwise apply the defaults, or nothing, quietly."""
    issues = [Issue(f"--var {name!r}: no such variable in {INDEX_FILE} (variables: "
                    f"{', '.join(sorted(variables)) or 'none'})")
              for name in overrides if name not in variables]
    environments = {e for spec in variables.values() if isinstance(spec, dict) for e in spec}
    environments.discard(DEFAULT_ENV)
    if env is not None and environments and env not in environments:
        issues.append(Issue(f"--env {env!r}: no variable of {INDEX_FILE} names it "
                            f"(environments: {', '.join(sorted(environments))})"))
    return issues


def resource_files(directory: Path) -> list[Path]:
    """The folder's resource files (`*.yml`, `*.yaml` but the index), by name."""
    return sorted(p for p in directory.iterdir()
                  if p.is_file() and p.suffix in (".yml", ".yaml")
                  and p.name not in (INDEX_FILE, "index.yaml"))


def read_sources(directory: Path) -> tuple[Source | None, list[Source]]:
    """The index and resource files' texts, named as `directory/file`."""
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory} is not a folder; run `limelight init` to start one")
    index_path = directory / INDEX_FILE
    if not index_path.exists() and (directory / "index.yaml").exists():
        index_path = directory / "index.yaml"
    index = (str(index_path), _text(index_path)) if index_path.exists() else None
    return index, [(str(p), _text(p)) for p in resource_files(directory)]


def _text(path: Path) -> str:
    """A file's text; an OSError naming its line and column when it is not UTF-8."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise OSError(f"{path}:{line}: not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column "
                      f"{column}); save the file as UTF-8") from None


def load_project(directory: Path, env: str | None = None,
                 overrides: Mapping[str, str] | None = None) -> Project:
    index, sources = read_sources(directory)
    return build_project(index, sources, env, overrides)


def load_index(directory: Path) -> Index:
    index, _ = read_sources(directory)
    if index is None:
        return Index(None, {}, [Issue(f"no {INDEX_FILE} in {directory}")])
    return parse_index(index)
