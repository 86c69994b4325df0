"""What the DuckDB store tells of its datasets: their sizes, their keys, how many distinct
values a key has; the Reader methods beyond running SQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from limelight.model import OVERFLOW_FIELD, FieldType
from limelight.store.api import DatasetInfo, DatasetSchema, KeyInfo
from limelight.store.duckdb import hot, segments
from limelight.store.duckdb.segments import quote


class DatasetSummaries:
    default_retention_days: int
    _schemas: dict[str, DatasetSchema]
    _segments: dict[str, list[segments.Segment]]
    _table_rows: dict[str, int]
    _hot: dict[str, hot.HotRows]
    _distinct_cache: dict[tuple[str, str], int]

    def execute(
        self, sql: str, params: Mapping[str, Any] | Sequence[Any] = ()
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        raise NotImplementedError

    def meta_get(self, collection: str, doc_id: str) -> dict[str, Any] | None:
        raise NotImplementedError

    def _arrow_schema(self, dataset: str) -> pa.Schema:
        raise NotImplementedError

    def _table(self, dataset: str) -> str:
        raise NotImplementedError

    def _files(self, chosen: list[segments.Segment]) -> str:
        raise NotImplementedError

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
        if not self._table_rows[dataset]:  # only hot rows: few enough to count
            column = self._hot[dataset].snapshot(self._arrow_schema(dataset)).column(key)
            return int(pc.count_distinct(column, mode="all").as_py())
        # The column's statistics (a HyperLogLog estimate kept on append): no scan.
        _, rows = self.execute(
            f"SELECT stats({quote(key)}) FROM {self._table(dataset)} LIMIT 1")
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
