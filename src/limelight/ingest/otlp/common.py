"""What the three OTLP signals share: attribute flattening, resources, JSON ids."""

from __future__ import annotations

import base64
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
from google.protobuf.descriptor import Descriptor
from google.protobuf.message import DecodeError, Message
from opentelemetry.proto.common.v1.common_pb2 import KeyValue

from limelight.exceptions import BadRequest
from limelight.gcpause import collection_paused
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


Decoder = Callable[[bytes, str, Target], Decoded]


def decode_request(decoder: Decoder, body: bytes, content_type: str, target: Target,
                   prepare: Callable[[Batch], Batch] | None = None) -> Decoded:
    """Run a decoder, then `prepare` (the store's conversion, see DuckDBStore.preparer) on
    its batch. Module-level and picklable, so the ingest queue can run it in a worker."""
    with collection_paused():
        decoded = decoder(body, content_type, target)
        if prepare is not None:
            decoded.batch = prepare(decoded.batch)
    return decoded


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


# -- raw attributes -------------------------------------------------------------------------
# Most attributes repeat from event to event: the same key with the same value, so the
# same KeyValue bytes on the wire. Looking those bytes up in a dictionary is several times
# cheaper than walking every KeyValue through the protobuf API, so decoders read
# attributes as raw bytes (see raw_variant) and decode each distinct KeyValue once.

_RAW_PACKAGE = "limelight.otlp.raw"
_CACHED_MAX_BYTES = 256  # long values (SQL, stack traces) are seldom repeated: not kept
_CACHE_MAX_ENTRIES = 50_000
_NOT_ONE = object()  # stands for a KeyValue that is not exactly one attribute


class _KnownPairs(dict[bytes, tuple[Any, Any]]):
    """Raw KeyValue bytes -> (key, value), decoded on first sight; (_NOT_ONE, None) for a
    value that flattens to several keys (a map) or to none (empty)."""

    def __missing__(self, raw: bytes) -> tuple[Any, Any]:
        attrs = _decode_key_value(raw)
        pair: tuple[Any, Any] = (
            next(iter(attrs.items())) if len(attrs) == 1 else (_NOT_ONE, None)
        )
        if len(raw) <= _CACHED_MAX_BYTES:
            if len(self) >= _CACHE_MAX_ENTRIES:
                self.clear()
            self[raw] = pair
        return pair


_known_pairs = _KnownPairs()


def raw_attributes(raws: Collection[bytes]) -> dict[str, AttrValue]:
    """Attributes from KeyValue wire bytes (see raw_variant): flattened as `flatten` does,
    the later of two equal keys winning. Repeated KeyValues cost one dictionary lookup."""
    attrs: dict[Any, Any] = dict(map(_known_pairs.__getitem__, raws))
    if _NOT_ONE in attrs:
        attrs = {}
        for raw in raws:
            attrs.update(_decode_key_value(raw))
    return attrs


def _decode_key_value(raw: bytes) -> dict[str, AttrValue]:
    try:
        kv = KeyValue.FromString(raw)
    except DecodeError as exc:
        raise BadRequest(f"invalid OTLP protobuf: {exc}") from exc
    attrs: dict[str, AttrValue] = {}
    flatten((kv,), attrs)
    return attrs


def raw_variant(root: type[Message], path: Sequence[str],
                raw_fields: Collection[str]) -> type[Message]:
    """A message class for `root`'s wire format in which the message reached through the
    repeated fields `path` (e.g. resource_spans, scope_spans, spans) has `raw_fields` as
    bytes: submessages left undecoded, to be read lazily (attributes with raw_attributes).
    """
    chain: list[Descriptor] = [root.DESCRIPTOR]
    for name in path:
        chain.append(chain[-1].fields_by_name[name].message_type)

    def raw_name(descriptor: Descriptor) -> str:
        return str(descriptor.full_name).replace(".", "_")

    file = descriptor_pb2.FileDescriptorProto(
        name=f"limelight/raw/{root.DESCRIPTOR.full_name}.proto", package=_RAW_PACKAGE,
        syntax="proto3", dependency=sorted({d.file.name for d in chain}),
    )
    for depth, descriptor in enumerate(chain):
        proto = file.message_type.add()
        descriptor.CopyToProto(proto)
        proto.name = raw_name(descriptor)
        # Field types are full names, so they still resolve to the original nested types.
        del proto.nested_type[:]
        del proto.enum_type[:]
        for field in proto.field:
            if depth < len(path) and field.name == path[depth]:
                field.type_name = f".{_RAW_PACKAGE}.{raw_name(chain[depth + 1])}"
            elif depth == len(path) and field.name in raw_fields:
                field.type = descriptor_pb2.FieldDescriptorProto.TYPE_BYTES
                field.ClearField("type_name")
    pool = descriptor_pool.Default()
    try:
        pool.FindFileByName(file.name)
    except KeyError:
        pool.Add(file)
    found = pool.FindMessageTypeByName(f"{_RAW_PACKAGE}.{raw_name(root.DESCRIPTOR)}")
    result: type[Message] = message_factory.GetMessageClass(found)
    return result


def parse_request(body: bytes, content_type: str, message: type[M]) -> M:
    """Bytes to the request message; raises BadRequest on garbage."""
    request: M = message()
    if content_type == "application/json":
        try:
            document = msgspec.json.decode(body)
            if not isinstance(document, dict):
                raise BadRequest("OTLP/JSON body must be a JSON object")
            json_format.ParseDict(_hex_ids_to_base64(document), request, ignore_unknown_fields=True)
        except (msgspec.DecodeError, json_format.ParseError, ValueError, RecursionError) as exc:
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
