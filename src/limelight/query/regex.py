"""Regular expressions are RE2's everywhere: DuckDB runs the spec's with RE2, and PromQL's
are Go's RE2 syntax. RE2 runs in time linear in the text, so no pattern can stall the
server the way a backtracking engine (Python's `re`) can on `(a+)+`."""

from __future__ import annotations

from typing import Any

import re2

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # the message is raised, not written to stderr too


def compile_re2(pattern: str) -> Any:
    """The compiled pattern (with `re`'s match API); ValueError saying why RE2 refuses it."""
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "invalid"
        raise ValueError(reason.decode() if isinstance(reason, bytes) else str(reason)) from None


def regex_problem(pattern: str) -> str | None:
    """Why RE2 refuses the pattern, or None when it compiles."""
    try:
        compile_re2(pattern)
    except ValueError as exc:
        return str(exc)
    return None
