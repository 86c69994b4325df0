"""The ways a PromQL request fails, as Prometheus tells them apart: a query or
parameter that is wrong (400, `bad_data`), a query that is valid but cannot be
evaluated on this data (422, `execution`), and one that takes too long (503,
`timeout`)."""

from __future__ import annotations

from limelight.exceptions import BadRequest, LimelightError


class BadData(BadRequest):
    error_type = "bad_data"


class ExecutionError(LimelightError):
    status = 422
    error_type = "execution"


class QueryTimeout(LimelightError):
    status = 503
    error_type = "timeout"
