"""Prometheus ingest: remote write 1.0 (POST /api/v1/write) and text exposition import
(POST /api/v1/import/prometheus, VictoriaMetrics' path). Both answer 204 once the rows are
committed.

Import: `?extra_label=name=value` (repeatable) adds labels to every sample; `?timestamp=`
(epoch ms) is the time of samples written without one (default: now).
"""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from limelight.api.http import media_type, read_body, read_raw_body, requires
from limelight.apikeys import Scope
from limelight.exceptions import BadRequest, UnsupportedMediaType
from limelight.ingest.prometheus import decode_exposition, parse_extra_labels
from limelight.ingest.remote_write import decode_write
from limelight.runtime import Runtime


@requires(Scope.INGEST)
async def import_prometheus(request: Request) -> Response:
    runtime: Runtime = request.app.state.limelight
    body = await read_body(request, runtime.settings.max_request_bytes)
    try:
        extra = parse_extra_labels(request.query_params.getlist("extra_label"))
        stamp = request.query_params.get("timestamp")
        now_ns = int(stamp) * 1_000_000 if stamp else time.time_ns()
        text = body.decode()
        openmetrics = media_type(request) == "application/openmetrics-text"
        batch = await runtime.queue.offload(decode_exposition, text, extra, now_ns, openmetrics)
    except UnicodeDecodeError as exc:
        raise BadRequest(f"body is not UTF-8 text: {exc}") from exc
    except ValueError as exc:
        raise BadRequest(f"not Prometheus text exposition: {exc}") from exc
    await runtime.queue.submit([batch])
    return Response(status_code=204)


@requires(Scope.INGEST)
async def remote_write(request: Request) -> Response:
    runtime: Runtime = request.app.state.limelight
    if media_type(request) not in ("application/x-protobuf", ""):
        raise UnsupportedMediaType(f"content-type {media_type(request)!r} is not supported; "
                                   "remote write sends application/x-protobuf (snappy)")
    # Remote write 2.0 names its message in the content type; only 1.0's is understood, and
    # a 2.0 body read as 1.0 would decode to nothing and be acknowledged as written.
    proto = _content_type_parameter(request, "proto")
    if proto not in (None, "prometheus.WriteRequest"):
        raise UnsupportedMediaType(f"remote write message {proto!r} is not supported; send "
                                   "remote write 1.0 (proto=prometheus.WriteRequest)")
    # Snappy is the body's own framing here, not a Content-Encoding read_body undoes.
    encoding = request.headers.get("content-encoding", "snappy").lower()
    if encoding != "snappy":
        raise UnsupportedMediaType(f"content-encoding {encoding!r}: remote write is snappy")
    limit = runtime.settings.max_request_bytes
    body = await read_raw_body(request, limit)
    try:
        decoded = await runtime.queue.offload(decode_write, body, limit)
    except ValueError as exc:
        raise BadRequest(str(exc)) from exc
    await runtime.queue.submit([decoded.batch])
    return Response(status_code=204)


def _content_type_parameter(request: Request, name: str) -> str | None:
    for part in request.headers.get("content-type", "").split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == name:
            return value.strip().strip('"')
    return None


routes = [
    Route("/api/v1/write", remote_write, methods=["POST"]),
    Route("/api/v1/import/prometheus", import_prometheus, methods=["POST"]),
]
