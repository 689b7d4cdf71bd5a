"""The console's ASGI app: its routes, error pages and guards, on its own origin."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.staticfiles import StaticFiles

from entryway.errors import EntrywayError
from entryway.flows.ports import Deps
from entryway.web.console import accounts, admin, admin_api, cases, pages, passkeys
from entryway.web.console.render import (
    Console,
    ConsoleConfig,
    ConsoleGuard,
    NeedsConsoleSignIn,
    actor_or_none,
    console_page,
    make_templates,
    redirect,
)
from entryway.web.errors import (
    BodyLimit,
    api_error,
    crashed,
    from_entryway,
    from_http,
    from_validation,
)
from entryway.web.head import HeadAsGet
from entryway.web.observe import NO_TELEMETRY

STATIC = Path(__file__).parent.parent / "static"
OUTAGE = "We can't reach the database just now. Please try again in a moment."
RETRY_SOON = {"Retry-After": "2"}
log = logging.getLogger("entryway.console")
ERRORS = {
    404: "We couldn't find that page.",
    405: "That address doesn't take that kind of request.",
}


def create_console_app(deps: Deps, config: ConsoleConfig) -> FastAPI:
    """The console: no OpenAPI document, no customer route, no lifespan of its own (the
    customer app's runs once for the process)."""
    app = FastAPI(
        title="Entryway console",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        telemetry=NO_TELEMETRY,
    )
    app.state.console = Console(deps=deps, config=config, templates=make_templates())
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(pages.router)
    app.include_router(passkeys.router)
    app.include_router(admin_api.router)  # ahead of the /admin pages
    app.include_router(admin.router)
    app.include_router(cases.router)
    app.include_router(accounts.router)

    async def _actor_if_reachable(request: Request) -> None:
        """Who is signed in, for an error page's header; nobody when the database is out
        of reach (the page must still answer, not fail into a 500)."""
        with contextlib.suppress(*config.outage_types):
            await actor_or_none(request)

    @app.exception_handler(NeedsConsoleSignIn)
    async def on_needs_sign_in(request: Request, exc: Exception) -> Response:
        return redirect("/signin")

    @app.exception_handler(EntrywayError)
    async def on_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, EntrywayError)
        if admin_api.is_admin_api(request.url.path):
            return from_entryway(request, exc)
        await _actor_if_reachable(request)
        return console_page(request, "error.html", status=exc.status, message=exc.message)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if admin_api.is_admin_api(request.url.path):
            return from_validation(exc.errors())
        return console_page(
            request, "error.html", status=400, message="We couldn't read that request."
        )

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if request.url.path.startswith("/static/"):
            return PlainTextResponse("Not found.", status_code=exc.status_code)
        if admin_api.is_admin_api(request.url.path):
            return from_http(exc)
        await _actor_if_reachable(request)
        message = ERRORS.get(exc.status_code, "We couldn't read that request.")
        return console_page(request, "error.html", status=exc.status_code, message=message)

    async def on_outage(request: Request, exc: Exception) -> Response:
        """The database out of reach: 503 with Retry-After, a page that reads nothing (no
        staff member is looked up), or the admin API's error shape; else a 500."""
        if not config.is_outage(exc):
            log.error("storage error", exc_info=exc)
            if admin_api.is_admin_api(request.url.path):
                return crashed(request)
            return PlainTextResponse("Something went wrong on our side.", status_code=500)
        log.warning("storage out of reach", extra={"error": type(exc).__name__})
        if admin_api.is_admin_api(request.url.path):
            return api_error(503, "unavailable", OUTAGE, **RETRY_SOON)
        response = console_page(request, "error.html", status=503, message=OUTAGE)
        response.headers.update(RETRY_SOON)
        return response

    for outage in config.outage_types:
        app.add_exception_handler(outage, on_outage)

    app.add_middleware(BodyLimit)
    app.add_middleware(HeadAsGet)
    app.add_middleware(ConsoleGuard)
    return app
