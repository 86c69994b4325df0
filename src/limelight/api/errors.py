"""Error groups: GET /api/errors, GET /api/errors/{id}, PATCH /api/errors/{id} (status)."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from limelight.api.http import int_param, json_response, read_body, requires
from limelight.apikeys import Scope
from limelight.errors.group import STATUSES
from limelight.errors.notify import notification_ref
from limelight.errors.store import SORTS, GroupFilter, GroupStore
from limelight.errors.tracker import ErrorTracker
from limelight.exceptions import BadRequest, NotFound

MAX_BODY_BYTES = 16 * 1024
MAX_PAGE = 500


def _groups(request: Request) -> GroupStore:
    tracker: ErrorTracker = request.app.state.errors
    return tracker.groups


@requires(Scope.QUERY)
async def list_errors(request: Request) -> Response:
    params = request.query_params
    status = params.get("status") or None
    if status is not None and status not in STATUSES:
        raise BadRequest(f"status: one of {', '.join(STATUSES)}")
    sort = params.get("sort") or "last_seen"
    if sort not in SORTS:
        raise BadRequest(f"sort: one of {', '.join(SORTS)}")
    wanted = GroupFilter(
        status=status, service=params.get("service") or None, text=params.get("q") or None,
        sort=sort, limit=int_param(request, "limit", 50, 1, MAX_PAGE),
        offset=int_param(request, "offset", 0, 0, 10**9),
    )
    page, total = await run_in_threadpool(_groups(request).search, wanted)
    return json_response({"errors": page, "total": total})


@requires(Scope.QUERY)
async def get_error(request: Request) -> Response:
    group_id = request.path_params["group_id"]
    groups = _groups(request)
    group = await run_in_threadpool(groups.get, group_id)
    if group is None:
        raise NotFound(f"no error group {group_id}")
    samples = await run_in_threadpool(groups.samples, group_id)
    return json_response({"group": group, "samples": samples,
                          "deliveries": await run_in_threadpool(_deliveries, request, group)})


def _deliveries(request: Request, group: dict[str, Any]) -> list[dict[str, Any]]:
    """Notification attempts for the group, newest first, from the alerts' records."""
    records = request.app.state.alerts.records
    found: list[dict[str, Any]] = []
    for service in group.get("services", []):
        entries, _ = records.history(notification_ref(service, group["id"]), kind="delivery")
        found += entries
    found.sort(key=lambda entry: entry.get("time_ms", 0), reverse=True)
    return found


@requires(Scope.ADMIN)
async def patch_error(request: Request) -> Response:
    group_id = request.path_params["group_id"]
    try:
        body = msgspec.json.decode(await read_body(request, MAX_BODY_BYTES))
    except msgspec.DecodeError as exc:
        raise BadRequest(f"body must be JSON: {exc}") from exc
    if not isinstance(body, dict) or set(body) != {"status"}:
        raise BadRequest(f'body must be {{"status": one of {", ".join(STATUSES)}}}')
    status = body["status"]
    if status not in STATUSES:
        raise BadRequest(f"status: one of {', '.join(STATUSES)}, not {status!r}")
    changed = await run_in_threadpool(_groups(request).set_status, group_id, status)
    if changed is None:
        raise NotFound(f"no error group {group_id}")
    return json_response(changed)


routes = [
    Route("/api/errors", list_errors, methods=["GET"]),
    Route("/api/errors/{group_id}", get_error, methods=["GET"]),
    Route("/api/errors/{group_id}", patch_error, methods=["PATCH"]),
]
