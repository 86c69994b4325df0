"""Sealed segments: a dataset's older rows moved out of its hot rows (hot.py) or its DuckDB
table into Parquet files compressed with ZSTD, which take about a third less disk than
DuckDB's own format (BENCHMARKS.md), and queried under the dataset's name (views.py).

The manifest table lists every file; a file is written whole and fsynced before it is
listed, and it is listed in the same transaction as the rows of the table it holds leave
the table.
"""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

log = logging.getLogger("limelight.store")

# Where earlier versions kept a view per dataset; dropped at start (views.py replaced them).
OLD_VIEW_SCHEMA = "segments"
MANIFEST = "_ll_segments"
# DuckDB dictionary-encodes a column chunk, and only then writes a bloom filter for it,
# while it has at most DICTIONARY_SIZE_LIMIT distinct values; the default (a fifth of a
# row group) leaves out the trace ids of traces under ~5 spans, so a trace lookup would
# read every row group. 40,000 (about a third) costs 0.5 bytes/span (BENCHMARKS.md).
# ZSTD level 1 rather than DuckDB's default 3: files 1-2 % smaller (the pages are small)
# and written ~10 % faster (BENCHMARKS.md).
PARQUET = ("FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, PARQUET_VERSION v2, "
           "DICTIONARY_SIZE_LIMIT 40000")
SUFFIX = ".parquet"


@dataclass(frozen=True)
class Segment:
    dataset: str
    file: str  # a name in the segment directory
    rows: int
    first_ns: int | None
    last_ns: int | None
    last_id: int


def directory_of(database: Path) -> Path:
    """Where a database file's segments live: `limelight.duckdb` -> `limelight.segments/`."""
    return database.with_name(database.stem + ".segments")


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def create_manifest(cursor: duckdb.DuckDBPyConnection) -> None:
    cursor.execute(f"DROP SCHEMA IF EXISTS {OLD_VIEW_SCHEMA} CASCADE")
    cursor.execute(
        f"CREATE TABLE IF NOT EXISTS main.{MANIFEST} (dataset VARCHAR, file VARCHAR PRIMARY KEY, "
        "rows BIGINT, first_ns BIGINT, last_ns BIGINT, last_id BIGINT)"
    )


def load(cursor: duckdb.DuckDBPyConnection) -> dict[str, list[Segment]]:
    found: dict[str, list[Segment]] = {}
    rows = cursor.execute(
        f"SELECT dataset, file, rows, first_ns, last_ns, last_id FROM main.{MANIFEST} "
        "ORDER BY dataset, last_id"
    ).fetchall()
    for row in rows:
        found.setdefault(row[0], []).append(Segment(*row))
    return found


def reconcile(directory: Path, kept: dict[str, list[Segment]]) -> None:
    """Delete files the manifest does not list (written by a seal or a rewrite that did not
    commit, or retired while the process stopped); refuse to open when a listed one is
    gone, as every query of its dataset would fail."""
    listed = {segment.file for segments in kept.values() for segment in segments}
    present = {path.name for path in directory.iterdir() if path.is_file()}
    missing = sorted(listed - present)
    if missing:
        raise RuntimeError(f"segment files listed in {MANIFEST} are missing from {directory}: "
                           f"{', '.join(missing)}; restore them from a backup, or "
                           "`limelight segments set-aside FILE` each")
    for name in sorted(present - listed):
        if name.endswith((SUFFIX, f"{SUFFIX}.partial")):
            log.info("deleting %s: a segment file no dataset lists", directory / name)
            (directory / name).unlink()
        else:  # not a file Limelight writes: someone else's, left alone
            log.warning("%s is not a segment file; leaving it", directory / name)


def write(
    cursor: duckdb.DuckDBPyConnection, dataset: str, source_sql: str, directory: Path,
    last_id: int,
) -> Segment | None:
    """Copy the rows `source_sql` selects into a new, fsynced file in `directory`; None
    when it selects nothing. The file is not in the manifest yet."""
    name = f"{uuid.uuid4().hex}{SUFFIX}"
    partial = directory / f"{name}.partial"
    cursor.execute(f"COPY ({source_sql}) TO {literal(str(partial))} ({PARQUET})")
    rows, first, last = cursor.execute(
        'SELECT count(*), min("$timestamp"), max("$timestamp") '
        f"FROM read_parquet({literal(str(partial))})"
    ).fetchall()[0]
    if not rows:
        partial.unlink()
        return None
    fsync_path(partial)
    partial.rename(directory / name)
    fsync_path(directory)
    return Segment(dataset, name, int(rows), first, last, last_id)


def fsync_path(path: Path) -> None:
    """fsync a file or a directory (after creating, renaming or deleting in it)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def record(cursor: duckdb.DuckDBPyConnection, added: list[Segment], removed: list[Segment]
           ) -> None:
    """Change the manifest (inside the caller's transaction)."""
    for segment in removed:
        cursor.execute(f"DELETE FROM main.{MANIFEST} WHERE file = ?", [segment.file])
    for segment in added:
        cursor.execute(
            f"INSERT INTO main.{MANIFEST} VALUES (?, ?, ?, ?, ?, ?)",
            [segment.dataset, segment.file, segment.rows, segment.first_ns, segment.last_ns,
             segment.last_id],
        )


def probe(cursor: duckdb.DuckDBPyConnection, directory: Path, segments: list[Segment]) -> None:
    """Read the segments' footers: raises duckdb.Error when one cannot be read."""
    if segments:
        cursor.execute(f"DESCRIBE SELECT * FROM {scan(directory, segments)}").fetchall()


def scan(directory: Path, segments: list[Segment]) -> str:
    """SQL reading the segments' rows in the order given, each file's columns included."""
    files = ", ".join(literal(str(path_of(directory, segment))) for segment in segments)
    return f"read_parquet([{files}], union_by_name = true)"


def path_of(directory: Path, segment: Segment) -> Path:
    return directory / segment.file
