"""What the three OTLP signals share: attribute flattening, resources, JSON ids."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec
from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message

from limelight.exceptions import BadRequest
from limelight.model import AttrValue, Batch

M = TypeVar("M", bound=Message)

_encode_json = msgspec.json.Encoder().encode
# OTLP/JSON writes these byte fields as hex, not the base64 protobuf JSON expects.
_HEX_ID_FIELDS = frozenset({"traceId", "spanId", "parentSpanId", "trace_id", "span_id",
                            "parent_span_id"})


@dataclass
class Decoded:
    """A decoded request: the batch to store and what was refused, for `partial_success`."""

    batch: Batch
    rejected: int = 0
    error: str = ""

    def reject(self, reason: str) -> None:
        self.rejected += 1
        if not self.error:
            self.error = reason


@dataclass(frozen=True)
class Target:
    """Where decoded events go: the dataset and an optional namespace override (headers)."""

    dataset: str
    namespace: str | None = None


def any_value(value: Any) -> AttrValue | None:
    """One OTLP AnyValue as an attribute value; arrays and maps become JSON text."""
    which = value.WhichOneof("value")
    if which is None:
        return None
    if which == "kvlist_value":
        return _encode_json(_plain_map(value.kvlist_value.values)).decode()
    if which == "array_value":
        return _encode_json([_plain(v) for v in value.array_value.values]).decode()
    if which == "bytes_value":
        return base64.b64encode(value.bytes_value).decode()
    result: AttrValue = getattr(value, which)
    return result


def _plain(value: Any) -> Any:
    which = value.WhichOneof("value")
    if which == "kvlist_value":
        return _plain_map(value.kvlist_value.values)
    if which == "array_value":
        return [_plain(v) for v in value.array_value.values]
    if which == "bytes_value":
        return base64.b64encode(value.bytes_value).decode()
    return getattr(value, which) if which else None


def _plain_map(kvs: Iterable[Any]) -> dict[str, Any]:
    return {kv.key: _plain(kv.value) for kv in kvs}


def flatten(kvs: Iterable[Any], out: dict[str, AttrValue], prefix: str = "") -> None:
    """Attributes into `out` with dotted keys; nested maps flatten, arrays stay JSON."""
    for kv in kvs:
        value = kv.value
        which = value.WhichOneof("value")
        if which == "string_value":
            out[prefix + kv.key] = value.string_value
        elif which == "kvlist_value":
            flatten(value.kvlist_value.values, out, prefix + kv.key + ".")
        elif which is not None:
            converted = any_value(value)
            if converted is not None:
                out[prefix + kv.key] = converted


def resource_context(
    resource: Any, scope: Any | None = None
) -> tuple[dict[str, AttrValue], str]:
    """Resource (and scope) attributes every event below them carries, and the service name."""
    attrs: dict[str, AttrValue] = {}
    flatten(resource.attributes, attrs)
    if scope is not None:
        if scope.name:
            attrs["otel.scope.name"] = scope.name
        if scope.version:
            attrs["otel.scope.version"] = scope.version
        flatten(scope.attributes, attrs)
    service = attrs.get("service.name")
    return attrs, service if isinstance(service, str) and service else "unknown_service"


def namespace_for(attrs: dict[str, AttrValue], service: str, target: Target) -> str:
    if target.namespace:
        return target.namespace
    faas = attrs.get("faas.name")
    return faas if isinstance(faas, str) and faas else service


def parse_request(body: bytes, content_type: str, message: type[M]) -> M:
    """Bytes to the request message; raises BadRequest on garbage."""
    request = message()
    if content_type == "application/json":
        try:
            document = msgspec.json.decode(body)
            if not isinstance(document, dict):
                raise BadRequest("OTLP/JSON body must be a JSON object")
            json_format.ParseDict(_hex_ids_to_base64(document), request, ignore_unknown_fields=True)
        except (msgspec.DecodeError, json_format.ParseError, ValueError) as exc:
            raise BadRequest(f"invalid OTLP/JSON: {exc}") from exc
        return request
    try:
        request.ParseFromString(body)
    except DecodeError as exc:
        raise BadRequest(f"invalid OTLP protobuf: {exc}") from exc
    return request


def _hex_ids_to_base64(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: _id_to_base64(key, value) if key in _HEX_ID_FIELDS and isinstance(value, str)
            else _hex_ids_to_base64(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_hex_ids_to_base64(item) for item in node]
    return node


def _id_to_base64(field: str, value: str) -> str:
    try:
        return base64.b64encode(bytes.fromhex(value)).decode()
    except ValueError as exc:
        raise BadRequest(f"invalid OTLP/JSON: {field} {value!r} is not hex") from exc
