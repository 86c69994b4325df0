"""Alerts: their states (/api/alerts), history of transitions and deliveries, and snoozing."""

from __future__ import annotations

import time
from typing import Any

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from limelight.alerts.manager import AlertManager
from limelight.alerts.views import alert_view
from limelight.api.http import int_param, json_response, read_body, requires
from limelight.apikeys import Scope
from limelight.exceptions import BadRequest, NotFound
from limelight.timeparse import parse_duration_ns, parse_time_ns

MAX_BODY_BYTES = 64 * 1024
MAX_PAGE = 500


def _manager(request: Request) -> AlertManager:
    manager: AlertManager = request.app.state.alerts
    return manager


def _ref(request: Request) -> str:
    return f"{request.path_params['service']}/{request.path_params['alert_id']}"


async def _views(request: Request, only: str | None = None) -> list[dict[str, Any]]:
    manager = _manager(request)
    catalog, rules = await manager.current()
    service = request.query_params.get("service")
    alerts = catalog.alerts()
    now_ms = time.time_ns() // 1_000_000
    return [
        alert_view(ref, alerts[ref], rule, manager.states.get(ref), catalog, now_ms)
        for ref, rule in sorted(rules.items())
        if (only is None or ref == only) and (service is None or ref.startswith(service + "/"))
    ]


@requires(Scope.QUERY)
async def list_alerts(request: Request) -> Response:
    return json_response({"alerts": await _views(request)})


@requires(Scope.QUERY)
async def get_alert(request: Request) -> Response:
    found = await _views(request, _ref(request))
    if not found:
        raise NotFound(f"no alert {_ref(request)}")
    return json_response(found[0])


@requires(Scope.QUERY)
async def alert_history(request: Request) -> Response:
    ref = _ref(request)
    limit = int_param(request, "limit", 50, 1, MAX_PAGE)
    offset = int_param(request, "offset", 0, 0, 1_000_000)
    kind = request.query_params.get("kind")
    if kind not in (None, "transition", "delivery"):
        raise BadRequest("kind: transition or delivery")
    entries, total = await run_in_threadpool(
        _manager(request).records.history, ref, limit, offset, kind)
    if total == 0 and not await _views(request, ref):
        raise NotFound(f"no alert {ref}")
    return json_response({"alert": ref, "entries": entries, "total": total, "limit": limit,
                          "offset": offset})


@requires(Scope.ADMIN)
async def snooze_alert(request: Request) -> Response:
    ref = _ref(request)
    if not await _views(request, ref):
        raise NotFound(f"no alert {ref}")
    try:
        body = msgspec.json.decode(await read_body(request, MAX_BODY_BYTES) or b"{}")
    except msgspec.DecodeError as exc:
        raise BadRequest(f"body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict) or "until" not in body:
        raise BadRequest('give {"until": "<ISO 8601 time>"}, a duration such as "1h", or null')
    await _manager(request).snooze(ref, snooze_end_ms(body["until"], time.time_ns()))
    return json_response((await _views(request, ref))[0])


def snooze_end_ms(value: Any, now_ns: int) -> int | None:
    """ISO 8601 or epoch ms; a duration (`1h`) counts from now; null or "" ends the snooze."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return (now_ns + parse_duration_ns(value)) // 1_000_000
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise BadRequest("until: give an ISO 8601 time, a duration such as 1h, or null")
    try:
        return parse_time_ns(value, now_ns) // 1_000_000
    except ValueError as exc:
        raise BadRequest(f"until: {exc}") from exc


routes = [
    Route("/api/alerts", list_alerts, methods=["GET"]),
    Route("/api/alerts/{service}/{alert_id}", get_alert, methods=["GET"]),
    Route("/api/alerts/{service}/{alert_id}/history", alert_history, methods=["GET"]),
    Route("/api/alerts/{service}/{alert_id}/snooze", snooze_alert, methods=["POST"]),
]
