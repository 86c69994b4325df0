"""Health checks: every check with its state (/api/checks), one with its recent runs."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from limelight.api.http import json_response, requires
from limelight.apikeys import Scope
from limelight.checks.notify import notification_ref
from limelight.checks.scheduler import CheckScheduler
from limelight.checks.views import check_detail, check_view
from limelight.exceptions import NotFound

DELIVERIES_SHOWN = 20


def _scheduler(request: Request) -> CheckScheduler:
    scheduler: CheckScheduler = request.app.state.checks
    return scheduler


@requires(Scope.QUERY)
async def list_checks(request: Request) -> Response:
    scheduler = _scheduler(request)
    service = request.query_params.get("service")
    checks = await scheduler.current()
    return json_response({"checks": [
        check_view(check, scheduler.states.get(ref)) for ref, check in sorted(checks.items())
        if service is None or check.service == service]})


@requires(Scope.QUERY)
async def get_check(request: Request) -> Response:
    scheduler = _scheduler(request)
    service, check_id = request.path_params["service"], request.path_params["check_id"]
    check = (await scheduler.current()).get(f"{service}/{check_id}")
    if check is None:
        raise NotFound(f"no check {service}/{check_id}")
    deliveries, _ = await run_in_threadpool(
        scheduler.dispatcher.records.history, notification_ref(service, check_id),
        DELIVERIES_SHOWN, 0, "delivery")
    return json_response(check_detail(check, scheduler.states.get(check.ref), deliveries))


routes = [
    Route("/api/checks", list_checks, methods=["GET"]),
    Route("/api/checks/{service}/{check_id}", get_check, methods=["GET"]),
]
