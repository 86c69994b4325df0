from collections.abc import Iterator, Sequence
from pathlib import Path

import duckdb
import pytest

from limelight.model import Batch
from limelight.store.duckdb import DuckDBStore
from tests.store.contract import StoreContract, assert_each_row_seen_once, spans


class TestDuckDBFile(StoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[DuckDBStore]:
        opened = DuckDBStore(tmp_path / "db.duckdb", max_columns=20)
        yield opened
        opened.close()


class SealingStore(DuckDBStore):
    """Seals every row right after its append: each contract test then runs over data that
    lives in Parquet segments (with the rows of the latest append among them)."""

    def append(self, batches: Sequence[Batch]) -> None:
        super().append(batches)
        self.seal_due()


class TestDuckDBSegments(StoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[DuckDBStore]:
        opened = SealingStore(tmp_path / "db.duckdb", max_columns=20, segment_rows=1)
        yield opened
        opened.close()


class TestDuckDBMemory(StoreContract):
    @pytest.fixture
    def store(self) -> Iterator[DuckDBStore]:
        opened = DuckDBStore(None, max_columns=20)
        yield opened
        opened.close()


def test_reopening_keeps_data_schema_and_ids(tmp_path: Path) -> None:
    path = tmp_path / "db.duckdb"
    store = DuckDBStore(path)
    store.append([spans("otel", 3, extra=True)])
    store.close()
    reopened = DuckDBStore(path)
    assert reopened.schemas()["otel"].columns["extra"].value == "bool"
    batch = Batch("otel")
    batch.add(9, "s", "n", "span")
    reopened.append([batch])
    _, rows = reopened.execute('SELECT max("$id"), count(*) FROM "otel"')
    assert rows[0] == (4, 4)
    reopened.close()


def _files(store: DuckDBStore) -> list[Path]:
    assert store.segment_dir is not None
    return sorted(store.segment_dir.glob("*.parquet*"))


def _hot_rows(store: DuckDBStore, dataset: str) -> int:
    return store.unsealed_rows(dataset)


def test_sealing_moves_rows_into_a_segment_read_under_the_dataset_name(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "db.duckdb", segment_rows=100)
    store.append([spans("otel", 60, extra="a")])
    assert store.seal_due() == {}  # below the threshold
    store.append([spans("otel", 60, start_ns=5_000)])
    assert store.seal_due() == {"otel": 120}
    assert _hot_rows(store, "otel") == 0 and len(_files(store)) == 1
    store.append([spans("otel", 5, start_ns=9_000, late="z")])  # a column the segment lacks
    _, rows = store.execute(
        'SELECT count(*), count(DISTINCT "$id"), max("$id"), count("extra"), count("late") '
        'FROM "otel"')
    assert rows[0] == (125, 125, 125, 60, 5)
    assert {d.name: d.events for d in store.datasets()} == {"otel": 125}
    assert {k.key: k.count for k in store.keys("otel")}["extra"] == 60
    store.close()

    reopened = SealingStore(tmp_path / "db.duckdb", segment_rows=1)
    reopened.append([spans("otel", 1, start_ns=9_999)])  # sealed: the table is empty again
    reopened.close()
    again = DuckDBStore(tmp_path / "db.duckdb")
    again.append([spans("otel", 1, start_ns=10_000)])
    _, rows = again.execute('SELECT count(*), max("$id"), min("$timestamp") FROM "otel"')
    assert rows[0] == (127, 127, 1_000)  # ids go on after the sealed ones
    again.close()


def test_retention_drops_expired_segments_and_rewrites_the_one_it_cuts(tmp_path: Path) -> None:
    store = SealingStore(tmp_path / "db.duckdb", segment_rows=1)
    store.append([spans("otel", 10, start_ns=100)])  # segment 100..109
    store.append([spans("otel", 10, start_ns=200)])  # segment 200..209
    old, cut = _files(store)
    store.append([spans("otel", 5, start_ns=300)])  # segment 300..304
    assert store.delete_before("otel", 205) == 15
    _, rows = store.execute('SELECT count(*), min("$timestamp") FROM "otel"')
    assert rows[0] == (10, 205)
    assert old.exists() and cut.exists()  # kept a while for queries that already began
    store.close()
    assert not old.exists() and not cut.exists() and len(_files(store)) == 2


def test_opening_removes_files_no_committed_seal_lists(tmp_path: Path) -> None:
    store = SealingStore(tmp_path / "db.duckdb", segment_rows=1)
    store.append([spans("otel", 3)])
    store.close()
    assert store.segment_dir is not None
    # What a crash leaves between writing a segment and committing it.
    (store.segment_dir / "0123.parquet.partial").write_bytes(b"PAR1")
    (store.segment_dir / "4567.parquet").write_bytes(b"PAR1")
    (store.segment_dir / "notes").mkdir()  # not Limelight's: left alone
    (store.segment_dir / "README.txt").write_text("mine")
    reopened = DuckDBStore(tmp_path / "db.duckdb", segment_rows=1)
    assert len(_files(reopened)) == 1
    assert (store.segment_dir / "notes").is_dir()
    assert (store.segment_dir / "README.txt").read_text() == "mine"
    assert reopened.execute('SELECT count(*) FROM "otel"')[1][0][0] == 3
    reopened.close()


def test_opening_refuses_when_a_listed_segment_is_gone(tmp_path: Path) -> None:
    store = SealingStore(tmp_path / "db.duckdb", segment_rows=1)
    store.append([spans("otel", 3)])
    store.close()
    (segment,) = _files(store)
    segment.unlink()
    with pytest.raises(RuntimeError, match=segment.name):
        DuckDBStore(tmp_path / "db.duckdb")


@pytest.mark.parametrize("segment_rows", [0, 1], ids=["table", "sealed"])
def test_ids_go_on_after_every_row_expired_and_a_restart(tmp_path: Path,
                                                         segment_rows: int) -> None:
    store = SealingStore(tmp_path / "db.duckdb", segment_rows=segment_rows)
    store.append([spans("otel", 5, start_ns=100)])
    assert store.delete_before("otel", 1_000) == 5
    store.close()
    reopened = DuckDBStore(tmp_path / "db.duckdb", segment_rows=segment_rows)
    reopened.append([spans("otel", 2, start_ns=2_000)])
    _, rows = reopened.execute('SELECT "$id" FROM "otel" ORDER BY 1')
    assert [row[0] for row in rows] == [6, 7]
    reopened.close()


def test_opening_names_the_dataset_of_an_unreadable_segment(tmp_path: Path) -> None:
    store = SealingStore(tmp_path / "db.duckdb", segment_rows=1)
    store.append([spans("orders", 3)])
    store.close()
    (segment,) = _files(store)
    segment.write_bytes(segment.read_bytes()[:1000])  # cut short
    with pytest.raises(RuntimeError, match=rf"dataset 'orders': .*{segment.name}"):
        DuckDBStore(tmp_path / "db.duckdb")


def test_readers_see_every_row_once_while_seals_happen(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "db.duckdb", segment_rows=100)

    def write_more() -> None:
        for _ in range(30):
            store.append([spans("otel", 50)])
            store.seal_due()

    assert_each_row_seen_once(store, write_more)
    assert len(_files(store)) >= 10
    store.close()


def test_small_segments_merge_into_one(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "db.duckdb", segment_rows=10)
    for i in range(4):
        store.append([spans("otel", 10, start_ns=i * 10, **{f"key{i}": i})])
        store.seal_due()
        assert len(_files(store)) == (i + 1 if i < 3 else 5)  # merged; the four retired
    store.append([spans("otel", 10, start_ns=40)])
    store.seal_due()
    _, rows = store.execute(
        'SELECT count(*), count(DISTINCT "$id"), min("$id"), max("$id"), count("key0"), '
        'count("key3") FROM "otel"')
    assert rows[0] == (50, 50, 1, 50, 10, 10)
    store.close()
    sizes = sorted(duckdb.sql(f"SELECT count(*) FROM '{path}'").fetchall()[0][0]
                   for path in _files(store))
    assert sizes == [10, 40]


def test_trace_lookups_in_segments_skip_row_groups_by_bloom_filter(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "db.duckdb", segment_rows=1)
    batch = Batch("otel")
    for i in range(130_000):  # two row groups, traces of 4 spans
        batch.add(i, "svc", "ns", "span", trace_id=f"{i // 4:032x}", span_id=f"{i:016x}")
    store.append([batch])
    store.seal_due()
    (segment,) = _files(store)
    wanted = f"{129_000 // 4:032x}"
    maybe = duckdb.sql(
        "SELECT count(*) FILTER (WHERE NOT bloom_filter_excludes), count(*) "
        f"FROM parquet_bloom_probe('{segment}', '$trace_id', '{wanted}')").fetchall()
    assert maybe == [(1, 2)]
    _, rows = store.execute('SELECT count(*) FROM "otel" WHERE "$trace_id" = $p0', {"p0": wanted})
    assert rows == [(4,)]
    store.close()
