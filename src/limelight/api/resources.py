"""Resources as code: /api/resources (read, replace a service's set, destroy) and backtests."""

from __future__ import annotations

import time
from typing import Any

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from limelight.alerts.backtest import backtest
from limelight.alerts.rules import RuleError
from limelight.api.http import granted_scope, json_response, read_body, requires
from limelight.apikeys import Scope, allows
from limelight.code import stored
from limelight.code.diff import make_plan
from limelight.code.resources import check_name, check_resources
from limelight.exceptions import BadRequest, NotFound
from limelight.ingest.policy import policies_from
from limelight.runtime import Runtime

MAX_BODY_BYTES = 4 * 1024 * 1024
MAX_BACKTEST_DAYS = 30


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.limelight
    return runtime


def _service(request: Request) -> str:
    service = str(request.path_params["service"])
    problem = check_name(service)
    if problem:
        raise BadRequest(f"service: {problem}")
    return service


def _is_admin(request: Request) -> bool:
    granted = granted_scope(request)  # a key, or the console's session
    return isinstance(granted, Scope) and allows(granted, Scope.ADMIN)


async def _json(request: Request) -> Any:
    try:
        return msgspec.json.decode(await read_body(request, MAX_BODY_BYTES) or b"null")
    except msgspec.DecodeError as exc:
        raise BadRequest(f"body is not valid JSON: {exc}") from exc


async def _docs(request: Request) -> dict[str, dict[str, Any]]:
    return await run_in_threadpool(_runtime(request).store.meta_list, stored.COLLECTION)


async def _refresh_policies(request: Request) -> None:
    """Dataset resources take effect on the next ingested batch."""
    _runtime(request).queue.policies.replace(policies_from((await _docs(request)).values()))


@requires(Scope.QUERY)
async def list_resources(request: Request) -> Response:
    service = request.query_params.get("service")
    kind = request.query_params.get("type")
    docs = await _docs(request)
    if service is not None:
        docs = stored.of_service(docs, service)
    show = (lambda d: d) if _is_admin(request) else stored.masked
    found = [show(doc) for _, doc in sorted(docs.items())
             if kind is None or doc.get("type") == kind]
    return json_response({"resources": found})


@requires(Scope.QUERY)
async def get_resource(request: Request) -> Response:
    key = stored.doc_id(request.path_params["service"], request.path_params["resource_id"])
    doc = await run_in_threadpool(_runtime(request).store.meta_get, stored.COLLECTION, key)
    if doc is None:
        raise NotFound(f"no resource {key}")
    return json_response(doc if _is_admin(request) else stored.masked(doc))


@requires(Scope.ADMIN)
async def put_resources(request: Request) -> Response:
    """Replace the service's whole set: all of it is valid and stored, or nothing changes."""
    service = _service(request)
    specs = await _json(request)
    if not isinstance(specs, dict):
        raise BadRequest("body: give the service's resources as {id: {type, properties}}")
    issues = check_resources(specs)
    if issues:
        errors = [str(issue) for issue in issues]
        count = f"{len(errors)} problem{'s' if len(errors) != 1 else ''}"
        return json_response({"message": f"{count}, nothing changed: " + "; ".join(errors),
                              "errors": errors}, 400)
    store = _runtime(request).store
    current = stored.of_service(await _docs(request), service)
    docs = stored.service_docs(service, specs, current, time.time_ns() // 1_000_000)
    await run_in_threadpool(store.meta_replace, stored.COLLECTION, stored.prefix(service), docs)
    await _refresh_policies(request)
    plan = make_plan(specs, stored.specs_of(current.values()))
    return json_response({
        "service": service,
        **{action: [c.id for c in plan.changes if c.action == action]
           for action in ("add", "change", "remove")},
        "unchanged": plan.unchanged,
    })


@requires(Scope.ADMIN)
async def delete_resources(request: Request) -> Response:
    service = _service(request)
    current = stored.of_service(await _docs(request), service)
    await run_in_threadpool(_runtime(request).store.meta_replace, stored.COLLECTION,
                            stored.prefix(service), {})
    await _refresh_policies(request)
    return json_response({"service": service,
                          "remove": sorted(str(d.get("id")) for d in current.values())})


@requires(Scope.QUERY)
async def backtest_alert(request: Request) -> Response:
    """`{"alert": properties, "queries": {id: properties}?, "days": 7}`: how often it would fire.

    Query ids the body does not give are looked up among the service's stored queries.
    """
    service = _service(request)
    body = await _json(request)
    if not isinstance(body, dict) or not isinstance(body.get("alert"), dict):
        raise BadRequest('body: give {"alert": <alert properties>, "queries": {id: ...}}')
    days = body.get("days", 7)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_BACKTEST_DAYS:
        raise BadRequest(f"days: a whole number from 1 to {MAX_BACKTEST_DAYS}")
    given = body.get("queries") or {}
    if not isinstance(given, dict):
        raise BadRequest("queries: a mapping of query ids to their properties")
    queries = {str(d["id"]): d.get("properties") or {}
               for d in stored.of_service(await _docs(request), service).values()
               if d.get("type") == "query"}
    queries.update(given)
    runtime = _runtime(request)
    try:
        result = await run_in_threadpool(
            backtest, body["alert"], queries, runtime.engine.run, time.time_ns(), days,
            min_frequency_ns=int(runtime.settings.alert_min_frequency_s * 1e9))
    except RuleError as exc:
        raise BadRequest(str(exc)) from exc
    return json_response({"fired": result.fired, "evaluations": result.evaluations,
                          "covered_ns": result.covered_ns, "days": days})


routes = [
    Route("/api/resources", list_resources, methods=["GET"]),
    Route("/api/resources/{service}", put_resources, methods=["PUT"]),
    Route("/api/resources/{service}", delete_resources, methods=["DELETE"]),
    Route("/api/resources/{service}/backtest", backtest_alert, methods=["POST"]),
    Route("/api/resources/{service}/{resource_id}", get_resource, methods=["GET"]),
]
