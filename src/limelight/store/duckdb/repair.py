"""Checking sealed segments, and setting aside one that cannot be read, while the server is
stopped (DuckDB lets one process open the database for writing).

A segment that cannot be read stops the server's start (store.py), since every query of
its dataset would fail. Setting it aside takes it out of the manifest and renames it
`NAME.unreadable`, kept for whoever can repair it: the dataset is queryable again without
its rows, and its ids go on past the segment's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import msgspec

from limelight.store.duckdb.meta import ID_FLOORS, META_TABLE
from limelight.store.duckdb.segments import (
    MANIFEST,
    Segment,
    directory_of,
    literal,
    load,
    path_of,
)

SET_ASIDE_SUFFIX = ".unreadable"


@dataclass(frozen=True)
class SegmentHealth:
    segment: Segment
    problem: str | None  # None: every value of every column was read, and the count agrees


def open_database(database: Path) -> duckdb.DuckDBPyConnection:
    if not database.exists():
        raise RuntimeError(f"no database at {database}")
    try:
        return duckdb.connect(str(database))
    except duckdb.IOException as exc:
        raise RuntimeError(f"cannot open {database} ({exc}); stop the server first") from exc


def check(database: Path) -> list[SegmentHealth]:
    """Read every value of every listed segment, oldest first per dataset."""
    directory = directory_of(database)
    connection = open_database(database)
    try:
        found = []
        for segments in load(connection).values():
            for segment in segments:
                found.append(SegmentHealth(segment, _problem(connection, directory, segment)))
        return found
    finally:
        connection.close()


def _problem(connection: duckdb.DuckDBPyConnection, directory: Path,
             segment: Segment) -> str | None:
    path = path_of(directory, segment)
    if not path.is_file():
        return "missing"
    try:
        # One aggregate per column (COLUMNS(*)), so every column is decoded, not skipped.
        row = connection.execute(
            f"SELECT count(*), max(hash(COLUMNS(*))) FROM read_parquet({literal(str(path))})"
        ).fetchone()
    except duckdb.Error as exc:
        return str(exc)
    if row is None or row[0] != segment.rows:
        return f"holds {row[0] if row else 0} rows where the manifest lists {segment.rows}"
    return None


def set_aside(database: Path, file: str) -> Segment:
    """Take the segment out of the manifest and rename its file NAME.unreadable."""
    directory = directory_of(database)
    connection = open_database(database)
    try:
        listed = {s.file: s for segments in load(connection).values() for s in segments}
        segment = listed.get(file)
        if segment is None:
            raise RuntimeError(f"{file} is not a listed segment; `limelight segments check` "
                               "lists them")
        floor = connection.execute(
            f"SELECT doc FROM main.{META_TABLE} WHERE collection = ? AND id = ?",
            [ID_FLOORS, segment.dataset]).fetchone()
        next_id = max(msgspec.json.decode(floor[0])["next_id"] if floor else 1,
                      segment.last_id + 1)
        connection.execute("BEGIN TRANSACTION")
        connection.execute(f"DELETE FROM main.{MANIFEST} WHERE file = ?", [file])
        connection.execute(
            f"INSERT OR REPLACE INTO main.{META_TABLE} VALUES (?, ?, ?)",
            [ID_FLOORS, segment.dataset, msgspec.json.encode({"next_id": next_id}).decode()])
        connection.execute("COMMIT")
        path = path_of(directory, segment)
        if path.exists():
            path.rename(path.with_name(path.name + SET_ASIDE_SUFFIX))
        return segment
    finally:
        connection.close()
