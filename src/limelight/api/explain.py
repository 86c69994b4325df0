"""Ask AI: POST /api/explain and GET /api/explain/audit."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from limelight.ai.explain import audit_log, explain
from limelight.ai.provider import ProviderConfig
from limelight.api.http import json_response, read_body, requires
from limelight.apikeys import Scope
from limelight.exceptions import BadRequest
from limelight.query.trace import fetch_trace
from limelight.runtime import Runtime
from limelight.settings import Settings


def provider_config(settings: Settings) -> ProviderConfig | None:
    if not settings.ai_base_url:
        return None
    return ProviderConfig(settings.ai_base_url, settings.ai_model or "default",
                          settings.ai_api_key, settings.ai_timeout_s)


@requires(Scope.QUERY)
async def post_explain(request: Request) -> Response:
    runtime: Runtime = request.app.state.limelight
    try:
        body: Any = msgspec.json.decode(await read_body(request, 1024 * 1024))
    except msgspec.DecodeError as exc:
        raise BadRequest(f"not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise BadRequest('give {"target": {...}}')

    def trace(trace_id: str) -> dict[str, Any] | None:
        return fetch_trace(runtime.store, trace_id)

    answer = await run_in_threadpool(
        explain, body, runtime.engine.run, trace, runtime.store,
        provider_config(runtime.settings),
    )
    return json_response(answer)


@requires(Scope.ADMIN)
async def get_audit(request: Request) -> Response:
    runtime: Runtime = request.app.state.limelight
    entries = await run_in_threadpool(audit_log, runtime.store)
    return json_response({"entries": entries})


routes = [
    Route("/api/explain", post_explain, methods=["POST"]),
    Route("/api/explain/audit", get_audit, methods=["GET"]),
]
