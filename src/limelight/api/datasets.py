"""Datasets: /api/datasets (list, retention) and /api/keys (the keys a dataset uses)."""

from __future__ import annotations

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from limelight.api.http import json_response, read_body, requires
from limelight.apikeys import Scope
from limelight.exceptions import BadRequest, Conflict, NotFound
from limelight.runtime import Runtime
from limelight.timeparse import format_ns


@requires(Scope.QUERY)
async def get_datasets(request: Request) -> Response:
    runtime: Runtime = request.app.state.limelight
    infos = await run_in_threadpool(runtime.store.datasets)
    policies = runtime.queue.policies.by_dataset
    return json_response({"datasets": [
        {
            "name": info.name,
            "events": info.events,
            "first": format_ns(info.first_ns) if info.first_ns is not None else None,
            "last": format_ns(info.last_ns) if info.last_ns is not None else None,
            "retention_days": runtime.queue.policies.retention_days(info.name)
            or info.retention_days,
            "managed_by": list(policies[info.name].services) if info.name in policies else [],
        }
        for info in infos
    ]})


@requires(Scope.QUERY)
async def get_keys(request: Request) -> Response:
    runtime: Runtime = request.app.state.limelight
    dataset = request.query_params.get("dataset")
    if not dataset:
        raise BadRequest("give the dataset: /api/keys?dataset=otel")
    if dataset not in runtime.store.schemas():
        raise NotFound(f"unknown dataset {dataset!r}")
    keys = await run_in_threadpool(runtime.store.keys, dataset)
    return json_response({"dataset": dataset, "keys": [
        {"key": k.key, "type": k.type.value, "count": k.count} for k in keys
    ]})


@requires(Scope.ADMIN)
async def patch_dataset(request: Request) -> Response:
    """Change a dataset's settings; today its retention in days."""
    runtime: Runtime = request.app.state.limelight
    name = request.path_params["name"]
    if name not in runtime.store.schemas():
        raise NotFound(f"unknown dataset {name!r}")
    managed = runtime.queue.policies.retention_days(name)
    if managed is not None:
        services = ", ".join(runtime.queue.policies.by_dataset[name].services)
        raise Conflict(f"dataset {name!r} has its retention ({managed} days) set by the "
                       f"`dataset` resource of service {services}; change it there")
    try:
        doc = msgspec.json.decode(await read_body(request, 64 * 1024))
        days = doc["retention_days"]
    except (msgspec.DecodeError, KeyError, TypeError) as exc:
        raise BadRequest('give {"retention_days": N}') from exc
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3650:
        raise BadRequest("retention_days: a whole number of days from 1 to 3650")
    settings = runtime.store.meta_get("datasets", name) or {}
    runtime.store.meta_put("datasets", name, {**settings, "retention_days": days})
    return json_response({"name": name, "retention_days": days})


routes = [
    Route("/api/datasets", get_datasets, methods=["GET"]),
    Route("/api/datasets/{name}", patch_dataset, methods=["PATCH"]),
    Route("/api/keys", get_keys, methods=["GET"]),
]
