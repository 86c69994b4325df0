"""Loki push bodies, JSON and snappy protobuf, as log rows."""

from __future__ import annotations

import re

import cramjam
import msgspec
import pytest

from limelight.ingest.loki import PushRequest, decode_json, decode_protobuf, parse_labels
from limelight.model import Batch

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def rows(batch: Batch) -> list[dict[str, object]]:
    names = ("$timestamp", "$service", "$level", "$message", "$trace_id", "$error")
    out: list[dict[str, object]] = [dict(zip(names, values, strict=True)) for values in zip(
        *(batch.system[n] for n in names), strict=True)]
    for key, found in batch.attr_rows.items():
        for row, value in zip(found, batch.attr_values[key], strict=True):
            out[row][key] = value
    return out


def protobuf_body() -> bytes:
    request = PushRequest()
    stream = request.streams.add()  # type: ignore[attr-defined]
    stream.labels = '{service_name="checkout", level="ERROR", pod="c-1"}'
    entry = stream.entries.add()
    entry.timestamp.seconds, entry.timestamp.nanos = 1_700_000_000, 42
    entry.line = "payment failed"
    pair = entry.structured_metadata.add()
    pair.name, pair.value = "trace_id", TRACE
    return bytes(cramjam.snappy.compress_raw(request.SerializeToString()))


def test_json_streams() -> None:
    body = msgspec.json.encode({"streams": [
        {"stream": {"job": "api", "level": "warning"},
         "values": [["1700000000000000001", "slow request"],
                    ["1700000000000000002", "retrying", {"trace_id": TRACE}]]},
        {"stream": {"app": "web"}, "values": [["1700000000000000003", "hello"]]},
    ]})
    first, second, third = rows(decode_json(body))
    assert first == {"$timestamp": 1_700_000_000_000_000_001, "$service": "api",
                     "$level": "warn", "$message": "slow request", "$trace_id": None,
                     "$error": False, "job": "api", "level": "warning"}
    assert second["$trace_id"] == TRACE and second["trace_id"] == TRACE
    assert (third["$service"], third["$level"]) == ("web", None)


def test_protobuf_with_snappy() -> None:
    [row] = rows(decode_protobuf(protobuf_body(), 10**6))
    assert row["$timestamp"] == 1_700_000_000_000_000_042
    assert (row["$service"], row["$level"], row["$error"]) == ("checkout", "error", True)
    assert (row["$message"], row["$trace_id"], row["pod"]) == ("payment failed", TRACE, "c-1")


@pytest.mark.parametrize(("text", "labels"), [
    ('{job="api", level="info"}', {"job": "api", "level": "info"}),
    ("{}", {}),
    ('{msg="say \\"hi\\""}', {"msg": 'say "hi"'}),
    ('{city="Zürich ☃", path="C:\\\\tmp", two="a\\nb"}',
     {"city": "Zürich ☃", "path": "C:\\tmp", "two": "a\nb"}),
])
def test_label_strings(text: str, labels: dict[str, str]) -> None:
    assert parse_labels(text) == labels


@pytest.mark.parametrize("text", ['{job="pb", garbage}', '{job="pb", x=unquoted}', '{job=}'])
def test_label_strings_with_something_else_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="are not"):
        parse_labels(text)


@pytest.mark.parametrize(("body", "message"), [
    (b"not json", "body is not JSON"),
    (b'{"streams": 3}', 'give {"streams"'),
    (b'{"streams": [{"stream": {}, "values": [[1, "x"]]}]}', "streams[0].values[0]: give"),
    (b'{"streams": [{"values": []}]}', "streams[0]: needs a `stream` object"),
    ('{"streams": [{"stream": {}, "values": [["\u00b2", "x"]]}]}'.encode(),
     "streams[0].values[0]: give"),
])
def test_bad_json_names_the_problem(body: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        decode_json(body)


def test_bad_protobuf() -> None:
    with pytest.raises(ValueError, match="not snappy-compressed"):
        decode_protobuf(b"\x05\xff\xff\xff garbage", 10**6)
    request = PushRequest()
    request.streams.add().labels = "job=api"  # type: ignore[attr-defined]
    body = bytes(cramjam.snappy.compress_raw(request.SerializeToString()))
    with pytest.raises(ValueError, match="labels 'job=api' are not"):
        decode_protobuf(body, 10**6)


def test_a_line_that_is_a_json_object_is_read_like_an_event() -> None:
    line = msgspec.json.encode({"msg": "card declined", "level": "ERROR", "traceId": TRACE.upper(),
                                "user": {"id": 42}, "tags": ["a"]}).decode()
    body = msgspec.json.encode({"streams": [{"stream": {"job": "pay", "level": "warn"},
                                             "values": [["5", line], ["6", "{not json"],
                                                        ["7", '["a list"]']]}]})
    structured, broken, listed = rows(decode_json(body))
    assert (structured["$message"], structured["$level"], structured["$error"]) == (
        "card declined", "error", True)
    assert structured["$trace_id"] == TRACE and structured["user.id"] == 42
    assert structured["tags"] == '["a"]' and structured["job"] == "pay"
    assert "msg" not in structured and "level" in structured  # the label stays an attribute
    assert (broken["$message"], broken["$level"]) == ("{not json", "warn")
    assert listed["$message"] == '["a list"]'


def test_labels_that_are_not_text_are_kept_as_json() -> None:
    body = msgspec.json.encode({"streams": [{
        "stream": {"job": "api", "n": 5, "flag": True, "nul": None},
        "values": [["5", "line", {"obj": {"a": 1}, "list": [1, "x"]}]]}]})
    (row,) = rows(decode_json(body))
    assert (row["n"], row["flag"], row["obj"], row["list"]) == ("5", "true", '{"a":1}', '[1,"x"]')
    assert "nul" not in row


@pytest.mark.parametrize("seconds", [0, -5], ids=["missing", "before-1970"])
def test_protobuf_entries_need_a_time_after_1970(seconds: int) -> None:
    request = PushRequest()
    stream = request.streams.add()  # type: ignore[attr-defined]
    stream.labels = '{job="api"}'
    entry = stream.entries.add()
    entry.timestamp.seconds, entry.line = seconds, "x"
    body = bytes(cramjam.snappy.compress_raw(request.SerializeToString()))
    with pytest.raises(ValueError, match=r"streams\[0\]\.entries\[0\]: the timestamp is missing"):
        decode_protobuf(body, 10**6)
