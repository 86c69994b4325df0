"""Protobuf messages declared in code, for wire formats that ship no Python package
(Loki's push, Prometheus' remote write): only the fields Limelight reads."""

from __future__ import annotations

from collections.abc import Sequence

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import Message

Kind = descriptor_pb2.FieldDescriptorProto
# (name, number, type, label, message type name or "")
Field = tuple[str, int, int, int, str]


def message_class(package: str, messages: dict[str, Sequence[Field]], root: str,
                  dependencies: Sequence[str] = ()) -> type[Message]:
    """The class of `package.root`, declaring `messages` in the default pool once."""
    full_name = f"{package}.{root}"
    pool = descriptor_pool.Default()
    try:
        found = pool.FindMessageTypeByName(full_name)
    except KeyError:
        for dependency in dependencies:
            pool.FindFileByName(dependency)  # must already be loaded (e.g. timestamp.proto)
        file = descriptor_pb2.FileDescriptorProto(
            name=f"{package.replace('.', '/')}.proto", package=package, syntax="proto3",
            dependency=list(dependencies))
        for name, fields in messages.items():
            declared = file.message_type.add(name=name)
            for field_name, number, kind, label, type_name in fields:
                declared.field.add(name=field_name, number=number, type=kind, label=label,
                                   type_name=type_name or None)
        pool.Add(file)
        found = pool.FindMessageTypeByName(full_name)
    result: type[Message] = message_factory.GetMessageClass(found)
    return result
