"""A dataset's newest rows, before a seal or a flush moves them into DuckDB's storage:
Arrow tables in memory and, for a file-backed store, a log of them on disk.

Inserting a row into a DuckDB table costs ~12 µs of CPU here (the INSERT, then the COMMIT
that merges 38 text columns into row groups); appending it to this log as Arrow IPC costs
~1.5 µs (BENCHMARKS.md). Each commit's rows are one frame (length, CRC-32, an Arrow IPC
stream) written and fsynced before the commit is acknowledged. A crash can leave a torn
last frame, never acknowledged: reopening cuts it off.

The log comes in generations (`<dataset>.<n>.log`). A seal or flush first starts a new
generation, moves the rows of the older ones, then deletes their files. Rows the store
already holds elsewhere (a crash between the move and the delete) are recognised by
their `$id`, which only grows, and skipped on reopening. Retention writes the rows it
keeps as a new generation that starts with a base frame: it replaces every older one,
so it is renamed into place only once whole.
"""

from __future__ import annotations

import logging
import os
import struct
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from limelight.model import ID_FIELD
from limelight.store.duckdb.columns import ipc_buffer
from limelight.store.duckdb.segments import fsync_path

log = logging.getLogger("limelight.store")

_FRAME = struct.Struct("<4sQI")  # magic, payload bytes, CRC-32 of the payload
_MAGIC = b"LLh1"
_BASE_MAGIC = b"LLb1"  # the first frame of a generation that replaces the older ones
_SUFFIX = ".log"
_PARTIAL = ".partial"


def directory_of(database: Path) -> Path:
    return database.with_suffix(".hot")


@dataclass(frozen=True)
class _Chunk:
    generation: int
    table: pa.Table
    since: float = field(default_factory=time.monotonic)


class HotRows:
    """One dataset's rows not yet moved. The writer thread (holding the store's write lock) calls
    the methods that change them; any thread may take a `snapshot`."""

    def __init__(self, dataset: str, directory: Path | None, after_id: int) -> None:
        """Open the dataset's log in `directory` (None: memory only), keeping the logged rows
        whose `$id` is above `after_id` (the others were moved before a crash)."""
        self.dataset = dataset
        self._directory = directory
        self._chunks: list[_Chunk] = []
        self._lock = threading.Lock()  # guards _chunks and the snapshot cache
        self._cache: tuple[pa.Schema, int, pa.Table] | None = None
        self.rows = 0
        self.version = 0  # changes whenever the rows do
        self._generation = 0
        self._fd: int | None = None
        if directory is not None:
            for partial in directory.glob(f"{dataset}.*{_SUFFIX}{_PARTIAL}"):
                partial.unlink()  # a retention rewrite a crash interrupted
            for generation, path in self._files():
                self._generation = generation
                base, tables = _read_log(path)
                if base:
                    self._chunks.clear()
                    self.delete_logs_through(generation - 1)
                kept = [t.filter(pc.greater(t.column(ID_FIELD), after_id)) for t in tables]
                self._chunks += [_Chunk(generation, t) for t in kept if t.num_rows]
                if not any(t.num_rows for t in kept):
                    # Moved before a crash (or all gone): a stale file would bring its rows
                    # back once retention has lowered `after_id`.
                    path.unlink()
                    fsync_path(directory)
            self.rows = sum(c.table.num_rows for c in self._chunks)
            self._generation += 1

    @property
    def nbytes(self) -> int:
        return sum(c.table.nbytes for c in self._chunks)

    def age_s(self) -> float:
        """How long the oldest row has been hot (0 without rows)."""
        chunks = self._chunks
        return time.monotonic() - chunks[0].since if chunks else 0.0

    @property
    def max_id(self) -> int:
        return max((pc.max(c.table.column(ID_FIELD)).as_py() for c in self._chunks), default=0)

    # -- durability ------------------------------------------------------
    def write(self, table: pa.Table) -> int:
        """Append `table` to the log (not yet fsynced); returns where the log ended before,
        for `undo`."""
        if self._directory is None:
            return 0
        fd = self._open()
        offset = os.lseek(fd, 0, os.SEEK_END)
        try:
            _write_frame(fd, _MAGIC, table)
        except BaseException:
            self.undo(offset)  # part of a frame must not stay in front of later ones
            raise
        return offset

    def sync(self) -> None:
        if self._fd is not None:
            os.fsync(self._fd)

    def undo(self, offset: int) -> None:
        """Take back what `write` appended after `offset` (the commit failed). When the file
        cannot be cut back, later frames go to a new generation: a torn frame then only
        ends its own file, and whole ones left behind keep their ids (never given again)."""
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, offset)
            os.fsync(self._fd)
        except OSError:
            log.exception("%s: cannot take back a failed write; starting a new log file",
                          self.dataset)
            with self._lock:
                self._close()
                self._generation += 1

    def publish(self, table: pa.Table) -> None:
        """Make durable rows visible to snapshots."""
        with self._lock:
            self._chunks.append(_Chunk(self._generation, table))
            self.rows += table.num_rows
            self.version += 1

    def _open(self) -> int:
        if self._fd is None:
            assert self._directory is not None
            if not self._directory.exists():
                self._directory.mkdir(mode=0o700)
                fsync_path(self._directory.parent)
            path = self._path(self._generation)
            self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            fsync_path(self._directory)
        return self._fd

    # -- moving rows out -------------------------------------------------
    def cut(self) -> tuple[int, list[pa.Table]]:
        """Start a new log generation; returns the last old one and the rows logged so far,
        for the caller to move, then `forget_through` and `delete_logs_through`."""
        with self._lock:
            self._close()
            cut = self._generation
            self._generation += 1
            return cut, [c.table for c in self._chunks]

    def forget_through(self, generation: int) -> None:
        """Drop from memory the rows of generations up to `generation`: they are now stored
        elsewhere."""
        with self._lock:
            self.rows -= sum(c.table.num_rows for c in self._chunks
                             if c.generation <= generation)
            self._chunks = [c for c in self._chunks if c.generation > generation]
            self.version += 1
            self._cache = None  # it holds the rows forgotten

    def delete_logs_through(self, generation: int) -> None:
        gone = [path for found, path in self._files() if found <= generation]
        for path in gone:
            path.unlink()
        if gone:
            assert self._directory is not None
            fsync_path(self._directory)

    def keep_only(self, wanted: Callable[[pa.Table], pa.Array]) -> int:
        """Keep the rows `wanted` selects (retention): the kept ones are logged anew, then
        the old log is deleted. Returns the rows removed."""
        with self._lock:
            kept = [(c, c.table.filter(wanted(c.table))) for c in self._chunks]
        removed: int = sum(c.table.num_rows - t.num_rows for c, t in kept)
        if not removed:
            return 0
        generation, _ = self.cut()
        remaining = [(c.since, t) for c, t in kept if t.num_rows]
        if self._directory is not None:
            final = self._path(self._generation)
            partial = final.with_name(final.name + _PARTIAL)
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                empty = kept[0][1].schema.empty_table()
                for magic, table in [(_BASE_MAGIC, empty), *((_MAGIC, t) for _, t in remaining)]:
                    _write_frame(fd, magic, table)
                os.fsync(fd)
            finally:
                os.close(fd)
            partial.rename(final)
            fsync_path(self._directory)
        with self._lock:
            self._chunks = [_Chunk(self._generation, t, since) for since, t in remaining]
            self.rows -= removed
            self.version += 1
            self._cache = None
        self.delete_logs_through(generation)
        return removed

    # -- reading ---------------------------------------------------------
    def snapshot(self, schema: pa.Schema) -> pa.Table:
        """Every row, with exactly `schema`'s columns (those a chunk lacks are null)."""
        with self._lock:
            if self._cache is not None and self._cache[1] == self.version and \
                    self._cache[0].equals(schema):
                return self._cache[2]
            table = conform([c.table for c in self._chunks], schema)
            self._cache = (schema, self.version, table)
            return table

    def close(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _path(self, generation: int) -> Path:
        assert self._directory is not None
        return self._directory / f"{self.dataset}.{generation}{_SUFFIX}"

    def _files(self) -> list[tuple[int, Path]]:
        """This dataset's log files, oldest first."""
        if self._directory is None or not self._directory.exists():
            return []
        found = []
        for path in self._directory.glob(f"{self.dataset}.*{_SUFFIX}"):
            name, _, generation = path.name.removesuffix(_SUFFIX).rpartition(".")
            if name == self.dataset and generation.isdecimal():
                found.append((int(generation), path))
        return sorted(found)


def conform(tables: list[pa.Table], schema: pa.Schema) -> pa.Table:
    """The tables as one, with `schema`'s columns in its order: columns only some tables
    have are null in the others, columns none has are all null."""
    if not tables:
        return schema.empty_table()
    table = pa.concat_tables(tables, promote_options="default") if len(tables) > 1 \
        else tables[0]
    columns = []
    for wanted in schema:
        if wanted.name in table.column_names:
            column = table.column(wanted.name)
            columns.append(column if column.type == wanted.type else column.cast(wanted.type))
        else:
            columns.append(pa.nulls(table.num_rows, wanted.type))
    return pa.Table.from_arrays(columns, schema=schema)


def _write_frame(fd: int, magic: bytes, table: pa.Table) -> None:
    payload = ipc_buffer(table)
    pending = [memoryview(_FRAME.pack(magic, payload.size, zlib.crc32(payload))),
               memoryview(payload)]
    while pending:  # a regular file takes it all at once, unless the disk is full
        written = os.writev(fd, pending)
        while pending and written >= len(pending[0]):
            written -= len(pending[0])
            pending.pop(0)
        if pending:
            pending[0] = pending[0][written:]


def _read_log(path: Path) -> tuple[bool, list[pa.Table]]:
    """Whether the file starts with a base frame, and the tables of every whole frame; a
    torn or corrupt tail (a crash mid-write, never acknowledged) is cut off the file. A
    damaged frame with whole ones after it (the disk changed it) is skipped, not them."""
    data = memoryview(path.read_bytes())  # the tables keep referring to it: no copies
    tables: list[pa.Table] = []
    base = False
    offset = 0
    while offset + _FRAME.size <= len(data):
        magic, size, crc = _FRAME.unpack_from(data, offset)
        start, end = offset + _FRAME.size, offset + _FRAME.size + size
        wanted = (_MAGIC, _BASE_MAGIC) if offset == 0 else (_MAGIC,)
        if magic not in wanted or end > len(data):
            break
        if zlib.crc32(data[start:end]) != crc:
            if bytes(data[end:end + len(_MAGIC)]) != _MAGIC:
                break
            log.error("%s: skipping a damaged frame of %d bytes at %d (its rows are lost)",
                      path, size, offset)
        else:
            base = base or magic == _BASE_MAGIC
            tables.append(pa.ipc.open_stream(pa.py_buffer(data[start:end])).read_all())
        offset = end
    if offset < len(data):
        log.warning("%s: cutting off %d bytes of an unfinished write", path, len(data) - offset)
        with open(path, "r+b") as file:
            file.truncate(offset)
            os.fsync(file.fileno())
    return base, tables
