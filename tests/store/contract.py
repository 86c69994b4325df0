"""The contract every storage backend passes. A backend's test module subclasses
StoreContract and provides the `store` fixture."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from limelight.exceptions import RowsRejected
from limelight.model import Batch, FieldType


def spans(dataset: str, count: int, start_ns: int = 1_000, **attrs: Any) -> Batch:
    batch = Batch(dataset)
    for i in range(count):
        batch.add(start_ns + i, "svc", "ns", "span", name=f"op{i % 3}", duration_ms=float(i),
                  trace_id=f"{i:032x}", attrs={"i": i, **attrs})
    return batch


def assert_each_row_seen_once(store: Any, write_more: Callable[[], None]) -> None:
    """Count the rows of `otel` over and over while `write_more` runs (after a first
    append of 50): every count sees each row once, and the counts only grow."""
    seen: list[tuple[int, int]] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            _, rows = store.execute('SELECT count(*), count(DISTINCT "$id") FROM "otel"')
            seen.append(rows[0])

    reader = threading.Thread(target=read)
    store.append([spans("otel", 50)])
    reader.start()
    try:
        write_more()
    finally:
        done.set()
        reader.join()
    assert all(count == distinct and count % 50 == 0 for count, distinct in seen)
    counts = [count for count, _ in seen]
    assert counts == sorted(counts) and len(set(counts)) > 3


class StoreContract:
    """Writer + Reader + MetaStore behaviour the query layer and API rely on."""

    def test_append_then_read_back_every_system_field(self, store: Any) -> None:
        batch = Batch("otel")
        batch.add(123, "checkout", "fn", "span", name="GET /", trace_id="ab" * 16,
                  span_id="cd" * 8, parent_span_id="ef" * 8, duration_ms=1.5, level="info",
                  status="error", error=True, message="boom", attrs={"k": "v"})
        store.append([batch])
        names, rows = store.execute('SELECT * FROM "otel"')
        row = dict(zip(names, rows[0], strict=True))
        assert row["$timestamp"] == 123
        assert row["$service"] == "checkout"
        assert row["$namespace"] == "fn"
        assert row["$trace_id"] == "ab" * 16
        assert row["$parent_span_id"] == "ef" * 8
        assert row["$duration_ms"] == 1.5
        assert row["$error"] is True
        assert row["$message"] == "boom"
        assert row["k"] == "v"
        assert row["$id"] == 1

    def test_attribute_types_are_kept(self, store: Any) -> None:
        batch = Batch("otel")
        batch.add(1, "s", "n", "span", attrs={"num": 200, "text": "x", "flag": True})
        store.append([batch])
        columns = store.schemas()["otel"].columns
        assert columns["num"] is FieldType.NUMBER
        assert columns["text"] is FieldType.STRING
        assert columns["flag"] is FieldType.BOOL

    def test_values_of_another_type_are_not_lost(self, store: Any) -> None:
        first, second = Batch("otel"), Batch("otel")
        first.add(1, "s", "n", "span", attrs={"code": 200})
        second.add(2, "s", "n", "span", attrs={"code": "not-a-number"})
        store.append([first])
        store.append([second])
        _, rows = store.execute('SELECT "code", "$attrs" FROM "otel" ORDER BY "$id"')
        assert rows[0][0] == 200.0
        assert rows[1][0] is None and "not-a-number" in rows[1][1]

    def test_a_new_key_takes_the_type_most_of_its_values_have(self, store: Any) -> None:
        batch = Batch("mixed")
        for value in (1, "one", True, 2.5):
            batch.add(1, "s", "n", "event", attrs={"v": value})
        store.append([batch])
        assert store.schemas()["mixed"].columns["v"] is FieldType.NUMBER
        _, rows = store.execute('SELECT "v", "$attrs" FROM "mixed" ORDER BY "$id"')
        assert [row[0] for row in rows] == [1.0, None, None, 2.5]
        assert '"v":"one"' in rows[1][1] and '"v":true' in rows[2][1]

    def test_keys_past_the_column_budget_go_to_overflow(self, store: Any) -> None:
        batch = Batch("wide")
        batch.add(1, "s", "n", "event", attrs={f"key{i}": i for i in range(store.max_columns + 5)})
        store.append([batch])
        schema = store.schemas()["wide"]
        assert schema.has_overflow
        keys = {k.key for k in store.keys("wide")}
        assert {f"key{i}" for i in range(store.max_columns + 5)} <= keys

    def test_ids_increase_across_appends(self, store: Any) -> None:
        store.append([spans("otel", 3)])
        store.append([spans("otel", 2)])
        _, rows = store.execute('SELECT "$id" FROM "otel" ORDER BY "$id"')
        assert [r[0] for r in rows] == [1, 2, 3, 4, 5]

    @pytest.mark.parametrize("value", [2**53 + 1, -(2**63), 2**64 - 1, 10**30],
                             ids=["past-2^53", "int64-min", "uint64-max", "30-digits"])
    def test_integers_no_double_holds_are_kept_exactly(self, store: Any, value: int) -> None:
        batch = Batch("otel")
        batch.add(1, "s", "n", "event", attrs={"big": value, "small": 7})
        batch.add(2, "s", "n", "event", attrs={"big": 5, "small": value})
        store.append([batch])
        _, rows = store.execute('SELECT "big", "small", "$attrs" FROM "otel" ORDER BY "$id"')
        assert rows[0][1] == 7 and rows[1][0] == 5
        assert rows[0][0] is None and f'"big":{value}' in rows[0][2]
        assert rows[1][1] is None and f'"small":{value}' in rows[1][2]

    def test_keys_no_column_can_have_are_kept(self, store: Any) -> None:
        batch = Batch("odd")
        batch.add(1, "checkout", "n", "event", attrs={"": "empty", "nul\0key": "x", "$custom": 1,
                                                      "$service": "spoofed", "$id": 99})
        batch.add(2, "checkout", "n", "event", attrs={"plain": "y"})
        store.append([batch])
        names, rows = store.execute('SELECT * FROM "odd" ORDER BY "$id"')
        first, second = (dict(zip(names, row, strict=True)) for row in rows)
        assert first["$service"] == second["$service"] == "checkout"
        assert [first["$id"], second["$id"]] == [1, 2]
        for fragment in ('"":"empty"', '"nul\\u0000key":"x"', '"$custom":1',
                         '"$service":"spoofed"', '"$id":99'):
            assert fragment in first["$attrs"]

    def test_one_append_is_one_transaction(self, store: Any) -> None:
        good = spans("otel", 2)
        broken = spans("other", 1)
        broken.system["$timestamp"][0] = 2**64  # no timestamp column holds it
        with pytest.raises(RowsRejected):
            store.append([good, broken])
        if "otel" in store.schemas():
            assert store.execute('SELECT count(*) FROM "otel"')[1][0][0] == 0

    def test_delete_before(self, store: Any) -> None:
        store.append([spans("otel", 10, start_ns=100)])
        assert store.delete_before("otel", 105) == 5
        _, rows = store.execute('SELECT min("$timestamp") FROM "otel"')
        assert rows[0][0] == 105

    def test_datasets_and_key_counts(self, store: Any) -> None:
        store.append([spans("otel", 4), spans("logs", 2, extra="x")])
        infos = {d.name: d for d in store.datasets()}
        assert infos["otel"].events == 4 and infos["logs"].events == 2
        assert infos["otel"].first_ns == 1_000 and infos["otel"].last_ns == 1_003
        counts = {k.key: k.count for k in store.keys("logs")}
        assert counts["extra"] == 2 and counts["$level"] == 0

    def test_distinct_estimate_is_near_the_true_count_or_unknown(self, store: Any) -> None:
        batch = Batch("otel")
        for i in range(2_000):
            batch.add(i, f"svc{i % 7}", "ns", "span", attrs={
                "user": f"user-{i % 400}", "flag": i % 2 == 0,
                "code": None if i % 5 == 0 else float(i % 3)})
        store.append([batch])
        services = store.distinct_estimate("otel", "$service")
        users = store.distinct_estimate("otel", "user")
        # A statistic, only roughly right (DuckDB's can be several times over for a few
        # thousand rows): what matters is telling a handful of groups from hundreds.
        assert services is None or 5 <= services <= 9
        assert users is None or users >= 200
        assert store.distinct_estimate("otel", "flag") in (None, 2)
        assert store.distinct_estimate("otel", "code") in (None, 4)  # 0, 1, 2 and null
        assert store.distinct_estimate("otel", "no-such-key") is None
        assert store.distinct_estimate("nothing-here", "$service") is None

    def test_reads_run_while_writes_happen(self, store: Any) -> None:
        store.append([spans("otel", 1)])
        errors: list[BaseException] = []

        def read() -> None:
            try:
                for _ in range(20):
                    store.execute('SELECT count(*) FROM "otel"')
            except BaseException as exc:
                errors.append(exc)

        readers = [threading.Thread(target=read) for _ in range(3)]
        for thread in readers:
            thread.start()
        for _ in range(20):
            store.append([spans("otel", 50)])
        for thread in readers:
            thread.join()
        assert not errors
        assert store.execute('SELECT count(*) FROM "otel"')[1][0][0] == 1 + 20 * 50

    def test_meta_documents(self, store: Any) -> None:
        store.meta_put("things", "a", {"x": 1, "nested": {"y": [1, 2]}})
        store.meta_put("things", "b", {"x": 2})
        store.meta_put("things", "a", {"x": 3})
        assert store.meta_get("things", "a") == {"x": 3}
        assert set(store.meta_list("things")) == {"a", "b"}
        assert store.meta_delete("things", "b") is True
        assert store.meta_delete("things", "b") is False
        assert store.meta_get("things", "b") is None

    def test_meta_replace_swaps_one_prefix_in_one_transaction(self, store: Any) -> None:
        store.meta_put("res", "shop/a", {"v": 1})
        store.meta_put("res", "shop/b", {"v": 1})
        store.meta_put("res", "shopping/a", {"v": 1})
        store.meta_put("other", "shop/a", {"v": 1})
        store.meta_replace("res", "shop/", {"shop/b": {"v": 2}, "shop/c": {"v": 3}})
        assert store.meta_list("res") == {"shop/b": {"v": 2}, "shop/c": {"v": 3},
                                          "shopping/a": {"v": 1}}
        assert store.meta_get("other", "shop/a") == {"v": 1}
        with pytest.raises(ValueError, match="start with"):
            store.meta_replace("res", "shop/", {"shop/d": {"v": 4}, "shopping/a": {"v": 9}})
        assert set(store.meta_list("res")) == {"shop/b", "shop/c", "shopping/a"}
        store.meta_replace("res", "shop/", {})
        assert store.meta_list("res") == {"shopping/a": {"v": 1}}
