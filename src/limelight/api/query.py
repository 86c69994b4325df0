"""Reading events: /api/query and /api/traces/{id}."""

from __future__ import annotations

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from limelight.api.http import json_response, read_body, require_json, requires
from limelight.apikeys import Scope
from limelight.exceptions import BadRequest, NotFound
from limelight.query.trace import fetch_trace
from limelight.runtime import Runtime

MAX_SPEC_BYTES = 1024 * 1024


@requires(Scope.QUERY)
async def post_query(request: Request) -> Response:
    runtime: Runtime = request.app.state.limelight
    require_json(request)
    body = await read_body(request, MAX_SPEC_BYTES)
    try:
        spec = msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise BadRequest(f"query spec is not valid JSON: {exc}") from exc
    result = await run_in_threadpool(runtime.engine.run, spec)
    return json_response(result)


@requires(Scope.QUERY)
async def get_trace(request: Request) -> Response:
    runtime: Runtime = request.app.state.limelight
    trace_id = request.path_params["trace_id"]
    trace = await run_in_threadpool(fetch_trace, runtime.store, trace_id)
    if trace is None:
        raise NotFound(f"no events with trace id {trace_id}")
    return json_response(trace)


routes = [
    Route("/api/query", post_query, methods=["POST"]),
    Route("/api/traces/{trace_id}", get_trace, methods=["GET"]),
]
