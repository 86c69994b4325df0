"""Loki push: POST /loki/api/v1/push, JSON (optionally gzip) or snappy protobuf; 204 once
the rows are committed."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from limelight.api.http import media_type, read_body, requires
from limelight.apikeys import Scope
from limelight.exceptions import BadRequest, UnsupportedMediaType
from limelight.ingest.loki import decode_json, decode_protobuf
from limelight.runtime import Runtime

JSON_TYPES = ("application/json", "")
PROTOBUF_TYPES = ("application/x-protobuf", "application/protobuf")


@requires(Scope.INGEST)
async def push(request: Request) -> Response:
    runtime: Runtime = request.app.state.limelight
    kind = media_type(request)
    if kind not in JSON_TYPES + PROTOBUF_TYPES:
        raise UnsupportedMediaType(f"content-type {kind!r} is not supported; send "
                                   "application/json or application/x-protobuf (snappy)")
    limit = runtime.settings.max_request_bytes
    body = await read_body(request, limit)
    try:
        if kind in JSON_TYPES:
            batch = await runtime.queue.offload(decode_json, body)
        else:
            batch = await runtime.queue.offload(decode_protobuf, body, limit)
    except ValueError as exc:
        raise BadRequest(str(exc)) from exc
    await runtime.queue.submit([batch])
    return Response(status_code=204)


routes = [Route("/loki/api/v1/push", push, methods=["POST"])]
