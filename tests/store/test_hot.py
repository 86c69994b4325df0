"""Hot rows: the log that keeps them durable, and how the store moves them on."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from limelight.store.duckdb import DuckDBStore
from limelight.store.duckdb.hot import HotRows
from tests.store.contract import assert_each_row_seen_once, spans


def _table(first_id: int, count: int) -> pa.Table:
    return pa.table({"$id": pa.array(range(first_id, first_id + count), pa.int64()),
                     "v": pa.array([f"row {i}" for i in range(count)])})


SCHEMA = pa.schema([("$id", pa.int64()), ("v", pa.string()), ("n", pa.float64())])


def _logged(directory: Path, rows: HotRows, table: pa.Table) -> None:
    rows.write(table)
    rows.sync()
    rows.publish(table)


def test_reopening_reads_back_every_logged_row_and_cuts_off_a_torn_write(tmp_path: Path) -> None:
    rows = HotRows("otel", tmp_path, after_id=0)
    _logged(tmp_path, rows, _table(1, 3))
    _logged(tmp_path, rows, _table(4, 2))
    rows.close()
    (log,) = tmp_path.glob("otel.*.log")
    whole = log.stat().st_size
    with open(log, "ab") as file:  # what a crash in the middle of a write leaves
        file.write(b"LLh1\x00\x10\x00\x00\x00\x00\x00\x00partial")
    reopened = HotRows("otel", tmp_path, after_id=0)
    snapshot = reopened.snapshot(SCHEMA)
    assert snapshot.column("$id").to_pylist() == [1, 2, 3, 4, 5]
    assert snapshot.column("n").null_count == 5  # a column no chunk has is null
    assert log.stat().st_size == whole
    assert reopened.max_id == 5
    reopened.close()


def test_reopening_skips_rows_already_moved_and_a_frame_whose_checksum_fails(
        tmp_path: Path) -> None:
    rows = HotRows("otel", tmp_path, after_id=0)
    _logged(tmp_path, rows, _table(1, 3))
    _logged(tmp_path, rows, _table(4, 3))
    rows.close()
    assert HotRows("otel", tmp_path, after_id=4).snapshot(SCHEMA).column(
        "$id").to_pylist() == [5, 6]
    (log,) = tmp_path.glob("otel.*.log")
    data = bytearray(log.read_bytes())
    data[-1] ^= 0xFF  # the last frame's payload changed on disk
    log.write_bytes(bytes(data))
    assert HotRows("otel", tmp_path, after_id=0).snapshot(SCHEMA).column(
        "$id").to_pylist() == [1, 2, 3]


def test_a_damaged_frame_in_the_middle_of_the_log_costs_only_its_own_rows(
        tmp_path: Path) -> None:
    rows = HotRows("otel", tmp_path, after_id=0)
    for first in (1, 4, 7):
        _logged(tmp_path, rows, _table(first, 3))
    rows.close()
    (log,) = tmp_path.glob("otel.*.log")
    data = bytearray(log.read_bytes())
    size = len(data) // 3  # the frames are the same size
    data[size + size // 2] ^= 0xFF  # a bit flipped inside the second frame's payload
    log.write_bytes(bytes(data))
    reopened = HotRows("otel", tmp_path, after_id=0)
    assert reopened.snapshot(SCHEMA).column("$id").to_pylist() == [1, 2, 3, 7, 8, 9]
    assert log.stat().st_size == len(data)  # nothing cut off
    reopened.close()


def test_a_cut_keeps_later_rows_in_a_new_generation(tmp_path: Path) -> None:
    rows = HotRows("otel", tmp_path, after_id=0)
    _logged(tmp_path, rows, _table(1, 3))
    generation, moving = rows.cut()
    assert sum(t.num_rows for t in moving) == 3
    _logged(tmp_path, rows, _table(4, 2))
    rows.forget_through(generation)
    rows.delete_logs_through(generation)
    assert rows.rows == 2 and len(list(tmp_path.glob("otel.*.log"))) == 1
    rows.close()
    assert HotRows("otel", tmp_path, after_id=0).snapshot(SCHEMA).column(
        "$id").to_pylist() == [4, 5]


def test_a_failed_log_write_takes_back_every_dataset_of_the_commit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = DuckDBStore(tmp_path / "db.duckdb")
    store.append([spans("otel", 2), spans("errors", 2)])
    original = HotRows.sync

    def failing(self: HotRows) -> None:
        if self.dataset == "errors":
            raise OSError(28, "No space left on device")
        original(self)

    monkeypatch.setattr(HotRows, "sync", failing)
    with pytest.raises(OSError, match="No space"):
        store.append([spans("otel", 5), spans("errors", 5)])
    monkeypatch.undo()
    counts = {name: store.execute(f'SELECT count(*) FROM "{name}"')[1][0][0]
              for name in ("otel", "errors")}
    assert counts == {"otel": 2, "errors": 2}
    store.close()
    reopened = DuckDBStore(tmp_path / "db.duckdb")
    assert reopened.execute('SELECT count(*), max("$id") FROM "otel"')[1] == [(2, 2)]
    reopened.close()


def test_a_store_that_does_not_seal_moves_hot_rows_into_its_table(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "db.duckdb", flush_rows=100)
    store.append([spans("otel", 60)])
    store.append([spans("otel", 60, late="x")])  # 120: moved, the new column with them
    assert store.unsealed_rows("otel") == 120
    assert not list((tmp_path / "db.hot").glob("otel.*.log"))
    store.append([spans("otel", 7)])
    _, rows = store.execute('SELECT count(*), count(DISTINCT "$id"), count("late") FROM "otel"')
    assert rows == [(127, 127, 60)]
    store.close()
    reopened = DuckDBStore(tmp_path / "db.duckdb", flush_rows=100)
    _, rows = reopened.execute('SELECT count(*), count(DISTINCT "$id"), max("$id") FROM "otel"')
    assert rows == [(127, 127, 127)]
    reopened.close()


def test_readers_see_every_row_once_while_hot_rows_move_into_the_table(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "db.duckdb", flush_rows=100)

    def write_more() -> None:
        for _ in range(30):
            store.append([spans("otel", 50)])

    assert_each_row_seen_once(store, write_more)
    store.close()


def test_rows_a_table_kept_are_sealed_when_a_store_that_seals_opens(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "db.duckdb", flush_rows=10)
    store.append([spans("otel", 20)])  # into the table
    store.append([spans("otel", 3)])  # hot
    store.close()
    sealing = DuckDBStore(tmp_path / "db.duckdb", segment_rows=1_000)
    assert sealing.unsealed_rows("otel") == 0
    assert sealing.segment_dir is not None and len(list(sealing.segment_dir.glob("*.parquet"))) == 1
    _, rows = sealing.execute('SELECT count(*), count(DISTINCT "$id"), max("$id") FROM "otel"')
    assert rows == [(23, 23, 23)]
    sealing.close()


def test_retention_removes_hot_rows_for_good(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "db.duckdb", segment_rows=1_000)
    store.append([spans("otel", 10, start_ns=100), spans("otel", 10, start_ns=200)])
    assert store.delete_before("otel", 205) == 15
    store.close()
    reopened = DuckDBStore(tmp_path / "db.duckdb", segment_rows=1_000)
    _, rows = reopened.execute('SELECT count(*), min("$timestamp"), max("$id") FROM "otel"')
    assert rows == [(5, 205, 20)]
    reopened.append([spans("otel", 1, start_ns=300)])
    assert reopened.execute('SELECT max("$id") FROM "otel"')[1] == [(21,)]
    reopened.close()


def test_a_retention_rewrite_replaces_older_generations_even_if_their_files_stay(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = HotRows("otel", tmp_path, after_id=0)
    _logged(tmp_path, rows, _table(1, 3))
    rows.cut()
    _logged(tmp_path, rows, _table(4, 3))
    # A crash after the kept rows' generation is in place, before the old files go.
    monkeypatch.setattr(HotRows, "delete_logs_through", lambda self, generation: None)
    assert rows.keep_only(lambda t: pc.greater(t.column("$id"), 4)) == 4
    monkeypatch.undo()
    rows.close()
    assert len(list(tmp_path.glob("otel.*.log"))) == 3
    (tmp_path / "otel.9.log.partial").write_bytes(b"LLb1")  # an interrupted rewrite
    reopened = HotRows("otel", tmp_path, after_id=0)
    assert reopened.snapshot(SCHEMA).column("$id").to_pylist() == [5, 6]
    assert [p.name for p in tmp_path.iterdir()] == ["otel.3.log"]
    reopened.close()


def test_hot_rows_are_read_under_the_dataset_name_quoted_or_not(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "db.duckdb", segment_rows=1_000)
    store.append([spans("otel", 3), spans("my-logs", 2)])
    assert store.execute("SELECT count(*) FROM otel")[1] == [(3,)]
    assert store.execute('SELECT count(*) FROM "OTEL"')[1] == [(3,)]
    assert store.execute('SELECT count(*) FROM "my-logs"')[1] == [(2,)]
    store.close()


def test_readers_never_see_a_new_dataset_before_its_rows_can_be_read(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "db.duckdb", segment_rows=1_000)
    done = threading.Event()
    failures: list[BaseException] = []
    listed: list[int] = []

    def read() -> None:
        while not done.is_set():
            try:
                listed.append(len(store.datasets()))
            except BaseException as exc:  # reported by the assertion below
                failures.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    for i in range(40):
        store.append([spans(f"set-{i}", 5)])
    done.set()
    reader.join()
    store.close()
    assert not failures, failures[0]
    assert listed and max(listed) > 1


def test_hot_rows_past_the_memory_budget_or_too_old_are_sealed_early(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "db.duckdb", segment_rows=1_000_000, hot_bytes_max=20_000)
    store.append([spans("big", 300, pad="x" * 100), spans("small", 5)])
    assert store.seal_due() == {"big": 300}  # the biggest, until the rest fits
    assert store.unsealed_rows("small") == 5
    store.hot_age_s = 0.0
    assert store.seal_due() == {"small": 5}
    assert store.execute('SELECT count(*) FROM "big"')[1] == [(300,)]
    store.close()


def test_a_store_that_does_not_seal_moves_hot_rows_past_the_budget_into_its_table(
        tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "db.duckdb", hot_bytes_max=20_000)
    store.append([spans("big", 300, pad="x" * 100), spans("small", 5)])
    assert store.unsealed_rows("big") == 300 and store.unsealed_rows("small") == 5
    assert not list((tmp_path / "db.hot").glob("big.*.log"))
    assert list((tmp_path / "db.hot").glob("small.*.log"))
    store.close()


def test_a_write_that_fails_part_way_loses_no_later_commit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = DuckDBStore(tmp_path / "db.duckdb", segment_rows=1_000)
    store.append([spans("otel", 5)])
    writev = os.writev

    def disk_fills(fd: int, buffers: list[memoryview]) -> int:
        monkeypatch.setattr(os, "writev", writev)
        os.write(fd, bytes(buffers[0]) + bytes(buffers[1])[:10])  # a torn frame lands
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "writev", disk_fills)
    with pytest.raises(OSError, match="No space"):
        store.append([spans("otel", 5)])
    store.append([spans("otel", 7)])
    store.close()
    reopened = DuckDBStore(tmp_path / "db.duckdb", segment_rows=1_000)
    _, rows = reopened.execute('SELECT count(*), count(DISTINCT "$id") FROM "otel"')
    assert rows == [(12, 12)]
    reopened.close()


def test_rows_a_crash_left_in_the_log_after_their_seal_do_not_come_back_after_retention(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = DuckDBStore(tmp_path / "db.duckdb", segment_rows=10)
    store.append([spans("otel", 10, start_ns=100)])
    # The crash: after the seal is listed, before its log is deleted.
    monkeypatch.setattr(HotRows, "delete_logs_through", lambda self, generation: None)
    assert store.seal_due() == {"otel": 10}
    monkeypatch.undo()
    store.close()
    reopened = DuckDBStore(tmp_path / "db.duckdb", segment_rows=10)
    assert not list((tmp_path / "db.hot").glob("otel.*.log"))
    assert reopened.delete_before("otel", 1_000) == 10
    reopened.close()
    again = DuckDBStore(tmp_path / "db.duckdb", segment_rows=10)
    assert again.execute('SELECT count(*) FROM "otel"')[1] == [(0,)]
    again.close()


def test_an_append_whose_rows_are_durable_does_not_fail_when_moving_them_on_does(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = DuckDBStore(tmp_path / "db.duckdb", flush_rows=10)

    def failing(self: HotRows, generation: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(HotRows, "delete_logs_through", failing)
    store.append([spans("otel", 12)])  # would be retried, and stored twice, if it raised
    monkeypatch.undo()
    assert store.execute('SELECT count(*), count(DISTINCT "$id") FROM "otel"')[1] == [(12, 12)]
    store.close()


def test_a_store_that_does_not_seal_moves_old_hot_rows_without_waiting_for_an_append(
        tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "db.duckdb")
    store.append([spans("otel", 5)])
    assert store.seal_due() == {}
    assert list((tmp_path / "db.hot").glob("otel.*.log"))  # young: still hot
    store.hot_age_s = 0.0
    assert store.seal_due() == {}  # nothing sealed: moved into the table
    assert not list((tmp_path / "db.hot").glob("otel.*.log"))
    assert store.execute('SELECT count(*) FROM "otel"')[1] == [(5,)]
    store.close()
