"""Wires everything: store, then query, then ingest and background work, then HTTP.

Stops in reverse: the HTTP server stops taking requests, queued rows are
committed, the database is checkpointed and closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from limelight.alerts.manager import AlertManager
from limelight.api import alerts as alerts_api
from limelight.api import apikeys as apikeys_api
from limelight.api import checks as checks_api
from limelight.api import dashboards as dashboards_api
from limelight.api import datasets as datasets_api
from limelight.api import errors as errors_api
from limelight.api import events as events_api
from limelight.api import explain as explain_api
from limelight.api import loki as loki_api
from limelight.api import otlp as otlp_api
from limelight.api import prometheus as prometheus_api
from limelight.api import promql as promql_api
from limelight.api import query as query_api
from limelight.api import resources as resources_api
from limelight.api import sentry as sentry_api
from limelight.api import tail as tail_api
from limelight.api.http import http_error, json_response
from limelight.apikeys import KeyRing, Scope
from limelight.checks.probe import Prober
from limelight.checks.scheduler import CheckScheduler
from limelight.code import stored
from limelight.demo.background import start_in_server
from limelight.errors.notify import ErrorNotifier
from limelight.errors.store import GroupStore
from limelight.errors.tracker import ErrorTracker
from limelight.ingest.pipeline import IngestQueue
from limelight.ingest.policy import Policies, policies_from
from limelight.query.run import QueryEngine
from limelight.runtime import Runtime
from limelight.sessions import Sessions
from limelight.settings import Settings
from limelight.store.duckdb import DuckDBStore
from limelight.ui import routes as console_routes

log = logging.getLogger("limelight")

ADMIN_KEY_FILE = "admin.key"
DATABASE_FILE = "limelight.duckdb"
# How often the server looks for datasets with enough rows to seal (a check of counters).
SEAL_CHECK_INTERVAL_S = 1.0


def admin_key_path(data_dir: Path) -> Path:
    return data_dir / ADMIN_KEY_FILE


def open_runtime(settings: Settings) -> Runtime:
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    store = DuckDBStore(
        settings.data_dir / DATABASE_FILE,
        max_columns=settings.max_columns,
        default_retention_days=settings.retention_days,
        segment_rows=settings.segment_rows,
    )
    engine = QueryEngine(store)
    keys = KeyRing(store, settings.admin_key)
    if keys.empty():
        _first_keys(keys, settings.data_dir)
    policies = Policies(_obfuscation_secret(store))
    policies.replace(policies_from(store.meta_list(stored.COLLECTION).values()))
    queue = IngestQueue(store, settings.queue_max_rows, policies)
    queue.start()
    sessions = Sessions(store, keys, settings.session_hours * 3600)
    return Runtime(settings, store, queue, engine, keys, sessions)


def _obfuscation_secret(store: DuckDBStore) -> bytes:
    """The server's own key for hashing obfuscated values: made once, kept in the store."""
    doc = store.meta_get("server", "obfuscation")
    if doc is None:
        doc = {"secret": secrets.token_hex(32)}
        store.meta_put("server", "obfuscation", doc)
    return bytes.fromhex(doc["secret"])


def close_runtime(runtime: Runtime) -> None:
    runtime.queue.stop()
    runtime.store.close()


def _first_keys(keys: KeyRing, data_dir: Path) -> None:
    """First start: an admin and an ingest key, printed once; the admin key kept for local CLIs."""
    admin, _ = keys.create(Scope.ADMIN, "first admin key")
    ingest, _ = keys.create(Scope.INGEST, "first ingest key")
    path = admin_key_path(data_dir)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(admin + "\n")
    print(
        "Limelight created its first API keys (shown once):\n"
        f"  admin  {admin}\n  ingest {ingest}\n"
        f"The admin key is also in {path} (owner-only) for CLIs on this machine.",
        file=sys.stderr,
        flush=True,
    )


async def _retention_loop(runtime: Runtime) -> None:
    while True:
        await asyncio.sleep(runtime.settings.retention_interval_s)
        await asyncio.to_thread(enforce_retention, runtime.store, runtime.queue.policies)


async def _seal_loop(runtime: Runtime) -> None:
    while True:
        await asyncio.sleep(SEAL_CHECK_INTERVAL_S)
        try:
            await asyncio.to_thread(runtime.store.seal_due)
        except Exception:  # the rows stay in the table; the next pass tries again
            log.exception("sealing a segment failed")


def enforce_retention(store: DuckDBStore, policies: Policies) -> dict[str, int]:
    """Delete every dataset's events older than its retention; returns rows deleted per dataset.

    A `dataset` resource's retention wins over one set with PATCH /api/datasets.
    """
    now = time.time_ns()
    deleted = {}
    for name in list(store.schemas()):
        days = policies.retention_days(name) or store.retention_days(name)
        cutoff = now - days * 86_400 * 1_000_000_000
        try:
            deleted[name] = store.delete_before(name, cutoff)
        except Exception:  # one dataset's failure must not stop the others' retention
            log.exception("retention failed for dataset %s", name)
    return deleted


async def healthz(request: Request) -> Response:
    """200 while the store answers; 503 once it cannot (a database DuckDB invalidated after
    a failed write, e.g. on a full disk, stays so until the server restarts)."""
    runtime: Runtime = request.app.state.limelight
    try:
        await asyncio.to_thread(runtime.store.execute, "SELECT 1")
    except Exception as exc:
        log.error("health check: the store does not answer: %s", exc)
        return json_response({"status": "unavailable", "error": str(exc)}, 503)
    return json_response({"status": "ok"})


def create_app(settings: Settings) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runtime = await asyncio.to_thread(open_runtime, settings)
        app.state.limelight = runtime
        retention = asyncio.create_task(_retention_loop(runtime))
        sealing = asyncio.create_task(_seal_loop(runtime))
        app.state.alerts = alerts = AlertManager(
            runtime.store, runtime.engine.run, public_url=settings.console_url,
            min_frequency_ns=int(settings.alert_min_frequency_s * 1e9))
        await alerts.start()
        app.state.checks = checks = CheckScheduler(
            runtime.store, runtime.queue.submit, alerts.dispatcher,
            Prober(Path(settings.check_ca_file) if settings.check_ca_file else None),
            console_url=settings.console_url,
            min_interval_ns=int(settings.check_min_interval_s * 1e9),
            concurrency=settings.check_concurrency)
        await checks.start()
        app.state.errors = errors = ErrorTracker(GroupStore(runtime.store), ErrorNotifier(
            runtime.store, alerts.dispatcher, settings.console_url, asyncio.get_running_loop()))
        errors.start()
        runtime.queue.derivations.append(errors)
        demo = start_in_server(runtime) if settings.demo else None
        try:
            yield
        finally:
            if demo is not None:
                await asyncio.to_thread(demo.stop)
            runtime.queue.derivations.remove(errors)
            await asyncio.to_thread(errors.stop)
            await checks.stop()
            await alerts.stop()
            retention.cancel()
            sealing.cancel()
            await asyncio.to_thread(close_runtime, runtime)

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        *otlp_api.routes,
        *sentry_api.routes,
        *prometheus_api.routes,
        *promql_api.routes,
        *loki_api.routes,
        *events_api.routes,
        *query_api.routes,
        *datasets_api.routes,
        *explain_api.routes,
        *apikeys_api.routes,
        *alerts_api.routes,
        *checks_api.routes,
        *resources_api.routes,
        *dashboards_api.routes,
        *errors_api.routes,
        *tail_api.routes,
        *console_routes,
    ]
    return Starlette(routes=routes, lifespan=lifespan,
                     exception_handlers={HTTPException: http_error})
