"""DuckDB backend: one table per dataset, a typed column per attribute key (bounded); the
newest rows kept as Arrow and logged (hot.py), older ones sealed into Parquet segments
(segments.py, sealing.py)."""

from __future__ import annotations

import functools
import logging
import re
import threading
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
    Batch,
    FieldType,
)
from limelight.store.api import DatasetSchema
from limelight.store.duckdb import hot, segments, views
from limelight.store.duckdb.columns import (
    ARROW_TYPES,
    FIELD_TYPES,
    PreparedBatch,
    add_columns,
    prepare,
    to_arrow,
    with_ids,
)
from limelight.store.duckdb.meta import ID_FLOORS, META_TABLE, MetaDocuments
from limelight.store.duckdb.sealing import SegmentLifecycle
from limelight.store.duckdb.segments import quote
from limelight.store.duckdb.summaries import DatasetSummaries

log = logging.getLogger("limelight.store")

DEFAULT_RETENTION_DAYS = 30
# WAL size that triggers a checkpoint. DuckDB's default, 16 MB, is only ~30,000 spans of
# WAL: steady ingest then checkpoints every second or so, each time rewriting the table's
# last, partly filled row group, which costs time and leaves freed blocks in the file
# (bench/ingest.py: ~90 -> ~55 bytes per span). A crash replays at most this much WAL.
CHECKPOINT_WAL_BYTES = "128MB"
# A store that does not seal moves a dataset's hot rows into its DuckDB table once they are
# this many: one big insert, and memory stays bounded.
FLUSH_ROWS = 100_000
# Hot rows are held in memory: past this many bytes in all, the datasets holding the most,
# and rows hot for this long, are sealed (or moved into the table) before their dataset
# has `segment_rows` (or `flush_rows`) of them.
HOT_BYTES_MAX = 256 * 2**20
HOT_AGE_S = 900.0


# What rows that DuckDB or Arrow cannot take raise; I/O errors and the like are not here:
# they are the store's trouble, worth a retry.
_DATA_ERRORS = (
    duckdb.ConversionException, duckdb.BinderException, duckdb.ParserException,
    duckdb.InvalidInputException, duckdb.ConstraintException, duckdb.OutOfRangeException,
    pa.ArrowInvalid, pa.ArrowTypeError, OverflowError,
)


def _names(sql: str, dataset: str) -> bool:
    """Whether `sql` may name the dataset (a false yes costs only a registration)."""
    # Quoted or not: DuckDB's names ignore case either way.
    return re.search(rf"\b{re.escape(dataset)}\b", sql, re.IGNORECASE) is not None


class DuckDBStore(MetaDocuments, SegmentLifecycle, DatasetSummaries):
    """Writer, Reader and MetaStore over one DuckDB database (a file, or memory when path is None).

    Appends happen on one thread at a time (the ingest queue's): they become each
    dataset's hot rows, logged durably (hot.py). With `segment_rows`, a file-backed store
    seals a dataset's rows into a Parquet segment once it has that many hot ones
    (`seal_due`, called by the server's background loop); without, hot rows move into
    the dataset's DuckDB table `flush_rows` at a time. Reads use a cursor per thread and
    see the three together (views.py), so queries run while the writer commits.
    """

    dialect = "duckdb"

    def __init__(
        self,
        path: Path | None,
        max_columns: int = 400,
        default_retention_days: int = DEFAULT_RETENTION_DAYS,
        segment_rows: int = 0,
        flush_rows: int = FLUSH_ROWS,
        hot_bytes_max: int = HOT_BYTES_MAX,
        hot_age_s: float = HOT_AGE_S,
    ) -> None:
        self.path = path
        self.flush_rows = flush_rows
        self.hot_bytes_max = hot_bytes_max
        self.hot_age_s = hot_age_s
        self.max_columns = max_columns
        self.default_retention_days = default_retention_days
        self.segment_rows = max(segment_rows, 0) if path else 0  # 0: never seal
        self.segment_dir = segments.directory_of(path) if path else None
        self._db = duckdb.connect(str(path) if path else ":memory:")
        self._catalog = str((self._db.execute("SELECT current_database()").fetchone()
                             or ("memory",))[0])
        self._db.execute(f"SET checkpoint_threshold = '{CHECKPOINT_WAL_BYTES}'")
        self._db.execute("SET parquet_metadata_cache = true")
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._closed = False
        self._seal_lock = threading.Lock()  # one seal or retention pass at a time
        self._meta_lock = threading.Lock()
        # Taken to read or change together what a query of a dataset sees (views.py).
        self._view_lock = threading.Lock()
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
                for name in self._segments:  # named in the error
                    segments.probe(self._db, self.segment_dir, self._segments[name])
            except (RuntimeError, duckdb.Error) as exc:
                self._db.close()
                if isinstance(exc, RuntimeError):
                    raise
                raise RuntimeError(
                    f"dataset {name!r}: a segment file in {self.segment_dir} cannot be read "
                    f"({exc}); restore it from a backup, or see `limelight segments check`"
                ) from exc
        self._next_id: dict[str, int] = {}
        self._table_rows: dict[str, int] = {}
        self._table_through_id: dict[str, int] = {}
        self._hot: dict[str, hot.HotRows] = {}
        self._hot_dir = hot.directory_of(path) if path else None
        for name in self._schemas:
            found = self._db.execute(
                f"SELECT max({quote(ID_FIELD)}), count(*) FROM {self._table(name)}")
            top, rows = found.fetchone() or (None, 0)
            moved = max([top or 0, *[s.last_id for s in self._segments.get(name, [])]])
            self._hot[name] = hot.HotRows(name, self._hot_dir, after_id=moved)
            floor = (self.meta_get(ID_FLOORS, name) or {}).get("next_id", 1)
            self._next_id[name] = max([moved, self._hot[name].max_id, floor - 1]) + 1
            self._table_rows[name] = rows
            self._table_through_id[name] = top or 0
        # Rows left in a table by a store that did not seal: sealed before any query runs,
        # as a seal of table rows is not atomic for readers (views.py).
        for name, rows in self._table_rows.items():
            if rows and self.segment_rows:
                log.info("sealing the %d rows of %s's table", rows, name)
                self.seal(name)

    # -- lifecycle -------------------------------------------------------
    def close(self) -> None:
        with self._seal_lock, self._write_lock:
            if self._closed:
                return
            self._closed = True
            for rows in self._hot.values():
                rows.close()
            self._db.execute("CHECKPOINT")
            self._db.close()
            self._unlink_retired(everything=True)

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._local.cursor = self._db.cursor()
            self._local.views = {}
        return cursor

    def _table(self, dataset: str) -> str:
        return views.table_name(self._catalog, dataset)

    def _arrow_schema(self, dataset: str) -> pa.Schema:
        """The columns of the dataset's table, as Arrow types, in its order."""
        schema = self._schemas[dataset]
        fields = [pa.field(name, ARROW_TYPES[ftype]) for name, ftype in schema.columns.items()]
        if schema.has_overflow:
            fields.append(pa.field(OVERFLOW_FIELD, pa.string()))
        return pa.schema(fields)

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
        """Log the rows durably as each dataset's hot rows (hot.py); new columns are added
        to the tables first, in one DuckDB transaction."""
        by_dataset: dict[str, list[Batch]] = defaultdict(list)
        for batch in batches:
            if batch.size:
                by_dataset[batch.dataset].append(batch)
        if not by_dataset:
            return
        with self._write_lock:
            next_ids = dict(self._next_id)
            tables = self._columns_for(by_dataset, next_ids)
            written: list[tuple[hot.HotRows, pa.Table, int]] = []
            try:
                for dataset, table in tables.items():
                    rows = self._hot_rows_of(dataset)
                    written.append((rows, table, rows.write(table)))
                for rows, _, _ in written:
                    rows.sync()
            except BaseException:
                for rows, _, offset in written:
                    rows.undo(offset)
                # A write that could not be taken back keeps its ids: they are not given
                # again, so a restart that finds its rows finds no duplicate ids.
                self._next_id = next_ids
                raise
            with self._view_lock:
                for rows, table, _ in written:
                    rows.publish(table)
            self._next_id = next_ids
            if not self.segment_rows:
                self._flush_due([name for name in tables
                                 if self._hot[name].rows >= self.flush_rows])

    def _columns_for(self, by_dataset: dict[str, list[Batch]], next_ids: dict[str, int]
                     ) -> dict[str, pa.Table]:
        """Each dataset's rows as one table of its columns, with ids from `next_ids` (which
        it advances); the columns and tables they need are added and committed first."""
        cursor = self._cursor()
        schemas = dict(self._schemas)
        tables: dict[str, pa.Table] = {}
        cursor.execute("BEGIN TRANSACTION")
        try:
            for dataset, group in by_dataset.items():
                schema = add_columns(cursor, self._table(dataset), schemas.get(dataset),
                                     dataset, group, self.max_columns)
                first = next_ids.get(dataset, 1)
                parts = []
                for batch in group:
                    if isinstance(batch, PreparedBatch) and batch.table is not None:
                        parts.append(with_ids(batch.table, first))
                    else:
                        parts.append(to_arrow(batch, schema.columns, first))
                    first += batch.size
                next_ids[dataset] = first
                overflows = any(OVERFLOW_FIELD in t.column_names for t in parts)
                if overflows and not schema.has_overflow:
                    cursor.execute(f"ALTER TABLE {self._table(dataset)} "
                                   f"ADD COLUMN {quote(OVERFLOW_FIELD)} VARCHAR")
                    schema = DatasetSchema(dataset, schema.columns, has_overflow=True)
                schemas[dataset] = schema
                tables[dataset] = pa.concat_tables(parts, promote_options="default")
            cursor.execute("COMMIT")
        except _DATA_ERRORS as exc:
            cursor.execute("ROLLBACK")
            raise RowsRejected(f"rows could not be stored: {exc}") from exc
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        for dataset in tables:  # before readers can see a new dataset in the schemas
            self._hot_rows_of(dataset)
        self._schemas = schemas
        return tables

    def _hot_rows_of(self, dataset: str) -> hot.HotRows:
        if dataset not in self._hot:  # a new dataset
            self._hot[dataset] = hot.HotRows(dataset, self._hot_dir, after_id=0)
            self._table_rows[dataset] = self._table_through_id[dataset] = 0
        return self._hot[dataset]

    def preparer(self, dataset: str) -> Callable[[Batch], Batch] | None:
        """A picklable function that converts a decoded batch of `dataset` for the columns the
        dataset has now, so a decoder process can do that work instead of the writer (see
        columns.prepare); None while the dataset does not exist yet."""
        schema = self._schemas.get(dataset)
        return None if schema is None else functools.partial(prepare, dict(schema.columns))

    # -- Reader ----------------------------------------------------------
    def schemas(self) -> dict[str, DatasetSchema]:
        return self._schemas

    def execute(
        self, sql: str, params: Mapping[str, Any] | Sequence[Any] = ()
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        cursor = self._cursor()
        used = [name for name in self._schemas if _names(sql, name)]
        with self._view_lock:
            seen = {name: self._view_of(name) for name in used}
        try:
            for name, view in seen.items():
                views.use(cursor, self._catalog, name, view, self.segment_dir,
                          self._local.views)
            cursor.execute(sql, params if isinstance(params, Mapping) else list(params))
            names = [d[0] for d in cursor.description or []]
            return names, cursor.fetchall()
        except (duckdb.InvalidInputException, duckdb.ConversionException,
                duckdb.OutOfRangeException) as exc:
            # A value the user gave (a regex, a number) that the engine cannot use.
            raise QueryError(str(exc).split("\n")[0]) from exc
        finally:
            for name in seen:
                views.release(cursor, name)

    def _view_of(self, dataset: str) -> views.DatasetView:
        return views.DatasetView(
            self._hot[dataset].snapshot(self._arrow_schema(dataset)),
            self._table_through_id[dataset], tuple(self._segments.get(dataset, [])))
