"""One service's set of resources checked as a whole: shape, properties and references.

`check_resources` is what both `limelight validate` (through the files) and
`PUT /api/resources/{service}` run, so the server accepts exactly what
validates locally.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from limelight.code.problem import Issue, Problem
from limelight.code.schema import TYPES, validate_properties

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}\Z")
NAME_RULE = "letters, digits, _ . : - (starting with a letter or digit, at most 128)"

Resources = Mapping[str, Any]  # id -> {type, properties}
MISSING = "no "  # how the problem of an id the set lacks begins


def check_name(name: Any) -> str | None:
    """Why `name` cannot be a service or resource id, or None when it can."""
    if isinstance(name, str) and NAME.match(name):
        return None
    return f"{name!r} is not a valid name: use {NAME_RULE}"


def check_resources(resources: Resources, complete: bool = True) -> list[Issue]:
    """Every problem of the set, resource by resource (ids in the order given); an id a
    resource names is reported missing only when the set is `complete` (a file that
    could not be read may hold it)."""
    issues: list[Issue] = []
    valid: dict[str, str] = {}  # id -> type, for resources whose shape is right
    for rid, resource in resources.items():
        found = _shape(rid, resource)
        if found:
            issues += found
            continue
        kind = resource["type"]
        valid[rid] = kind
        issues += [Issue(p.message, rid, ("properties", *p.path))
                   for p in validate_properties(kind, resource["properties"])]
    broken = {i.resource for i in issues}
    for rid, kind in valid.items():
        props = resources[rid]["properties"]
        if isinstance(props, dict):
            issues += [Issue(p.message, rid, ("properties", *p.path))
                       for p in references(rid, kind, props, valid, resources, broken)
                       if complete or not p.message.startswith(MISSING)]
    return issues


def _shape(rid: Any, resource: Any) -> list[Issue]:
    problem = check_name(rid)
    if problem:
        return [Issue(problem, str(rid))]
    if not isinstance(resource, dict):
        return [Issue("must be a mapping with `type` and `properties`", rid)]
    found = [Issue("unknown key (a resource has only `type` and `properties`)", rid, (str(k),))
             for k in resource if k not in ("type", "properties")]
    if "type" not in resource:
        found.append(Issue(f"is required: one of {', '.join(TYPES)}", rid, ("type",)))
    elif resource["type"] not in TYPES:
        found.append(Issue(f"{resource['type']!r} is not a resource type; use one of "
                           f"{', '.join(TYPES)}", rid, ("type",)))
    if "properties" not in resource:
        found.append(Issue("is required: a mapping", rid, ("properties",)))
    elif not isinstance(resource["properties"], dict):
        found.append(Issue("must be a mapping", rid, ("properties",)))
    return found


def references(rid: str, kind: str, props: dict[str, Any], types: Mapping[str, str],
               resources: Resources, broken: set[str | None]) -> list[Problem]:
    """Ids a resource names that are missing from the set or of the wrong type.

    An alert that is itself in `broken`, or whose query is, is not checked further.
    """
    found: list[Problem] = []
    if kind == "alert":
        params = props.get("parameters")
        query = params.get("query") if isinstance(params, dict) else None
        if isinstance(query, str):
            found += _refer(query, "query", ("parameters", "query"), types)
        found += _refer_all(props.get("channels"), "channel", ("channels",), types)
        if not found and isinstance(query, str) and query in types \
                and not {query, rid} & broken:
            found += _alert_query(props, resources)
    elif kind in ("route", "check"):
        found += _refer_all(props.get("channels"), "channel", ("channels",), types)
    elif kind == "dashboard":
        widgets = props.get("widgets")
        for i, widget in enumerate(widgets if isinstance(widgets, list) else []):
            query = widget.get("query") if isinstance(widget, dict) else None
            if isinstance(query, str):
                found += _refer(query, "query", ("widgets", i, "query"), types)
    return found


def _refer_all(ids: Any, kind: str, at: tuple[str], types: Mapping[str, str]) -> list[Problem]:
    if not isinstance(ids, list):
        return []
    return [p for i, rid in enumerate(ids) if isinstance(rid, str)
            for p in _refer(rid, kind, (*at, i), types)]


def _refer(rid: str, kind: str, at: tuple[str | int, ...],
           types: Mapping[str, str]) -> list[Problem]:
    if types.get(rid) == kind:
        return []
    if rid in types:
        return [Problem(at, f"{rid!r} is a {types[rid]}, not a {kind}")]
    known = ", ".join(sorted(k for k, t in types.items() if t == kind)) or "none"
    return [Problem(at, f"{MISSING}{kind} {rid!r} in this service ({kind} ids: {known})")]


def _alert_query(props: dict[str, Any], resources: Resources) -> list[Problem]:
    """The referenced query must have the calculation the alert compares."""
    from limelight.alerts.rules import alert_query, parse_alert

    queries = {rid: r["properties"] for rid, r in resources.items()
               if isinstance(r, dict) and r.get("type") == "query"}
    try:
        alert_query(parse_alert(props), queries)
    except ValueError as exc:
        field, _, message = str(exc).partition(": ")
        return [Problem(tuple(field.split(".")), message or str(exc))]
    return []
