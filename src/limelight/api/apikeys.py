"""Managing API keys over HTTP: /api/api-keys (admin scope)."""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from limelight.api.http import json_response, read_body, requires
from limelight.apikeys import ApiKey, Scope
from limelight.exceptions import BadRequest, NotFound
from limelight.runtime import Runtime


def _public(key: ApiKey) -> dict[str, object]:
    return {"id": key.id, "scope": key.scope.value, "name": key.name,
            "created_ms": key.created_ms}


@requires(Scope.ADMIN)
async def list_keys(request: Request) -> Response:
    runtime: Runtime = request.app.state.limelight
    return json_response({"keys": [_public(k) for k in runtime.keys.list()]})


@requires(Scope.ADMIN)
async def create_key(request: Request) -> Response:
    runtime: Runtime = request.app.state.limelight
    body = await read_body(request, 64 * 1024)
    try:
        doc = msgspec.json.decode(body) if body.strip() else {}
        scope = Scope(doc.get("scope", ""))
    except (msgspec.DecodeError, ValueError, AttributeError) as exc:
        raise BadRequest('give {"scope": "ingest" | "query" | "admin", "name": "..."}') from exc
    key, info = runtime.keys.create(scope, str(doc.get("name", "")))
    return json_response({"key": key, **_public(info)}, 201)


@requires(Scope.ADMIN)
async def revoke_key(request: Request) -> Response:
    runtime: Runtime = request.app.state.limelight
    revoked = runtime.keys.revoke(request.path_params["key_id"])
    if revoked is None:
        raise NotFound("no key with that id (give at least 6 characters of it)")
    return json_response(_public(revoked))


routes = [
    Route("/api/api-keys", list_keys, methods=["GET"]),
    Route("/api/api-keys", create_key, methods=["POST"]),
    Route("/api/api-keys/{key_id}", revoke_key, methods=["DELETE"]),
]
