"""Errors users can act on; each maps to one HTTP status."""

from __future__ import annotations


class LimelightError(Exception):
    status = 500


class BadRequest(LimelightError):
    """The request itself is wrong: the message says what and where."""

    status = 400


class RowsRejected(BadRequest):
    """The store cannot hold these rows as they are (a Writer raises it, the transaction
    rolled back): retrying them would fail again, so the sender is told, not asked to retry."""


class QueryError(BadRequest):
    """A query spec that cannot be run."""


class PayloadTooLarge(LimelightError):
    status = 413


class UnsupportedMediaType(LimelightError):
    status = 415


class Overloaded(LimelightError):
    """The write queue is full; the client should retry after a pause."""

    status = 429

    def __init__(self, message: str, retry_after_s: int = 1) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class Unavailable(LimelightError):
    status = 503

    def __init__(self, message: str, retry_after_s: int = 5) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class NotFound(LimelightError):
    status = 404


class Conflict(LimelightError):
    """The change would fight another source of truth (e.g. a resource applied as code)."""

    status = 409
