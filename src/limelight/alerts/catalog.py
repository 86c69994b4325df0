"""The stored resources (meta collection `resources`) that alerts use, by service and type."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

from limelight.alerts.rules import AlertRule, RuleError, parse_alert
from limelight.code import stored

RESOURCES = stored.COLLECTION  # where `limelight apply` keeps them

_encode = msgspec.json.Encoder(order="sorted").encode


@dataclass(frozen=True)
class Catalog:
    """Resource properties keyed `(service, type) -> {id: properties}`."""

    by_kind: dict[tuple[str, str], dict[str, dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def from_docs(cls, docs: Mapping[str, Mapping[str, Any]]) -> Catalog:
        by_kind: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        for doc_id, doc in docs.items():
            service, _, fallback_id = doc_id.partition("/")
            kind = str(doc.get("type", ""))
            resource_id = str(doc.get("id") or fallback_id)
            properties = doc.get("properties")
            if isinstance(properties, dict):
                by_kind.setdefault((str(doc.get("service") or service), kind), {})[
                    resource_id] = properties
        return cls(by_kind)

    def of(self, service: str, kind: str) -> dict[str, dict[str, Any]]:
        return self.by_kind.get((service, kind), {})

    def alerts(self) -> dict[str, dict[str, Any]]:
        """Every alert's properties, keyed `service/id`."""
        return {f"{service}/{rid}": props for (service, kind), found in self.by_kind.items()
                if kind == "alert" for rid, props in found.items()}


def split_ref(ref: str) -> tuple[str, str]:
    service, _, alert_id = ref.partition("/")
    return service, alert_id


class RuleCache:
    """Parsed rules, re-parsed only when an alert's properties change."""

    def __init__(self, min_frequency_ns: int) -> None:
        self.min_frequency_ns = min_frequency_ns
        self._parsed: dict[str, tuple[bytes, AlertRule | RuleError]] = {}

    def get(self, ref: str, properties: dict[str, Any]) -> AlertRule | RuleError:
        fingerprint = _encode(properties)
        cached = self._parsed.get(ref)
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
        try:
            parsed: AlertRule | RuleError = parse_alert(
                properties, min_frequency_ns=self.min_frequency_ns)
        except RuleError as exc:
            parsed = exc
        self._parsed[ref] = (fingerprint, parsed)
        return parsed

    def forget(self, ref: str) -> None:
        self._parsed.pop(ref, None)
