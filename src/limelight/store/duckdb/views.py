"""How a reading connection sees a dataset: a temporary view under the dataset's name that
joins its hot rows (an Arrow table registered on the connection), its DuckDB table and its
segments, newest first.

The three parts are taken together (`DatasetView`, under the store's view lock), so that a
query never sees a row twice or not at all while a seal or a flush moves rows: a seal
adds a segment and drops the same rows from the hot ones in one step, and a flush
inserts rows into the table that this view's `table_through_id` leaves out until the
next view no longer has them among its hot rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from limelight.model import ID_FIELD
from limelight.store.duckdb import segments
from limelight.store.duckdb.segments import Segment, quote


@dataclass(frozen=True)
class DatasetView:
    hot: pa.Table
    table_through_id: int  # the table's rows up to this id; later ones are still hot
    segments: tuple[Segment, ...]


def hot_name(dataset: str) -> str:
    return f"_ll_hot_{dataset}"


def table_name(catalog: str, dataset: str) -> str:
    """The dataset's table, named so that the temporary view of the same name (in the
    temporary catalog, whose schema is also `main`) never stands in for it."""
    return f"{quote(catalog)}.main.{quote(dataset)}"


def use(cursor: duckdb.DuckDBPyConnection, catalog: str, dataset: str, view: DatasetView,
        directory: Path | None, defined: dict[str, tuple[int, tuple[Segment, ...]]]) -> None:
    """Make `dataset` read `view` on this connection (until `release`); `defined` is the
    connection's record of the views it has."""
    cursor.register(hot_name(dataset), view.hot)
    wanted = (view.table_through_id, view.segments)
    if defined.get(dataset) == wanted:
        return
    parts = [
        f"SELECT * FROM {quote(hot_name(dataset))}",
        f"SELECT * FROM {table_name(catalog, dataset)} "
        f"WHERE {quote(ID_FIELD)} <= {int(view.table_through_id)}",
    ]
    if view.segments:
        assert directory is not None
        # Newest first: a query for the latest events (ORDER BY time DESC LIMIT n) then
        # fills its top n early and skips older row groups by their statistics.
        newest_first = sorted(view.segments, key=lambda s: s.last_id, reverse=True)
        parts.append(f"SELECT * FROM {segments.scan(directory, newest_first)}")
    cursor.execute(f"CREATE OR REPLACE TEMP VIEW {quote(dataset)} AS "
                   + " UNION ALL BY NAME ".join(parts))
    defined[dataset] = wanted


def release(cursor: duckdb.DuckDBPyConnection, dataset: str) -> None:
    """Let go of the hot rows `use` registered, so that a connection left idle does not
    keep rows a seal has since moved in memory."""
    cursor.unregister(hot_name(dataset))
