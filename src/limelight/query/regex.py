"""Regular expressions in specs are run by the store's engine (RE2, in DuckDB), so the
engine checks them too: Python's `re` would accept look-arounds and back-references RE2
refuses, and refuse `\\p{L}`, which RE2 takes."""

from __future__ import annotations

import threading

import duckdb

_lock = threading.Lock()
_engine: duckdb.DuckDBPyConnection | None = None


def regex_problem(pattern: str) -> str | None:
    """Why RE2 refuses the pattern, or None when it compiles."""
    global _engine
    with _lock:
        if _engine is None:
            _engine = duckdb.connect()
        try:
            _engine.execute("SELECT regexp_matches('', $1)", [pattern])
        except duckdb.Error as exc:
            return str(exc).removeprefix("Invalid Input Error: ")
    return None
