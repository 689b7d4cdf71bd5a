"""The ASGI application: routers, guards and error pages, over the flows in ``Deps``."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.staticfiles import StaticFiles

from entryway import __version__
from entryway.errors import EntrywayError, SignInThrottled
from entryway.flows.ports import Deps
from entryway.web.api import docs, recovery, v1
from entryway.web.pages import account, auth, dev, reset, two_step
from entryway.web.render import NeedsSignIn, Web, make_templates, me_or_none, page, redirect
from entryway.web.security import SiteMiddleware, WebConfig

STATIC = Path(__file__).with_name("static")
NOT_FOUND = "We couldn't find that page."

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def create_app(deps: Deps, config: WebConfig, lifespan: Lifespan | None = None) -> FastAPI:
    """Build the app; ``lifespan`` (from bootstrap) starts and stops background work."""
    app = FastAPI(
        title="Entryway",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,  # our own page in web/api/docs.py: FastAPI's has inline script
        redoc_url=None,
        openapi_url="/openapi.json",
        description="Sign-in and account recovery for one regional site. Every "
        "request's Host header selects the site.",
    )
    app.state.web = Web(deps=deps, config=config, templates=make_templates())
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(auth.router)
    app.include_router(two_step.router)  # before /account/{kind} can swallow its paths
    app.include_router(account.router)
    app.include_router(reset.router)
    app.include_router(v1.router)
    app.include_router(recovery.router)
    app.include_router(docs.router)
    if config.demo:
        app.include_router(dev.router)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> PlainTextResponse:
        return PlainTextResponse("ok")

    @app.exception_handler(EntrywayError)
    async def on_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, EntrywayError)
        if request.url.path.startswith("/api/"):
            response = JSONResponse(
                {"error": {"code": exc.code, "message": exc.message, "field": exc.field}},
                status_code=exc.status,
            )
            if isinstance(exc, SignInThrottled):
                response.headers["retry-after"] = str(exc.retry_after)
            return response
        return page(
            request,
            "error.html",
            status=exc.status,
            message=exc.message,
            me=await me_or_none(request),
        )

    @app.exception_handler(NeedsSignIn)
    async def on_needs_sign_in(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, NeedsSignIn)
        return redirect(exc.back_to)

    @app.exception_handler(404)
    async def on_missing(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith(("/api/", "/static/")):
            return JSONResponse(
                {"error": {"code": "not_found", "message": "Not found.", "field": None}},
                status_code=404,
            )
        return page(request, "error.html", status=404, message="We couldn't find that page.")

    app.add_middleware(SiteMiddleware, sites=deps.sites)
    return app
