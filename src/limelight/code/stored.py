"""Resources as the server keeps them: meta collection `resources`, doc id `service/id`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

COLLECTION = "resources"
# Channel properties that a key without admin scope does not get to read.
SECRET_PROPERTIES = ("routing_key", "secret", "smtp_password")
MASK = "********"


def doc_id(service: str, resource_id: str) -> str:
    return f"{service}/{resource_id}"


def prefix(service: str) -> str:
    return f"{service}/"


def service_docs(
    service: str,
    specs: Mapping[str, Mapping[str, Any]],
    current: Mapping[str, Mapping[str, Any]],
    now_ms: int,
) -> dict[str, dict[str, Any]]:
    """The documents that replace a service's: an unchanged resource keeps its `updated_ms`."""
    docs: dict[str, dict[str, Any]] = {}
    for rid, spec in specs.items():
        key = doc_id(service, rid)
        old = current.get(key)
        same = old is not None and old.get("type") == spec["type"] and (
            old.get("properties") == spec["properties"])
        docs[key] = {
            "service": service, "id": rid, "type": spec["type"],
            "properties": spec["properties"],
            "updated_ms": int(old["updated_ms"]) if same and old and "updated_ms" in old
            else now_ms,
        }
    return docs


def of_service(docs: Mapping[str, Mapping[str, Any]], service: str) -> dict[str, dict[str, Any]]:
    """The service's documents, keyed by doc id."""
    start = prefix(service)
    return {key: dict(doc) for key, doc in docs.items() if key.startswith(start)}


def specs_of(docs: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Documents as `{id: {type, properties}}` (what plans compare)."""
    return {str(d["id"]): {"type": d.get("type"), "properties": d.get("properties") or {}}
            for d in docs}


def masked(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A resource without its secrets (for keys that may read but not administer): a
    channel's keys and passwords, and its URL past the host (a Slack or chat webhook's
    path is its token); a check's header values, body, and the password and query of
    its URL."""
    props = doc.get("properties")
    if not isinstance(props, dict):
        return dict(doc)
    hidden = dict(props)
    if doc.get("type") == "channel":
        for name, value in props.items():
            if name in SECRET_PROPERTIES and value:
                hidden[name] = MASK
            elif name == "url" and isinstance(value, str):
                hidden[name] = _url_masked(value, keep_path=False)
    elif doc.get("type") == "check":
        if isinstance(props.get("headers"), dict):
            hidden["headers"] = dict.fromkeys(props["headers"], MASK)
        if props.get("body"):
            hidden["body"] = MASK
        if isinstance(props.get("url"), str):
            hidden["url"] = _url_masked(props["url"], keep_path=True)
    else:
        return dict(doc)
    return {**doc, "properties": hidden}


def _url_masked(url: str, keep_path: bool) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    if parts.username:
        host = f"{parts.username}:{MASK}@{host}" if parts.password else f"{MASK}@{host}"
    if keep_path:
        path = parts.path
        query = MASK if parts.query else ""
    else:
        path = f"/{MASK}" if parts.path.strip("/") or parts.query else parts.path
        query = ""
    return urlunsplit((parts.scheme, host, path, query, ""))
