"""The console's pages. Each is a server-rendered shell; its script reads the state in the
URL and fills the page from the JSON API with the session cookie."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from limelight.apikeys import Scope, allows
from limelight.sessions import Session
from limelight.ui.auth import console_page, login, logout, safe_next, session_of
from limelight.ui.render import STATIC_DIR, render

NAV = (
    ("home", "Home", "/"),
    ("query", "Query", "/query"),
    ("events", "Events", "/events"),
    ("traces", "Traces", "/traces"),
    ("errors", "Errors", "/errors"),
    ("alerts", "Alerts", "/alerts"),
    ("checks", "Checks", "/checks"),
    ("dashboards", "Dashboards", "/dashboards"),
    ("settings", "Settings", "/settings"),
)
_TRACE_ID = re.compile(r"^[0-9a-fA-F]{32}\Z")


def _page(request: Request, session: Session, scope: Scope, template: str,
          active: str | None = None, status: int = 200, **extra: Any) -> Response:
    context = {"nav": NAV, "active": active or template, "csrf": session.csrf,
               "admin": scope is Scope.ADMIN, **extra}
    return render(request, f"{template}.html", context, status)


def _simple(name: str, path: str) -> Route:
    """A page whose template needs nothing but the session: its script does the rest."""

    @console_page
    async def show(request: Request, session: Session, scope: Scope) -> Response:
        return _page(request, session, scope, name)

    return Route(path, show, methods=["GET"])


@console_page
async def trace_page(request: Request, session: Session, scope: Scope) -> Response:
    trace_id = request.path_params["trace_id"]
    if not _TRACE_ID.match(trace_id):
        return _page(request, session, scope, "message", "traces", 404, title="Not a trace id",
                     message=f"{trace_id!r} is not a trace id (32 hexadecimal characters).")
    return _page(request, session, scope, "trace", "traces", trace_id=trace_id.lower())


@console_page
async def error_page(request: Request, session: Session, scope: Scope) -> Response:
    """One error group: where alert notifications for new and regressed errors link to."""
    return _page(request, session, scope, "error", "errors",
                 group_id=request.path_params["group_id"])


@console_page
async def alert_page(request: Request, session: Session, scope: Scope) -> Response:
    """One alert: its state, instances and history of transitions and deliveries."""
    return _page(request, session, scope, "alert", "alerts",
                 service=request.path_params["service"],
                 alert_id=request.path_params["alert_id"])


@console_page
async def check_page(request: Request, session: Session, scope: Scope) -> Response:
    """One health check: its status, kept runs and latest notifications."""
    return _page(request, session, scope, "check", "checks",
                 service=request.path_params["service"],
                 check_id=request.path_params["check_id"])


@console_page
async def dashboard_page(request: Request, session: Session, scope: Scope) -> Response:
    """One dashboard defined as code, its widgets drawn from GET /api/dashboards/..."""
    return _page(request, session, scope, "dashboard", "dashboards",
                 service=request.path_params["service"],
                 dashboard_id=request.path_params["dashboard_id"])


async def login_page(request: Request) -> Response:
    target = safe_next(request.query_params.get("next"))
    found = session_of(request)
    if found is not None and allows(found[1], Scope.QUERY):
        return RedirectResponse(target, 303)
    return render(request, "login.html", {"next": target, "error": None})


routes = [
    *(_simple(name, path) for name, _, path in NAV),
    Route("/traces/{trace_id}", trace_page, methods=["GET"]),
    Route("/errors/{group_id}", error_page, methods=["GET"]),
    Route("/alerts/{service}/{alert_id}", alert_page, methods=["GET"]),
    Route("/checks/{service}/{check_id}", check_page, methods=["GET"]),
    Route("/dashboards/{service}/{dashboard_id}", dashboard_page, methods=["GET"]),
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
]
