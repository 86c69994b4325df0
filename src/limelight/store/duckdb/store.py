"""DuckDB backend: one table per dataset, a typed column per attribute key (bounded), the
older rows of a large dataset sealed into Parquet segments (see segments.py)."""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from limelight.exceptions import QueryError, RowsRejected
from limelight.model import (
    ID_FIELD,
    OVERFLOW_FIELD,
    SYSTEM_FIELDS,
    Batch,
    FieldType,
)
from limelight.store.api import DatasetInfo, DatasetSchema, KeyInfo
from limelight.store.duckdb import segments
from limelight.store.duckdb.columns import (
    FIELD_TYPES,
    SQL_TYPES,
    PreparedBatch,
    natural_type,
    prepare,
    to_arrow,
    with_ids,
)
from limelight.store.duckdb.meta import ID_FLOORS, META_TABLE, MetaDocuments
from limelight.store.duckdb.segments import quote

DEFAULT_RETENTION_DAYS = 30
# WAL size that triggers a checkpoint. DuckDB's default, 16 MB, is only ~30,000 spans of
# WAL: steady ingest then checkpoints every second or so, each time rewriting the table's
# last, partly filled row group, which costs time and leaves freed blocks in the file
# (bench/ingest.py: ~90 -> ~55 bytes per span). A crash replays at most this much WAL.
CHECKPOINT_WAL_BYTES = "128MB"
# How long a segment file replaced by a retention rewrite stays on disk, for queries that
# bound the view naming it before the change.
RETIRED_FILE_GRACE_S = 60.0
# This many segments smaller than MERGE_FACTOR * segment_rows, the newest, become one.
MERGE_FACTOR = 4


# What rows that DuckDB or Arrow cannot take raise; I/O errors and the like are not here:
# they are the store's trouble, worth a retry.
_DATA_ERRORS = (
    duckdb.ConversionException, duckdb.BinderException, duckdb.ParserException,
    duckdb.InvalidInputException, duckdb.ConstraintException, duckdb.OutOfRangeException,
    pa.ArrowInvalid, pa.ArrowTypeError, OverflowError,
)


def _column_name(key: str) -> bool:
    """Whether a key can name a column: `$` keys are reserved, and DuckDB refuses an empty
    name or one holding NUL. The others stay in the overflow column."""
    return bool(key) and not key.startswith("$") and "\0" not in key


class DuckDBStore(MetaDocuments):
    """Writer, Reader and MetaStore over one DuckDB database (a file, or memory when path is None).

    Appends happen on one thread at a time (the ingest queue's); reads use a
    cursor per thread, so queries run while the writer commits. With `segment_rows`, a
    file-backed store seals a dataset's rows into a Parquet segment once its table holds
    that many (`seal_due`, called by the server's background loop).
    """

    dialect = "duckdb"

    def __init__(
        self,
        path: Path | None,
        max_columns: int = 400,
        default_retention_days: int = DEFAULT_RETENTION_DAYS,
        segment_rows: int = 0,
    ) -> None:
        self.path = path
        self.max_columns = max_columns
        self.default_retention_days = default_retention_days
        self.segment_rows = max(segment_rows, 0) if path else 0  # 0: never seal
        self.segment_dir = segments.directory_of(path) if path else None
        self._db = duckdb.connect(str(path) if path else ":memory:")
        self._db.execute(f"SET checkpoint_threshold = '{CHECKPOINT_WAL_BYTES}'")
        self._db.execute("SET parquet_metadata_cache = true")
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._closed = False
        self._seal_lock = threading.Lock()  # one seal or retention pass at a time
        self._meta_lock = threading.Lock()
        self._db.execute(
            f"CREATE TABLE IF NOT EXISTS main.{META_TABLE} ("
            "collection VARCHAR, id VARCHAR, doc VARCHAR, PRIMARY KEY (collection, id))"
        )
        segments.create_manifest(self._db)
        self._schemas: dict[str, DatasetSchema] = self._load_schemas()
        self._segments = segments.load(self._db)
        self._retired: list[tuple[float, Path]] = []
        self._distinct_cache: dict[tuple[str, str], int] = {}
        if self.segment_dir is not None:
            self.segment_dir.mkdir(exist_ok=True)
            try:
                segments.reconcile(self.segment_dir, self._segments)
                # Views name absolute paths: made anew in case the data directory moved.
                # A dataset without segments has none (a view left behind would name
                # files no longer there).
                for name in {*self._schemas, *self._segments}:
                    segments.define_view(self._db, name, self.segment_dir,
                                         self._segments.get(name, []))
            except (RuntimeError, duckdb.Error) as exc:
                self._db.close()
                if isinstance(exc, RuntimeError):
                    raise
                raise RuntimeError(
                    f"dataset {name!r}: a segment file in {self.segment_dir} cannot be read "
                    f"({exc}); restore it from a backup, or see `limelight segments check`"
                ) from exc
        self._next_id: dict[str, int] = {}
        self._hot_rows: dict[str, int] = {}
        for name in self._schemas:
            found = self._db.execute(
                f"SELECT max({quote(ID_FIELD)}), count(*) FROM main.{quote(name)}")
            top, rows = found.fetchone() or (None, 0)
            sealed = [s.last_id for s in self._segments.get(name, [])]
            floor = (self.meta_get(ID_FLOORS, name) or {}).get("next_id", 1)
            self._next_id[name] = max([top or 0, *sealed, floor - 1]) + 1
            self._hot_rows[name] = rows

    # -- lifecycle -------------------------------------------------------
    def close(self) -> None:
        with self._seal_lock, self._write_lock:
            if self._closed:
                return
            self._closed = True
            self._db.execute("CHECKPOINT")
            self._db.close()
            self._unlink_retired(everything=True)

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._local.cursor = self._db.cursor()
            cursor.execute(segments.SEARCH_PATH)
        return cursor

    def _load_schemas(self) -> dict[str, DatasetSchema]:
        rows = self._db.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'main' AND table_name NOT LIKE '\\_%' ESCAPE '\\' "
            "ORDER BY table_name, ordinal_position"
        ).fetchall()
        columns: dict[str, dict[str, FieldType]] = defaultdict(dict)
        overflow: set[str] = set()
        for table, column, sql_type in rows:
            if column == OVERFLOW_FIELD:
                overflow.add(table)
            else:
                columns[table][column] = FIELD_TYPES[sql_type]
        return {
            name: DatasetSchema(name, cols, has_overflow=name in overflow)
            for name, cols in columns.items()
        }

    # -- Writer ----------------------------------------------------------
    def append(self, batches: Sequence[Batch]) -> None:
        by_dataset: dict[str, list[Batch]] = defaultdict(list)
        for batch in batches:
            if batch.size:
                by_dataset[batch.dataset].append(batch)
        if not by_dataset:
            return
        with self._write_lock:
            cursor = self._cursor()
            schemas = dict(self._schemas)
            next_ids = dict(self._next_id)
            cursor.execute("BEGIN TRANSACTION")
            try:
                for dataset, group in by_dataset.items():
                    schema = self._ensure_columns(cursor, schemas.get(dataset), dataset, group)
                    first = next_ids.get(dataset, 1)
                    tables = []
                    for batch in group:
                        if isinstance(batch, PreparedBatch) and batch.table is not None:
                            tables.append(with_ids(batch.table, first))
                        else:
                            tables.append(to_arrow(batch, schema.columns, first))
                        first += batch.size
                    next_ids[dataset] = first
                    overflows = any(OVERFLOW_FIELD in t.column_names for t in tables)
                    if overflows and not schema.has_overflow:
                        cursor.execute(f"ALTER TABLE main.{quote(dataset)} "
                                       f"ADD COLUMN {quote(OVERFLOW_FIELD)} VARCHAR")
                        schema = DatasetSchema(dataset, schema.columns, has_overflow=True)
                    schemas[dataset] = schema
                    # One chunk: DuckDB then inserts it without splitting the work.
                    rows = pa.concat_tables(tables, promote_options="default").combine_chunks()
                    cursor.register("_ll_rows", rows)
                    cursor.execute(
                        f"INSERT INTO main.{quote(dataset)} BY NAME SELECT * FROM _ll_rows")
                    cursor.unregister("_ll_rows")
                cursor.execute("COMMIT")
            except _DATA_ERRORS as exc:
                cursor.execute("ROLLBACK")
                raise RowsRejected(f"rows could not be stored: {exc}") from exc
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            for dataset, group in by_dataset.items():
                self._hot_rows[dataset] = self._hot_rows.get(dataset, 0) + sum(
                    batch.size for batch in group)
            self._schemas = schemas
            self._next_id = next_ids

    def preparer(self, dataset: str) -> Callable[[Batch], Batch] | None:
        """A picklable function that converts a decoded batch of `dataset` for the columns the
        dataset has now, so a decoder process can do that work instead of the writer (see
        columns.prepare); None while the dataset does not exist yet."""
        schema = self._schemas.get(dataset)
        return None if schema is None else functools.partial(prepare, dict(schema.columns))

    def _ensure_columns(
        self,
        cursor: duckdb.DuckDBPyConnection,
        schema: DatasetSchema | None,
        dataset: str,
        group: list[Batch],
    ) -> DatasetSchema:
        if schema is None:
            definition = ", ".join(
                [f"{quote(ID_FIELD)} BIGINT"]
                + [f"{quote(n)} {SQL_TYPES[t]}" for n, t in SYSTEM_FIELDS.items()]
            )
            cursor.execute(f"CREATE TABLE main.{quote(dataset)} ({definition})")
            schema = DatasetSchema(dataset, {ID_FIELD: FieldType.INTEGER, **SYSTEM_FIELDS})
        columns = dict(schema.columns)
        taken = {name.lower() for name in columns} | {ID_FIELD.lower(), OVERFLOW_FIELD.lower()}
        budget = self.max_columns - (len(columns) - len(SYSTEM_FIELDS) - 1)
        for batch in group:
            for key, values in batch.attr_values.items():
                if (key in columns or key.lower() in taken or budget <= 0
                        or not _column_name(key)):
                    continue
                ftype = natural_type(values)
                cursor.execute(
                    f"ALTER TABLE main.{quote(dataset)} "
                    f"ADD COLUMN {quote(key)} {SQL_TYPES[ftype]}"
                )
                columns[key] = ftype
                taken.add(key.lower())
                budget -= 1
        return DatasetSchema(dataset, columns, has_overflow=schema.has_overflow)

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
        return from_table + sum(s.rows for s in removed) - sum(s.rows for s in rewritten)

    # -- Segments --------------------------------------------------------
    def seal_due(self) -> dict[str, int]:
        """Seal the rows of every dataset whose table holds `segment_rows` or more into a new
        segment, then merge its last MERGE_FACTOR small segments into one; returns the rows
        sealed per dataset."""
        if not self.segment_rows:
            return {}
        due = [name for name, rows in list(self._hot_rows.items()) if rows >= self.segment_rows]
        return {dataset: self.seal(dataset) for dataset in due}

    def seal(self, dataset: str) -> int:
        """Seal every row the dataset's table holds now into a new segment (a file-backed
        store only), then merge small segments; returns the rows sealed."""
        if self.segment_dir is None or dataset not in self._schemas:
            return 0
        with self._seal_lock:
            self._unlink_retired()
            moved = self._seal(dataset)
            self._merge_small(dataset)
        return moved

    def _seal(self, dataset: str) -> int:
        with self._write_lock:
            last_id = self._next_id[dataset] - 1  # every row up to it has committed
        where = f"{quote(ID_FIELD)} <= {last_id}"
        segment = self._write_segment(
            dataset, f"SELECT * FROM main.{quote(dataset)} WHERE {where}", last_id)
        if segment is None:
            return 0
        moved = self._swap(dataset, [], [segment], where, [], expect=segment.rows)
        # Frees the moved rows' blocks for the next appends; until a checkpoint they stay
        # taken and the file grows as if nothing had moved.
        # With another writer active (a meta write) DuckDB's next automatic checkpoint will.
        with self._write_lock, contextlib.suppress(duckdb.TransactionException):
            self._cursor().execute("CHECKPOINT")
        return moved

    def _merge_small(self, dataset: str) -> None:
        """Fewer, larger files read faster through the view (BENCHMARKS.md), while sealing
        small batches keeps the table, which takes more disk per row, small."""
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
              expect: int | None = None) -> int:
        """In one transaction: delete the table's rows `delete_where` selects (`expect` of
        them, when given), and replace segments `removed` by `added` in the manifest and
        the view. Returns the rows deleted from the table."""
        kept = sorted([s for s in self._segments.get(dataset, []) if s not in removed] + added,
                      key=lambda s: s.last_id)
        with self._write_lock:
            cursor = self._cursor()
            cursor.execute("BEGIN TRANSACTION")
            try:
                deleted = 0
                if delete_where:
                    row = cursor.execute(
                        f"DELETE FROM main.{quote(dataset)} WHERE {delete_where}", params
                    ).fetchone()
                    deleted = int(row[0]) if row else 0
                if expect is not None and deleted != expect:  # the seal lock rules this out
                    raise RuntimeError(f"{dataset}: {expect} rows sealed, {deleted} in table")
                if removed or added:
                    assert self.segment_dir is not None
                    segments.record(cursor, added, removed)
                    segments.define_view(cursor, dataset, self.segment_dir, kept)
                cursor.execute("COMMIT")
            except BaseException:
                cursor.execute("ROLLBACK")
                self._retire(added, grace_s=0)
                raise
            self._segments[dataset] = kept
            self._hot_rows[dataset] -= deleted
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

    # -- Reader ----------------------------------------------------------
    def schemas(self) -> dict[str, DatasetSchema]:
        return self._schemas

    def execute(
        self, sql: str, params: Mapping[str, Any] | Sequence[Any] = ()
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        cursor = self._cursor()
        try:
            cursor.execute(sql, params if isinstance(params, Mapping) else list(params))
            names = [d[0] for d in cursor.description or []]
            return names, cursor.fetchall()
        except (duckdb.InvalidInputException, duckdb.ConversionException,
                duckdb.OutOfRangeException) as exc:
            # A value the user gave (a regex, a number) that the engine cannot use.
            raise QueryError(str(exc).split("\n")[0]) from exc

    def datasets(self) -> list[DatasetInfo]:
        infos = []
        for name in sorted(self._schemas):
            _, rows = self.execute(
                f"SELECT count(*), min({quote('$timestamp')}), max({quote('$timestamp')}) "
                f"FROM {quote(name)}"
            )
            count, first, last = rows[0]
            infos.append(
                DatasetInfo(name, int(count), first, last, None, self.retention_days(name))
            )
        return infos

    def keys(self, dataset: str) -> list[KeyInfo]:
        schema = self._schemas.get(dataset)
        if schema is None:
            return []
        names = list(schema.columns)
        counts = ", ".join(f"count({quote(n)})" for n in names)
        _, rows = self.execute(f"SELECT {counts} FROM {quote(dataset)}")
        found = [
            KeyInfo(name, schema.columns[name], int(count))
            for name, count in zip(names, rows[0], strict=True)
        ]
        if schema.has_overflow:
            _, extra = self.execute(
                f"SELECT k, count(*) FROM (SELECT unnest(json_keys({quote(OVERFLOW_FIELD)})) AS k "
                f"FROM {quote(dataset)} WHERE {quote(OVERFLOW_FIELD)} IS NOT NULL) GROUP BY k"
            )
            found += [KeyInfo(k, FieldType.STRING, int(c))
                      for k, c in extra if k not in schema.columns]
        return found

    def distinct_estimate(self, dataset: str, key: str) -> int | None:
        schema = self._schemas.get(dataset)
        if schema is None or key not in schema.columns:
            return None
        sealed = self._segments.get(dataset)
        if sealed:
            return self._segment_distinct(sealed[-1], key)
        # The column's statistics (a HyperLogLog estimate kept on append): no scan.
        _, rows = self.execute(f"SELECT stats({quote(key)}) FROM {quote(dataset)} LIMIT 1")
        if not rows:
            return 0
        stats = rows[0][0]
        if schema.columns[key] is FieldType.BOOL:
            distinct = int(stats["min"] is not None) + int(stats["max"] != stats["min"])
        elif "approx_unique" in stats:
            distinct = int(stats["approx_unique"])
        else:
            return None
        return distinct + int(bool(stats["has_null"]))

    def _segment_distinct(self, segment: segments.Segment, key: str) -> int | None:
        """Parquet files keep no distinct counts: the newest segment's, counted once (a
        scan of one column) and kept, as segments never change."""
        cache_key = (segment.file, key)
        if cache_key not in self._distinct_cache:
            try:
                _, rows = self.execute(
                    f"SELECT approx_count_distinct({quote(key)}) + "
                    f"(count(*) > count({quote(key)}))::INT FROM {self._files([segment])}")
            except duckdb.BinderException:  # a column added after this segment was sealed
                return None
            self._distinct_cache[cache_key] = int(rows[0][0])
        return self._distinct_cache[cache_key]

    def retention_days(self, dataset: str) -> int:
        doc = self.meta_get("datasets", dataset)
        return int(doc["retention_days"]) if doc and "retention_days" in doc else (
            self.default_retention_days
        )
