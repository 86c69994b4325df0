"""The Events API: POST /v1/events/{dataset} with a JSON array or NDJSON."""

from __future__ import annotations

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from limelight.api.http import json_response, read_body, require_json, requires
from limelight.apikeys import Scope
from limelight.exceptions import BadRequest
from limelight.ingest.events import DecodedEvents, decode_events
from limelight.model import check_dataset_name
from limelight.runtime import Runtime


def _decode(body: bytes, dataset: str, service: str, namespace: str | None,
            max_event_bytes: int) -> DecodedEvents:
    try:
        return decode_events(body, dataset, service, namespace, max_event_bytes)
    except (ValueError, msgspec.DecodeError) as exc:
        raise BadRequest(f"body must be a JSON array or NDJSON of objects: {exc}") from exc
    except RecursionError:
        raise BadRequest("body must be a JSON array or NDJSON of objects: nested too "
                         "deeply") from None


@requires(Scope.INGEST)
async def post_events(request: Request) -> Response:
    runtime: Runtime = request.app.state.limelight
    settings = runtime.settings
    try:
        dataset = check_dataset_name(request.path_params["dataset"])
    except ValueError as exc:
        raise BadRequest(str(exc)) from exc
    require_json(request)
    body = await read_body(request, settings.max_events_request_bytes)
    service = request.headers.get("x-service") or "default"
    namespace = request.headers.get("x-namespace") or None
    decoded = await run_in_threadpool(  # off the event loop: a 6 MB body takes seconds
        _decode, body, dataset, service, namespace, settings.max_event_bytes)
    await runtime.queue.submit([decoded.batch])
    if decoded.invalid:
        return json_response(
            {
                "message": f"{len(decoded.invalid)} events were rejected; "
                           f"{decoded.batch.size} were accepted",
                "accepted": decoded.batch.size,
                "invalid": decoded.invalid,
            },
            400,
        )
    if decoded.batch.size == 0:
        raise BadRequest("no events in the body")
    return json_response({"message": "Request Accepted"}, 202)


routes = [Route("/v1/events/{dataset}", post_events, methods=["POST"])]
