"""Dashboards defined as code: /api/dashboards (list) and one dashboard's widgets with results."""

from __future__ import annotations

import time

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from limelight.alerts.catalog import Catalog
from limelight.api.http import json_response, requires
from limelight.apikeys import Scope
from limelight.code import stored
from limelight.dashboards import render
from limelight.exceptions import BadRequest, NotFound
from limelight.runtime import Runtime
from limelight.timeparse import parse_time_ns

DEFAULT_RANGE = "1h"


async def _catalog(runtime: Runtime) -> Catalog:
    return Catalog.from_docs(await run_in_threadpool(runtime.store.meta_list, stored.COLLECTION))


@requires(Scope.QUERY)
async def list_dashboards(request: Request) -> Response:
    runtime: Runtime = request.app.state.limelight
    catalog = await _catalog(runtime)
    found = [
        {"service": service, "id": rid, "name": props.get("name", rid),
         "description": props.get("description", ""), "widgets": len(props.get("widgets") or [])}
        for (service, kind), resources in sorted(catalog.by_kind.items()) if kind == "dashboard"
        for rid, props in sorted(resources.items())
    ]
    return json_response({"dashboards": found})


@requires(Scope.QUERY)
async def get_dashboard(request: Request) -> Response:
    """`?from=&to=` as in a query spec (default: the last hour)."""
    runtime: Runtime = request.app.state.limelight
    service, rid = request.path_params["service"], request.path_params["dashboard_id"]
    catalog = await _catalog(runtime)
    properties = catalog.of(service, "dashboard").get(rid)
    if properties is None:
        raise NotFound(f"no dashboard {service}/{rid}")
    now_ns = time.time_ns()
    bounds = []
    for name, default in (("from", DEFAULT_RANGE), ("to", "now")):
        try:
            bounds.append(parse_time_ns(request.query_params.get(name) or default, now_ns)
                          // 1_000_000)
        except ValueError as exc:
            raise BadRequest(f"{name}: {exc}") from exc
    from_ms, to_ms = bounds
    if from_ms >= to_ms:
        raise BadRequest("from: must be before to")
    widgets = await run_in_threadpool(render, properties, catalog.of(service, "query"),
                                      runtime.engine.run, from_ms, to_ms)
    return json_response({"service": service, "id": rid,
                          "name": properties.get("name", rid),
                          "description": properties.get("description", ""),
                          "from_ms": from_ms, "to_ms": to_ms, "widgets": widgets})


routes = [
    Route("/api/dashboards", list_dashboards, methods=["GET"]),
    Route("/api/dashboards/{service}/{dashboard_id}", get_dashboard, methods=["GET"]),
]
