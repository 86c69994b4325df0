"""Small JSON documents (API keys, settings, resources, alert state) in one table of the
DuckDB database, next to the data: the MetaStore half of DuckDBStore."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

import duckdb
import msgspec

META_TABLE = "_ll_meta"
# Per dataset, the next id as of the last retention pass (or segment set aside), so that
# ids keep increasing after every row of a dataset is gone.
ID_FLOORS = "id_floors"


class MetaDocuments:
    _db: duckdb.DuckDBPyConnection
    _meta_lock: threading.Lock

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        raise NotImplementedError

    def execute(
        self, sql: str, params: Mapping[str, Any] | Sequence[Any] = ()
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        raise NotImplementedError

    def meta_get(self, collection: str, doc_id: str) -> dict[str, Any] | None:
        _, rows = self.execute(
            f"SELECT doc FROM {META_TABLE} WHERE collection = ? AND id = ?", [collection, doc_id]
        )
        return msgspec.json.decode(rows[0][0]) if rows else None

    def meta_list(self, collection: str) -> dict[str, dict[str, Any]]:
        _, rows = self.execute(
            f"SELECT id, doc FROM {META_TABLE} WHERE collection = ? ORDER BY id", [collection]
        )
        return {doc_id: msgspec.json.decode(doc) for doc_id, doc in rows}

    def meta_put(self, collection: str, doc_id: str, doc: dict[str, Any]) -> None:
        self._cursor().execute(
            f"INSERT OR REPLACE INTO {META_TABLE} VALUES (?, ?, ?)",
            [collection, doc_id, msgspec.json.encode(doc).decode()],
        )

    def meta_delete(self, collection: str, doc_id: str) -> bool:
        row = self._cursor().execute(
            f"DELETE FROM {META_TABLE} WHERE collection = ? AND id = ?", [collection, doc_id]
        ).fetchone()
        return bool(row and row[0])

    def meta_replace(self, collection: str, prefix: str, docs: dict[str, dict[str, Any]]) -> None:
        outside = [doc_id for doc_id in docs if not doc_id.startswith(prefix)]
        if outside:
            raise ValueError(f"doc ids {outside!r} do not start with {prefix!r}")
        rows = [[collection, doc_id, msgspec.json.encode(doc).decode()]
                for doc_id, doc in docs.items()]
        with self._meta_lock:
            cursor = self._db.cursor()
            try:
                cursor.execute("BEGIN TRANSACTION")
                try:
                    cursor.execute(f"DELETE FROM {META_TABLE} WHERE collection = ? AND "
                                   "starts_with(id, ?)", [collection, prefix])
                    if rows:
                        cursor.executemany(f"INSERT INTO {META_TABLE} VALUES (?, ?, ?)", rows)
                    cursor.execute("COMMIT")
                except BaseException:
                    cursor.execute("ROLLBACK")
                    raise
            finally:
                cursor.close()
