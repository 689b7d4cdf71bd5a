"""The ASGI application: routers, guards and error pages, over the flows in ``Deps``."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.staticfiles import StaticFiles

from entryway import __version__
from entryway.core.articles import HelpCenter
from entryway.core.locales import N_
from entryway.errors import EntrywayError
from entryway.flows.ports import Deps
from entryway.web.api import account as account_api
from entryway.web.api import cases as cases_api
from entryway.web.api import docs, identity, recovery, registration, second_step
from entryway.web.api import passkeys as passkeys_api
from entryway.web.api import questions as questions_api
from entryway.web.api import sign_in as sign_in_api
from entryway.web.api import suspension as suspension_api
from entryway.web.api import two_step as two_step_api
from entryway.web.errors import (
    BodyLimit,
    api_error,
    crashed,
    from_entryway,
    from_http,
    from_validation,
    is_api,
    our_sentence,
)
from entryway.web.head import HeadAsGet
from entryway.web.i18n import ApiContentLanguage, PageTemplates, gettext_for, said
from entryway.web.observe import NO_TELEMETRY
from entryway.web.oidc import authorize as oidc_authorize
from entryway.web.oidc import endpoints as oidc_endpoints
from entryway.web.oidc import logout as oidc_logout
from entryway.web.oidc.protocol import Provider
from entryway.web.pages import (
    account,
    auth,
    cases,
    closing,
    dev,
    language,
    questions,
    recovery_links,
    register,
    reset,
    suspension,
    two_step,
    two_step_settings,
)
from entryway.web.pages import help as help_pages
from entryway.web.pages import messages as message_pages
from entryway.web.pages import passkeys as passkey_pages
from entryway.web.pages import recovery as recovery_pages
from entryway.web.render import NeedsSignIn, Web, make_templates, me_or_none, page, redirect
from entryway.web.routing import RouteTable
from entryway.web.security import SiteMiddleware, WebConfig

STATIC = Path(__file__).with_name("static")
NOT_FOUND = N_("We couldn't find that page.")
UNREADABLE_FORM = N_("We couldn't read that request. Go back and try again.")
log = logging.getLogger("entryway.web")
OUTAGE = N_("We can't reach our records just now. Please try again in a moment.")
RETRY_SOON = {"Retry-After": "2"}
# The OpenID Connect endpoints an app calls (not a browser): an outage answers in their
# JSON error shape; /oauth/authorize and /oauth/logout are pages, and answer as pages do.
OAUTH_JSON = frozenset(
    {
        "/oauth/token",
        "/oauth/revoke",
        "/oauth/introspect",
        "/oauth/userinfo",
        "/oauth/jwks",
        "/.well-known/openid-configuration",
    }
)
PAGE_ERRORS = {
    404: NOT_FOUND,
    405: N_("That address doesn't take that kind of request."),
    413: N_("That request is too large."),
}

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def _openapi(app: FastAPI, table: RouteTable) -> dict[str, Any]:
    """The OpenAPI document of the app's own routes and those of its table (FastAPI's own
    ``openapi()`` reads only the routes it was given; the table is one route to it)."""
    if not app.openapi_schema:
        app.openapi_schema = get_openapi(
            title=app.title,
            version=app.version,
            openapi_version=app.openapi_version,
            description=app.description,
            routes=[*app.routes, *table.routes],
            tags=app.openapi_tags,
            servers=app.servers,
        )
    return app.openapi_schema


def create_app(
    deps: Deps,
    config: WebConfig,
    lifespan: Lifespan | None = None,
    *,
    articles: HelpCenter,
    templates: PageTemplates | None = None,
) -> FastAPI:
    """Build the app; ``lifespan`` (from bootstrap) starts and stops background work."""
    app = FastAPI(
        title="Entryway",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,  # our own page in web/api/docs.py: FastAPI's has inline script
        redoc_url=None,
        openapi_url="/openapi.json",
        telemetry=NO_TELEMETRY,
        description="Sign-in and account recovery for one regional site. Every "
        "request's Host header selects the site.",
    )
    app.state.web = Web(
        deps=deps, config=config, templates=templates or make_templates(), articles=articles
    )
    app.state.oidc = Provider(deps)  # authlib's server, with nothing per request in it
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    routers = (
        *(oidc.router for oidc in (oidc_endpoints, oidc_authorize, oidc_logout)),  # RFC errors
        cases.router,  # ahead of /account/{kind} and /help/{slug}
        passkey_pages.router,  # ahead of /account/{kind} too
        auth.router,
        register.router,
        two_step.router,
        two_step_settings.router,  # ahead of /account/{kind}, which would swallow its paths
        questions.router,
        message_pages.router,
        closing.router,  # ahead of /account/{kind}
        account.router,
        reset.router,
        recovery_pages.router,
        recovery_links.router,
        suspension.router,
        language.router,
        sign_in_api.router,
        second_step.router,
        registration.router,
        account_api.router,
        two_step_api.router,
        questions_api.router,
        recovery.router,
        identity.router,
        cases_api.router,
        suspension_api.router,
        passkeys_api.router,
        docs.router,
        *((dev.router,) if config.demo else ()),
        # Last of the pages: /help/<article> would otherwise shadow any /help/... route
        # another router adds.
        help_pages.router,
    )
    table = RouteTable(route for router in routers for route in router.routes)
    app.router.routes.append(table)
    app.openapi = functools.partial(_openapi, app, table)  # type: ignore[method-assign]

    @app.exception_handler(EntrywayError)
    async def on_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, EntrywayError)
        if is_api(request):
            return from_entryway(request, exc)
        return page(
            request,
            "error.html",
            status=exc.status,
            message=said(request, exc),
            me=await me_or_none(request),
        )

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if is_api(request):
            return from_validation(exc.errors(), request)
        return page(
            request, "error.html", status=400, message=gettext_for(request)(UNREADABLE_FORM)
        )

    @app.exception_handler(Exception)
    async def on_crash(request: Request, exc: Exception) -> Response:
        # Starlette logs the exception and re-raises it after this answer.
        if is_api(request):
            return crashed(request)
        return PlainTextResponse("Something went wrong on our side.", status_code=500)

    async def on_outage(request: Request, exc: Exception) -> Response:
        """The database out of reach (a restart, a failover): 503 with the error shape and
        a Retry-After, logged without a trace; any other storage error is a 500."""
        if not config.is_outage(exc):
            log.error("storage error", exc_info=exc)
            if is_api(request):
                return crashed(request)
            return PlainTextResponse("Something went wrong on our side.", status_code=500)
        log.warning("storage out of reach", extra={"error": type(exc).__name__})
        message, locale = our_sentence(request, OUTAGE)
        if request.url.path in OAUTH_JSON:
            # The apps' own error shape (RFC 6749 §5.2), with the code §4.1.2.1 defines for
            # a server that cannot answer now; the description in plain ASCII, untranslated,
            # as the RFC's character set requires.
            return oidc_endpoints.oauth_error(503, "temporarily_unavailable", OUTAGE, **RETRY_SOON)
        if is_api(request):
            return api_error(503, "unavailable", message, locale=locale, **RETRY_SOON)
        # me=None: the page must not ask the database who is signed in.
        response = page(request, "error.html", status=503, message=message, me=None)
        response.headers.update(RETRY_SOON)
        return response

    for outage in config.outage_types:
        app.add_exception_handler(outage, on_outage)

    @app.exception_handler(NeedsSignIn)
    async def on_needs_sign_in(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, NeedsSignIn)
        return redirect(exc.back_to)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if is_api(request) or request.url.path.startswith("/static/"):
            return from_http(exc, request)
        message = gettext_for(request)(PAGE_ERRORS.get(exc.status_code, UNREADABLE_FORM))
        response = page(request, "error.html", status=exc.status_code, message=message)
        response.headers.update(dict(exc.headers or {}))
        return response

    app.add_middleware(ApiContentLanguage)
    app.add_middleware(BodyLimit)
    app.add_middleware(HeadAsGet)
    app.add_middleware(SiteMiddleware, sites=deps.sites)
    return app
