"""The Prometheus HTTP query API over dataset `metrics`, for Grafana's Prometheus data
source: GET or POST (form-encoded) `/api/v1/query`, `/api/v1/query_range`,
`/api/v1/series`, `/api/v1/labels`, `/api/v1/label/{name}/values`, and what Grafana asks
on "Save & test" and in its editor (`status/buildinfo`, `metadata`, `query_exemplars`,
`rules`, `alerts`, `format_query`, `/-/healthy`). Answers use Prometheus' envelope.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qsl

import promql_parser
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from limelight import __version__
from limelight.api.http import Endpoint, json_response, media_type, read_body, requires
from limelight.apikeys import Scope
from limelight.exceptions import BadRequest, LimelightError
from limelight.query.promql import metadata
from limelight.query.promql.ast import Selector, parse_selector
from limelight.query.promql.engine import instant_query, range_query
from limelight.query.promql.errors import BadData
from limelight.query.promql.values import (
    Matrix,
    RangeSeries,
    Scalar,
    Text,
    Value,
    Vector,
    format_time,
    format_value,
)
from limelight.runtime import Runtime
from limelight.timeparse import parse_iso_ns

log = logging.getLogger("limelight.promql")
MAX_FORM_BYTES = 1024 * 1024
# Without start/end the series and label endpoints look at all time, as Prometheus does.
ALL_TIME = (0, 9_000_000_000_000)
# The Prometheus version whose query semantics (and API) this follows; Grafana picks
# its features by it.
COMPATIBLE_PROMETHEUS = "2.42.0"
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*\Z")

Params = dict[str, list[str]]


def success(data: Any) -> Response:
    return json_response({"status": "success", "data": data})


def failure(error_type: str, message: str, status: int) -> Response:
    return json_response({"status": "error", "errorType": error_type, "error": message}, status)


def prometheus_api(handler: Callable[[Runtime, Params], Any]) -> Endpoint:
    """A query-scoped endpoint: parameters from the URL and a form body, the handler run
    off the event loop, its data or its error in Prometheus' envelope."""

    @requires(Scope.QUERY)
    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        runtime: Runtime = request.app.state.limelight
        try:
            params = await _params(request)
            params.update({f"path.{k}": [str(v)] for k, v in request.path_params.items()})
            data = await run_in_threadpool(handler, runtime, params)
        except LimelightError as exc:
            error_type = getattr(exc, "error_type", "bad_data" if exc.status < 500 else
                                 "internal")
            return failure(error_type, str(exc), exc.status)
        except Exception as exc:  # a bug must still answer in the envelope Grafana reads
            log.exception("PromQL request failed")
            return failure("internal", f"internal error: {exc}", 500)
        return success(data)

    return endpoint


async def _params(request: Request) -> Params:
    params: Params = {}
    if request.method == "POST" and media_type(request) == "application/x-www-form-urlencoded":
        body = await read_body(request, MAX_FORM_BYTES)
        try:
            pairs = parse_qsl(body.decode(), keep_blank_values=True)
        except UnicodeDecodeError as exc:
            raise BadRequest(f"form body is not UTF-8: {exc}") from exc
        for key, value in pairs:
            params.setdefault(key, []).append(value)
    for key, value in request.query_params.multi_items():
        params.setdefault(key, []).append(value)
    return params


def _one(params: Params, name: str) -> str | None:
    values = params.get(name)
    return values[0] if values else None


def parse_time(text: str, name: str) -> int:
    """Unix seconds (with a fraction) or RFC 3339, as whole milliseconds."""
    try:
        seconds = float(text)
    except ValueError:
        return _rfc3339_ms(text, name)
    if not math.isfinite(seconds):
        raise BadData(f"invalid parameter \"{name}\": cannot parse \"{text}\" to a valid "
                      "timestamp")
    whole = math.trunc(seconds)
    return whole * 1000 + round((seconds - whole) * 1000)


def _rfc3339_ms(text: str, name: str) -> int:
    try:
        return round(parse_iso_ns(text) / 1_000_000)
    except ValueError:
        raise BadData(f"invalid parameter \"{name}\": cannot parse \"{text}\" to a valid "
                      "timestamp") from None


def parse_step(text: str) -> int:
    """Seconds (with a fraction) or a Prometheus duration (`15s`, `1m30s`), in ms."""
    try:
        seconds = float(text)
    except ValueError:
        try:
            return round(promql_parser.parse_duration(text).total_seconds() * 1000)
        except ValueError:
            raise BadData(f"invalid parameter \"step\": cannot parse \"{text}\" to a valid "
                          "duration") from None
    if not math.isfinite(seconds) or abs(seconds) > 9.2e9:
        raise BadData(f"invalid parameter \"step\": cannot parse \"{text}\" to a valid "
                      "duration. It overflows int64")
    return int(seconds * 1e9) // 1_000_000


def _required_time(params: Params, name: str) -> int:
    return parse_time(_one(params, name) or "", name)


def _points(times: Sequence[int], values: Sequence[float]) -> list[list[Any]]:
    return [[format_time(t), format_value(v)] for t, v in zip(times, values, strict=True)]


def result_json(value: Value, time_ms: int) -> dict[str, Any]:
    if isinstance(value, Scalar):
        return {"resultType": "scalar",
                "result": [format_time(time_ms), format_value(value.value)]}
    if isinstance(value, Text):
        return {"resultType": "string", "result": [format_time(time_ms), value.value]}
    if isinstance(value, Matrix):
        return {"resultType": "matrix", "result": [
            {"metric": dict(s.labels), "values": _points(s.times, s.values)}
            for s in sorted(value, key=lambda s: s.labels)]}
    assert isinstance(value, Vector)
    stamp = format_time(time_ms)
    return {"resultType": "vector", "result": [
        {"metric": dict(s.labels), "value": [stamp, format_value(s.value)]} for s in value]}


def _query(runtime: Runtime, params: Params) -> dict[str, Any]:
    query = _one(params, "query") or ""
    stamp = _one(params, "time")
    time_ms = parse_time(stamp, "time") if stamp else time.time_ns() // 1_000_000
    return result_json(instant_query(runtime.store, query, time_ms), time_ms)


def _query_range(runtime: Runtime, params: Params) -> dict[str, Any]:
    query = _one(params, "query") or ""
    start, end = _required_time(params, "start"), _required_time(params, "end")
    step = parse_step(_one(params, "step") or "")
    series: list[RangeSeries] = range_query(runtime.store, query, start, end, step)
    return {"resultType": "matrix", "result": [
        {"metric": dict(s.labels), "values": _points(s.times, s.values)} for s in series]}


def _window(params: Params) -> tuple[int, int]:
    start, end = _one(params, "start"), _one(params, "end")
    return (parse_time(start, "start") if start else ALL_TIME[0],
            parse_time(end, "end") if end else ALL_TIME[1])


def _selectors(params: Params, required: bool) -> list[Selector | None]:
    texts = params.get("match[]", [])
    if not texts:
        if required:
            raise BadData("no match[] parameter provided")
        return [None]
    return [parse_selector(text) for text in texts]


def _series(runtime: Runtime, params: Params) -> list[dict[str, str]]:
    selectors = _selectors(params, required=True)
    return [dict(labels) for labels in metadata.label_sets(runtime.store, selectors,
                                                                *_window(params))]


def _labels(runtime: Runtime, params: Params) -> list[str]:
    return metadata.label_names(runtime.store, _selectors(params, required=False),
                                *_window(params))


def _label_values(runtime: Runtime, params: Params) -> list[str]:
    name = params["path.name"][0]
    if not _LABEL_NAME.match(name):
        raise BadData(f"invalid label name: \"{name}\"")
    return metadata.label_values(runtime.store, name, _selectors(params, required=False),
                                 *_window(params))


def _metadata(runtime: Runtime, params: Params) -> dict[str, list[dict[str, str]]]:
    limit = _one(params, "limit")
    if limit is not None and not limit.lstrip("-").isdecimal():
        raise BadData("invalid parameter \"limit\": not a number")
    count = int(limit) if limit is not None and int(limit) >= 0 else None
    return metadata.metric_metadata(runtime.store, _one(params, "metric"), count)


def _buildinfo(runtime: Runtime, params: Params) -> dict[str, str]:
    # No "features": Grafana then treats the source as plain Prometheus (not Mimir).
    return {"version": COMPATIBLE_PROMETHEUS, "revision": f"limelight-{__version__}",
            "branch": "", "buildUser": "", "buildDate": "", "goVersion": ""}


def _format_query(runtime: Runtime, params: Params) -> str:
    query = _one(params, "query") or ""
    try:
        return str(promql_parser.parse(query).prettify())
    except ValueError as exc:
        raise BadData(f"invalid parameter \"query\": {exc}") from exc


async def healthy(request: Request) -> Response:
    return PlainTextResponse("Limelight is Healthy.\n")


_READ = ["GET", "POST"]
routes = [
    Route("/api/v1/query", prometheus_api(_query), methods=_READ),
    Route("/api/v1/query_range", prometheus_api(_query_range), methods=_READ),
    Route("/api/v1/series", prometheus_api(_series), methods=_READ),
    Route("/api/v1/labels", prometheus_api(_labels), methods=_READ),
    Route("/api/v1/label/{name}/values", prometheus_api(_label_values), methods=["GET"]),
    Route("/api/v1/metadata", prometheus_api(_metadata), methods=["GET"]),
    Route("/api/v1/status/buildinfo", prometheus_api(_buildinfo), methods=["GET"]),
    Route("/api/v1/format_query", prometheus_api(_format_query), methods=_READ),
    Route("/api/v1/query_exemplars", prometheus_api(lambda runtime, params: []),
          methods=_READ),
    Route("/api/v1/rules", prometheus_api(lambda runtime, params: {"groups": []}),
          methods=["GET"]),
    Route("/api/v1/alerts", prometheus_api(lambda runtime, params: {"alerts": []}),
          methods=["GET"]),
    Route("/-/healthy", healthy, methods=["GET"]),
    Route("/-/ready", healthy, methods=["GET"]),
]
