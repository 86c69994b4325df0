"""Console login: an API key posted once becomes an HTTP-only session cookie.

Pages need a session that may query; without one they redirect to the login page,
which sends the browser back where it was going after login.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs, quote, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from limelight.api.http import read_body
from limelight.apikeys import Scope, allows
from limelight.exceptions import LimelightError
from limelight.runtime import Runtime
from limelight.sessions import COOKIE, Session, csrf_matches
from limelight.ui.render import render

ConsolePage = Callable[[Request, Session, Scope], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]
MAX_FORM_BYTES = 16 * 1024


def session_of(request: Request) -> tuple[Session, Scope] | None:
    session_id = request.cookies.get(COOKIE)
    if not session_id:
        return None
    runtime: Runtime = request.app.state.limelight
    return runtime.sessions.get(session_id)


def console_page(page: ConsolePage) -> Endpoint:
    """Runs `page` for a logged-in browser; sends anyone else to log in first."""

    @functools.wraps(page)
    async def guarded(request: Request) -> Response:
        found = session_of(request)
        if found is None or not allows(found[1], Scope.QUERY):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='')}", 303)
        return await page(request, *found)

    return guarded


def safe_next(target: str | None) -> str:
    """Where to go after login: only a path on this server, never another site."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


def same_origin(request: Request) -> bool:
    """False when the browser says the form came from another site (login CSRF)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        # Browsers send Origin on every cross-site POST; a missing one is a same-site
        # form or a non-browser client, which has no cookie jar to abuse.
        return origin is None
    runtime: Runtime = request.app.state.limelight
    # Our own host, or the public URL's when a proxy in front rewrites Host.
    ours = (request.headers.get("host", ""), urlsplit(runtime.settings.console_url).netloc)
    return urlsplit(origin).netloc in ours


async def login(request: Request) -> Response:
    """POST /login: check the key; set the session cookie or show the form with the reason."""
    form = await form_fields(request)
    key = form.get("key", "").strip()
    target = safe_next(form.get("next"))
    runtime: Runtime = request.app.state.limelight
    if not same_origin(request):
        return render(request, "login.html", {"next": target,
                                              "error": "This login came from another site."},
                      status=403)
    scope = runtime.keys.check(key) if key else None
    problem = None
    if scope is None:
        problem = "That key is unknown or revoked. Use a query or admin key " \
                  "(limelight keys create --scope query)."
    elif not allows(scope, Scope.QUERY):
        problem = "That key may only ingest. Log in with a query or admin key."
    opened = await run_in_threadpool(runtime.sessions.open, key) if problem is None else None
    if opened is None:
        return render(request, "login.html", {"next": target, "error": problem}, status=401)
    session_id, _ = opened
    response = RedirectResponse(target, 303)
    response.set_cookie(
        COOKIE, session_id, max_age=int(runtime.settings.session_hours * 3600), path="/",
        secure=is_https(request), httponly=True, samesite="strict",
    )
    return response


async def logout(request: Request) -> Response:
    """POST /logout (with the page's CSRF token): end the session and clear the cookie."""
    form = await form_fields(request)
    found = session_of(request)
    if found is not None:
        if not csrf_matches(found[0], form.get("csrf")):
            return Response("Logout needs the page's token; reload the page.", 403)
        runtime: Runtime = request.app.state.limelight
        await run_in_threadpool(runtime.sessions.close, request.cookies[COOKIE])
    response = RedirectResponse("/login", 303)
    response.delete_cookie(COOKIE, path="/", secure=is_https(request), httponly=True,
                           samesite="strict")
    return response


async def form_fields(request: Request) -> dict[str, str]:
    """The fields of a small url-encoded form (the login and logout forms), first value each."""
    try:
        body = await read_body(request, MAX_FORM_BYTES)
    except LimelightError:
        return {}
    return {name: values[0] for name, values in parse_qs(body.decode("utf-8", "replace")).items()}


def is_https(request: Request) -> bool:
    """Secure cookies when the browser reaches us over TLS (directly or via the public URL)."""
    runtime: Runtime = request.app.state.limelight
    return request.url.scheme == "https" or runtime.settings.console_url.startswith("https:")
