"""Resources as the server keeps them: meta collection `resources`, doc id `service/id`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

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
    """A channel's secrets replaced by a mask (for keys that may read but not administer)."""
    props = doc.get("properties")
    if doc.get("type") != "channel" or not isinstance(props, dict):
        return dict(doc)
    hidden = {k: (MASK if k in SECRET_PROPERTIES and v else v) for k, v in props.items()}
    return {**doc, "properties": hidden}
