"""Sentry SDK ingest: POST /api/{project}/envelope/ and /api/{project}/store/.

The DSN's public key is one of our API keys (ingest or admin scope), sent as
`X-Sentry-Auth: Sentry sentry_key=...` or `?sentry_key=`; x-api-key and
Bearer work too.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from limelight.api.http import api_key_of, json_response, read_raw_body
from limelight.apikeys import Scope, allows
from limelight.exceptions import BadRequest, LimelightError, Overloaded
from limelight.ingest.sentry import (
    Decoded,
    SentryError,
    decode_envelope,
    decode_store,
    decompress,
    sentry_key,
)
from limelight.runtime import Runtime

Decoder = Callable[[bytes, str], Decoded]


def _key(request: Request) -> str | None:
    for header in ("x-sentry-auth", "authorization"):
        found = sentry_key(request.headers.get(header, ""))
        if found:
            return found
    return request.query_params.get("sentry_key") or api_key_of(request)


def _endpoint(decoder: Decoder) -> Callable[[Request], object]:
    async def ingest(request: Request) -> Response:
        runtime: Runtime = request.app.state.limelight
        key = _key(request)
        granted = runtime.keys.check(key) if key else None
        if granted is None:
            return json_response({"message": "missing or unknown DSN key: use an ingest key "
                                              "as the DSN's public key"}, 401)
        if not allows(granted, Scope.INGEST):
            return json_response({"message": f"this key has scope {granted.value}; "
                                              "ingest is needed"}, 403)
        try:
            raw = await read_raw_body(request, runtime.settings.max_request_bytes)
            decoded = await run_in_threadpool(  # off the event loop: inflating takes time
                _decode, decoder, raw, request.headers.get("content-encoding", ""),
                runtime.settings.max_request_bytes, request.path_params["project"])
            await runtime.queue.submit(decoded.batches())
        except LimelightError as exc:
            return _refused(exc)
        return json_response({"id": decoded.event_id})

    return ingest


def _decode(decoder: Decoder, raw: bytes, encoding: str, limit: int, project: str) -> Decoded:
    try:
        return decoder(decompress(raw, encoding, limit), project)
    except SentryError as exc:
        raise BadRequest(str(exc)) from exc


def _refused(exc: LimelightError) -> Response:
    headers = {}
    retry_after = getattr(exc, "retry_after_s", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    if isinstance(exc, Overloaded):
        # What Sentry SDKs parse to back off: seconds, all categories, the whole org.
        headers["X-Sentry-Rate-Limits"] = f"{retry_after}::organization"
    return json_response({"message": str(exc)}, exc.status, headers)


routes = [
    Route("/api/{project}/envelope/", _endpoint(decode_envelope), methods=["POST"]),
    Route("/api/{project}/store/", _endpoint(decode_store), methods=["POST"]),
]
