"""Moving rows out of the hot tier: into Parquet segments (seals and their merges) or, for a
store that does not seal, into its tables; and retention over all three."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from limelight.model import ID_FIELD
from limelight.store.api import DatasetSchema
from limelight.store.duckdb import hot, segments
from limelight.store.duckdb.meta import ID_FLOORS
from limelight.store.duckdb.segments import quote

log = logging.getLogger("limelight.store")

# How long a segment file replaced by a retention rewrite stays on disk, for queries that
# bound the view naming it before the change.
RETIRED_FILE_GRACE_S = 60.0
# This many segments smaller than MERGE_FACTOR * segment_rows, the newest, become one.
MERGE_FACTOR = 4


class SegmentLifecycle:
    segment_dir: Path | None
    segment_rows: int
    hot_bytes_max: int
    hot_age_s: float
    _schemas: dict[str, DatasetSchema]
    _segments: dict[str, list[segments.Segment]]
    _hot: dict[str, hot.HotRows]
    _table_rows: dict[str, int]
    _table_through_id: dict[str, int]
    _next_id: dict[str, int]
    _retired: list[tuple[float, Path]]
    _seal_lock: threading.Lock
    _write_lock: threading.Lock
    _view_lock: threading.Lock

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        raise NotImplementedError

    def _table(self, dataset: str) -> str:
        raise NotImplementedError

    def _arrow_schema(self, dataset: str) -> pa.Schema:
        raise NotImplementedError

    def meta_put(self, collection: str, doc_id: str, doc: dict[str, Any]) -> None:
        raise NotImplementedError

    def delete_before(self, dataset: str, timestamp_ns: int) -> int:
        if dataset not in self._schemas:
            return 0
        with self._seal_lock:
            self._unlink_retired()
            sealed = self._segments.get(dataset, [])
            expired = [s for s in sealed if s.last_ns is not None and s.last_ns < timestamp_ns]
            straddling = [s for s in sealed if s not in expired
                          and s.first_ns is not None and s.first_ns < timestamp_ns]
            rewritten = []
            for segment in straddling:  # rewritten without the old rows
                remaining = self._write_segment(
                    dataset, f"SELECT * FROM {self._files([segment])} "
                    f'WHERE "$timestamp" >= {int(timestamp_ns)}', segment.last_id)
                if remaining is not None:
                    rewritten.append(remaining)
            removed = expired + straddling
            # Ids go on from the largest one left; once every row may be gone, from here.
            self.meta_put(ID_FLOORS, dataset, {"next_id": self._next_id.get(dataset, 1)})
            from_table = self._swap(dataset, removed, rewritten,
                                    f"{quote('$timestamp')} < ?", [timestamp_ns])
            with self._write_lock:
                from_hot = self._hot[dataset].keep_only(
                    lambda t: pc.greater_equal(t.column("$timestamp"), timestamp_ns))
        return (from_table + from_hot + sum(s.rows for s in removed)
                - sum(s.rows for s in rewritten))

    # -- Into the table (a store that does not seal) ----------------------
    def _flush_due(self, full: list[str]) -> None:
        """Move the hot rows of the `full` datasets and of those `_moving_early` into their
        tables (with the write lock held); a failure leaves them hot, to try again later."""
        try:
            for dataset in dict.fromkeys(full + self._moving_early()):
                self._flush(dataset)
        except Exception:  # after an append its rows are durable: it must not fail now
            log.exception("moving hot rows into a table failed; they stay hot")

    def _flush(self, dataset: str) -> None:
        """Move the dataset's hot rows into its table (a store that does not seal); not
        while a seal (called directly) is moving them."""
        if not self._seal_lock.acquire(blocking=False):
            return
        try:
            rows = self._hot[dataset]
            generation, tables = rows.cut()
            moved = hot.conform(tables, self._arrow_schema(dataset))
            cursor = self._cursor()
            cursor.register("_ll_flush", moved)
            try:
                cursor.execute("BEGIN TRANSACTION")
                cursor.execute(
                    f"INSERT INTO {self._table(dataset)} BY NAME SELECT * FROM _ll_flush")
                cursor.execute("COMMIT")
            except Exception:  # the rows stay hot (and logged); a later append tries again
                with contextlib.suppress(duckdb.Error):
                    cursor.execute("ROLLBACK")
                raise
            finally:
                cursor.unregister("_ll_flush")
            with self._view_lock:
                rows.forget_through(generation)
                self._table_rows[dataset] += moved.num_rows
                self._table_through_id[dataset] = int(pc.max(moved.column(ID_FIELD)).as_py())
            rows.delete_logs_through(generation)
        finally:
            self._seal_lock.release()

    # -- Segments --------------------------------------------------------
    def seal_due(self) -> dict[str, int]:
        """Seal the rows of every dataset that holds `segment_rows` or more not sealed (or
        whose hot rows move early) into a new segment, then merge its last MERGE_FACTOR
        small segments into one; returns the rows sealed per dataset. A store that does not
        seal moves the hot rows due to move early into their tables instead."""
        if not self.segment_rows:
            with self._write_lock:
                self._flush_due([])
            return {}
        full = [name for name, rows in list(self._hot.items())
                if rows.rows + self._table_rows.get(name, 0) >= self.segment_rows]
        return {dataset: self.seal(dataset)
                for dataset in dict.fromkeys(full + self._moving_early())}

    def _moving_early(self) -> list[str]:
        """The datasets whose hot rows move before there are enough of them: those hot for
        `hot_age_s`, then the biggest while all hot rows take over `hot_bytes_max`."""
        holding = {name: rows for name, rows in list(self._hot.items()) if rows.rows}
        due = [name for name, rows in holding.items() if rows.age_s() >= self.hot_age_s]
        sizes = {name: rows.nbytes for name, rows in holding.items()}
        total = sum(sizes.values())
        for name in sorted(sizes, key=sizes.__getitem__, reverse=True):
            if total <= self.hot_bytes_max:
                break
            due.append(name)
            total -= sizes[name]
        return due

    def unsealed_rows(self, dataset: str) -> int:
        """The dataset's rows not in a segment: hot, or in its table."""
        return self._hot[dataset].rows + self._table_rows[dataset] if dataset in self._hot \
            else 0

    def seal(self, dataset: str) -> int:
        """Seal the dataset's hot rows, and any its table holds, into a new segment (a
        file-backed store only), then merge small segments; returns the rows sealed."""
        if self.segment_dir is None or dataset not in self._schemas:
            return 0
        with self._seal_lock:
            self._unlink_retired()
            moved = self._seal(dataset)
            self._merge_small(dataset)
        return moved

    def _seal(self, dataset: str) -> int:
        rows = self._hot[dataset]
        with self._write_lock:
            last_id = self._next_id[dataset] - 1  # every row up to it is durable
            generation, tables = rows.cut()
            in_table = self._table_rows[dataset]
            schema = self._arrow_schema(dataset)
        where = f"{quote(ID_FIELD)} <= {last_id}"
        cursor = self._cursor()
        cursor.register("_ll_seal", hot.conform(tables, schema))
        try:
            source = "SELECT * FROM _ll_seal"
            if in_table:
                source += (f" UNION ALL BY NAME SELECT * FROM {self._table(dataset)} "
                           f"WHERE {where}")
            segment = self._write_segment(dataset, source, last_id)
        finally:
            cursor.unregister("_ll_seal")
        if segment is None:
            return 0
        moved = self._swap(dataset, [], [segment], where if in_table else "", [],
                           expect=in_table, hot_through=generation)
        rows.delete_logs_through(generation)
        pa.default_memory_pool().release_unused()  # the sealed rows' memory, back to the OS
        if moved:
            # Frees the moved rows' blocks for the next appends; until a checkpoint they
            # stay taken and the file grows as if nothing had moved. With another writer
            # active (a meta write) DuckDB's next automatic checkpoint will.
            with self._write_lock, contextlib.suppress(duckdb.TransactionException):
                self._cursor().execute("CHECKPOINT")
        return segment.rows

    def _merge_small(self, dataset: str) -> None:
        """Fewer, larger files read faster (BENCHMARKS.md), while sealing small batches keeps
        the hot rows, held in memory, few."""
        small: list[segments.Segment] = []
        for segment in reversed(self._segments.get(dataset, [])):
            if segment.rows >= MERGE_FACTOR * self.segment_rows:
                break
            small.insert(0, segment)
        if len(small) < MERGE_FACTOR:
            return
        merged = self._write_segment(dataset, f"SELECT * FROM {self._files(small)}",
                                     small[-1].last_id)
        self._swap(dataset, small, [merged] if merged else [], "", [])

    def _write_segment(self, dataset: str, source_sql: str, last_id: int
                       ) -> segments.Segment | None:
        assert self.segment_dir is not None
        return segments.write(self._cursor(), dataset, source_sql, self.segment_dir, last_id)

    def _files(self, chosen: list[segments.Segment]) -> str:
        assert self.segment_dir is not None
        return segments.scan(self.segment_dir, chosen)

    def _swap(self, dataset: str, removed: list[segments.Segment],
              added: list[segments.Segment], delete_where: str, params: list[Any],
              expect: int | None = None, hot_through: int | None = None) -> int:
        """In one transaction: delete the table's rows `delete_where` selects (`expect` of
        them, when given), and replace segments `removed` by `added` in the manifest;
        then, in one step for readers, the segments they see, and (with
        `hot_through`) the hot rows of the generations the added segment holds. Returns
        the rows deleted from the table."""
        kept = sorted([s for s in self._segments.get(dataset, []) if s not in removed] + added,
                      key=lambda s: s.last_id)
        with self._write_lock:
            cursor = self._cursor()
            cursor.execute("BEGIN TRANSACTION")
            try:
                deleted = 0
                if delete_where:
                    row = cursor.execute(
                        f"DELETE FROM {self._table(dataset)} WHERE {delete_where}", params
                    ).fetchone()
                    deleted = int(row[0]) if row else 0
                if expect is not None and deleted != expect:  # the seal lock rules this out
                    raise RuntimeError(f"{dataset}: {expect} rows sealed, {deleted} in table")
                segments.record(cursor, added, removed)
                cursor.execute("COMMIT")
            except BaseException:
                cursor.execute("ROLLBACK")
                self._retire(added, grace_s=0)
                raise
            with self._view_lock:
                self._segments[dataset] = kept
                self._table_rows[dataset] -= deleted
                if hot_through is not None:
                    self._hot[dataset].forget_through(hot_through)
        self._retire(removed, RETIRED_FILE_GRACE_S)
        return deleted

    def _retire(self, removed: list[segments.Segment], grace_s: float) -> None:
        """Unlink the files once `grace_s` has passed (at the next seal or retention pass,
        or at close); queries that began before they left the view may still read them."""
        if self.segment_dir is not None:
            due = time.monotonic() + grace_s
            self._retired += [(due, segments.path_of(self.segment_dir, s)) for s in removed]

    def _unlink_retired(self, everything: bool = False) -> None:
        now = time.monotonic()
        due = [path for when, path in self._retired if everything or when <= now]
        self._retired = [(when, path) for when, path in self._retired
                         if not everything and when > now]
        for path in due:
            path.unlink(missing_ok=True)
