"""Sealed segments: a dataset's older rows moved out of its DuckDB table into Parquet files
compressed with ZSTD, which take about a third less disk than DuckDB's own format
(BENCHMARKS.md), and queried under the dataset's name through a view.

Readers resolve a dataset's name in schema `segments` first (their search path), where a
view joins the table in `main` with the dataset's files; a dataset without segments has no
view and resolves to its table. The manifest table lists every file, and it changes in the
same transaction as the rows leaving the table and the view, so a query sees each row once.
"""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

log = logging.getLogger("limelight.store")

SCHEMA = "segments"
SEARCH_PATH = f"SET search_path = '{SCHEMA},main'"
MANIFEST = "_ll_segments"
# DuckDB dictionary-encodes a column chunk, and only then writes a bloom filter for it,
# while it has at most DICTIONARY_SIZE_LIMIT distinct values; the default (a fifth of a
# row group) leaves out the trace ids of traces under ~5 spans, so a trace lookup would
# read every row group. 40,000 (about a third) costs 0.5 bytes/span (BENCHMARKS.md).
PARQUET = "FORMAT parquet, COMPRESSION zstd, PARQUET_VERSION v2, DICTIONARY_SIZE_LIMIT 40000"
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
    cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
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
    ).fetchone() or (0, None, None)
    if not rows:
        partial.unlink()
        return None
    _fsync(partial)
    partial.rename(directory / name)
    _fsync(directory)
    return Segment(dataset, name, int(rows), first, last, last_id)


def _fsync(path: Path) -> None:
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


def define_view(
    cursor: duckdb.DuckDBPyConnection, dataset: str, directory: Path, segments: list[Segment]
) -> None:
    """(Re)create or drop the dataset's view (inside the caller's transaction)."""
    view = f"{SCHEMA}.{quote(dataset)}"
    if not segments:
        cursor.execute(f"DROP VIEW IF EXISTS {view}")
        return
    # Newest first: a query for the latest events (ORDER BY time DESC LIMIT n) then fills
    # its top n early and skips older row groups by their statistics (~8x faster).
    newest_first = sorted(segments, key=lambda s: s.last_id, reverse=True)
    cursor.execute(
        f"CREATE OR REPLACE VIEW {view} AS SELECT * FROM main.{quote(dataset)} "
        f"UNION ALL BY NAME SELECT * FROM {scan(directory, newest_first)}"
    )


def scan(directory: Path, segments: list[Segment]) -> str:
    """SQL reading the segments' rows in the order given, each file's columns included."""
    files = ", ".join(literal(str(path_of(directory, segment))) for segment in segments)
    return f"read_parquet([{files}], union_by_name = true)"


def path_of(directory: Path, segment: Segment) -> Path:
    return directory / segment.file
