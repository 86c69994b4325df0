"""What every handler shares: auth, bounded bodies, decompression and JSON answers."""

from __future__ import annotations

import base64
import functools
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Match, Route

from limelight.apikeys import Scope, allows
from limelight.exceptions import (
    BadRequest,
    LimelightError,
    Overloaded,
    PayloadTooLarge,
    Unavailable,
    UnsupportedMediaType,
)
from limelight.ingest.inflate import GZIP, ZLIB, inflate
from limelight.sessions import COOKIE, CSRF_HEADER, csrf_matches

Endpoint = Callable[[Request], Awaitable[Response]]
_encode_json = msgspec.json.Encoder().encode
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(_encode_json(data), status, headers, media_type="application/json")


def error_response(exc: LimelightError) -> Response:
    headers = {}
    if isinstance(exc, Overloaded | Unavailable):
        headers["Retry-After"] = str(exc.retry_after_s)
    return json_response({"message": str(exc)}, exc.status, headers)


def api_key_of(request: Request) -> str | None:
    """`x-api-key`, a Bearer token, or HTTP Basic (Prometheus' and Loki clients'
    `basic_auth`: the key as the password, or as the user name with no password)."""
    key = request.headers.get("x-api-key")
    if key:
        return key
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    if auth.lower().startswith("basic "):
        try:
            user, _, password = base64.b64decode(auth[6:].strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return password or user or None
    return None


Refuse = Callable[[Request, int, str], Response]
"""How an endpoint answers a refused request: status and message in its own format."""


def refuse_json(request: Request, status: int, message: str) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="limelight"'} if status == 401 else None
    return json_response({"message": message}, status, headers)


_MACHINE_PATHS = ("/api/", "/v1/", "/loki/", "/-/", "/healthz")


async def http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths (404) and methods (405), as JSON on the API's paths. A 405 names every
    method the path takes, over all the routes that serve it."""
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        allowed: set[str] = set()
        for route in request.app.routes:
            if isinstance(route, Route) and route.matches(request.scope)[0] is Match.PARTIAL:
                allowed |= route.methods or set()
        headers["Allow"] = ", ".join(sorted(allowed))
    if not request.url.path.startswith(_MACHINE_PATHS):
        return PlainTextResponse(exc.detail, exc.status_code, headers)
    message = (f"no such endpoint: {request.method} {request.url.path}"
               if exc.status_code == 404 else
               f"{request.method} is not allowed here; use {headers.get('Allow', '')}")
    return json_response({"message": message}, exc.status_code, headers)


def granted_scope(request: Request) -> Scope | Response:
    """The scope of the request's key (header) or console session (cookie), else a 401/403."""
    granted = _scope_or_refusal(request)
    return granted if isinstance(granted, Scope) else refuse_json(request, *granted)


def still_allowed(request: Request, scope: Scope) -> bool:
    """Whether the request's key or session still grants `scope` (for long streams)."""
    granted = _scope_or_refusal(request)
    return isinstance(granted, Scope) and allows(granted, scope)


def _scope_or_refusal(request: Request) -> Scope | tuple[int, str]:
    runtime = request.app.state.limelight
    key = api_key_of(request)
    if key:
        granted: Scope | None = runtime.keys.check(key)
        if granted is None:
            return 401, "unknown or revoked API key"
        return granted
    session_id = request.cookies.get(COOKIE)
    if not session_id:
        return 401, "missing API key: send x-api-key or Authorization: Bearer"
    found = runtime.sessions.get(session_id)
    if found is None:
        return 401, "the console session ended; log in again"
    session, granted = found
    # A page on another site can make the browser send the cookie, but cannot read the
    # token the console's pages carry: changes made with the cookie must send it back.
    if request.method not in _SAFE_METHODS and not csrf_matches(
        session, request.headers.get(CSRF_HEADER)
    ):
        return 403, (f"a request made with the console's session needs its {CSRF_HEADER} "
                     "header; reload the page")
    return granted


def requires(scope: Scope, refuse: Refuse = refuse_json) -> Callable[[Endpoint], Endpoint]:
    """401 without a known key or session, 403 when its scope does not allow `scope`."""

    def decorate(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def guarded(request: Request) -> Response:
            granted = _scope_or_refusal(request)
            if not isinstance(granted, Scope):
                return refuse(request, *granted)
            if not allows(granted, scope):
                return refuse(request, 403,
                              f"this key has scope {granted.value}; {scope.value} is needed")
            try:
                return await endpoint(request)
            except LimelightError as exc:
                return error_response(exc)
            except RecursionError:  # a JSON body nested thousands deep
                return error_response(BadRequest("the body is nested too deeply"))

        return guarded

    return decorate


async def read_raw_body(request: Request, limit: int) -> bytes:
    """The request body as sent, refusing anything over `limit` bytes (413)."""
    declared = request.headers.get("content-length")
    if declared and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"body is {declared} bytes; the limit is {limit}")
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"body is over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, decompressed, refusing anything over `limit` bytes (413)."""
    body = await read_raw_body(request, limit)
    encoding = request.headers.get("content-encoding", "").strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding in ("gzip", "x-gzip", "deflate"):  # off the event loop: it may take a while
        return await run_in_threadpool(_inflate, body, limit, encoding != "deflate")
    raise UnsupportedMediaType(
        f"content-encoding {encoding!r} is not supported; use gzip or deflate")


def _inflate(body: bytes, limit: int, gzip_wrapped: bool) -> bytes:
    try:
        return inflate(body, GZIP if gzip_wrapped else ZLIB, limit)
    except ValueError as exc:
        kind = "gzip" if gzip_wrapped else "deflate"
        raise BadRequest(f"body is not valid {kind}: {exc}") from exc


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


# JSON bodies: JSON and NDJSON types, plain text, none at all, and what `curl -d` sends.
_JSON_TYPES = frozenset({"", "application/json", "application/x-ndjson", "application/ndjson",
                         "application/jsonl", "application/x-jsonlines", "text/plain",
                         "application/x-www-form-urlencoded"})


def require_json(request: Request) -> None:
    """415 for a body that says it is something else than JSON (XML, protobuf...)."""
    kind = media_type(request)
    if kind not in _JSON_TYPES and not kind.endswith("+json"):
        raise UnsupportedMediaType(
            f"content-type {kind!r} is not supported; send application/json "
            "(or application/x-ndjson)")


def int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    """A whole-number query parameter within [low, high]; 400 naming it otherwise."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise BadRequest(f"{name}: a whole number from {low} to {high}")
    return int(raw)
