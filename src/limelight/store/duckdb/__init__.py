"""The embedded default backend."""

from limelight.store.duckdb.store import DuckDBStore

__all__ = ["DuckDBStore"]
