"""Ask AI: POST /api/explain and GET /api/explain/audit."""

from __future__ import annotations

import time
from typing import Any

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from limelight.ai.explain import audit_log, explain
from limelight.ai.provider import ProviderConfig
from limelight.alerts.catalog import split_ref
from limelight.alerts.manager import AlertManager
from limelight.alerts.rules import RuleError, alert_query
from limelight.alerts.views import alert_view
from limelight.api.http import json_response, read_body, requires
from limelight.apikeys import Scope
from limelight.errors.tracker import ErrorTracker
from limelight.exceptions import BadRequest, NotFound
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

    target = body.get("target")
    target = target if isinstance(target, dict) else {}
    context = None
    if target.get("kind") == "alert":
        context = await _alert_context(request, str(target.get("id", "")))
    elif target.get("kind") == "error":
        context = await run_in_threadpool(_error_context, request, str(target.get("id", "")))
    blocked = tuple(sorted({key for policy in runtime.queue.policies.by_dataset.values()
                            for key in policy.blocked_keys | policy.obfuscated_keys}))
    answer = await run_in_threadpool(
        explain, body, runtime.engine.run, trace, runtime.store,
        provider_config(runtime.settings), blocked, context,
    )
    return json_response(answer)


async def _alert_context(request: Request, ref: str) -> dict[str, Any]:
    """The alert as the API shows it, with the spec and calculation it evaluates."""
    manager: AlertManager = request.app.state.alerts
    catalog, rules = await manager.current()
    properties = catalog.alerts().get(ref)
    if properties is None:
        raise NotFound(f"no alert {ref!r}; give its id as service/alert-id")
    rule = rules[ref]
    if isinstance(rule, RuleError):
        raise BadRequest(f"alert {ref} cannot be evaluated: {rule}")
    service, _ = split_ref(ref)
    try:
        evaluated = alert_query(rule, catalog.of(service, "query"))
    except RuleError as exc:
        raise BadRequest(f"alert {ref} cannot be evaluated: {exc}") from exc
    view = alert_view(ref, properties, rule, manager.states.get(ref), catalog,
                      time.time_ns() // 1_000_000)
    return {"alert": view, "spec": evaluated.spec, "calculation": evaluated.label,
            "window_ms": rule.window_ns // 1_000_000}


def _error_context(request: Request, group_id: str) -> dict[str, Any]:
    """The error group as GET /api/errors/{id} shows it, with its recent samples."""
    tracker: ErrorTracker = request.app.state.errors
    group = tracker.groups.get(group_id)
    if group is None:
        raise NotFound(f"no error group {group_id!r}")
    return {"group": group, "samples": tracker.groups.samples(group_id)}


@requires(Scope.ADMIN)
async def get_audit(request: Request) -> Response:
    runtime: Runtime = request.app.state.limelight
    entries = await run_in_threadpool(audit_log, runtime.store)
    return json_response({"entries": entries})


routes = [
    Route("/api/explain", post_explain, methods=["POST"]),
    Route("/api/explain/audit", get_audit, methods=["GET"]),
]
