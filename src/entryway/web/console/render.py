"""Console plumbing for every console page: its config, cookies, CSRF, the signed-in actor,
role checks and the page renderer. Later console pages use ``console_page``,
``console_form``, ``actor_page`` and ``require_role``."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from entryway.core.secrets import new_token, same_secret
from entryway.core.staff import Actor, Role, format_roles, format_sites
from entryway.errors import Forbidden, NotFound, Unauthenticated
from entryway.flows.ports import Deps, Requester
from entryway.flows.staff import session as staff_session
from entryway.web.security import SECURITY_HEADERS, Network, client_ip

TEMPLATES = Path(__file__).with_name("templates")
STAFF = "ew_staff"  # the console session, at whatever level (enrol, partial, full)
CSRF = "ew_staff_csrf"
ENROL = "ew_staff_enrol"  # the enrolment link's token, swapped out of the URL
NOT_FOUND = "We couldn't find that page."


@dataclass(frozen=True, slots=True)
class ConsoleConfig:
    """What the console needs beyond the flows' dependencies."""

    url: str  # the console's origin, e.g. https://console.example
    csrf_key: bytes  # its own, derived apart from the customer pages' key
    settings: tuple[tuple[str, str], ...] = ()  # redacted, for /admin/settings
    trusted_proxies: tuple[Network, ...] = ()
    demo: bool = False
    # What says the database is out of reach (web/security.WebConfig's, the same): a 503
    # with Retry-After, not a 500.
    outage_types: tuple[type[Exception], ...] = ()
    is_outage: Callable[[BaseException], bool] = lambda _exc: False

    @property
    def secure(self) -> bool:
        return self.url.startswith("https://")


@dataclass(frozen=True, slots=True)
class Console:
    deps: Deps
    config: ConsoleConfig
    templates: Environment


def make_templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["roles"] = format_roles
    env.globals["format_sites"] = format_sites
    return env


def console_of(request: Request) -> Console:
    console = request.app.state.console
    assert isinstance(console, Console)
    return console


class ConsoleGuard:
    """Security headers on every console answer, as on the customer pages."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in str(scope.get("path", "")):
            response = HTMLResponse("Not found.", status_code=404)
            response.raw_headers.extend(SECURITY_HEADERS)
            await response(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, with_headers)


def cookie_name(config: ConsoleConfig, name: str) -> str:
    """``__Host-`` under https: host-only, Secure, Path=/."""
    return f"__Host-{name}" if config.secure else name


def cookie(request: Request, name: str) -> str | None:
    return request.cookies.get(cookie_name(console_of(request).config, name))


def set_cookie(
    request: Request, response: Response, name: str, value: str, *, max_age: int | None = None
) -> None:
    # Lax, like the customer pages: a link to a console page from a ticket or a chat must
    # arrive signed in; every state change is a POST with a CSRF token anyway.
    config = console_of(request).config
    response.set_cookie(
        cookie_name(config, name),
        value,
        max_age=max_age,
        path="/",
        secure=config.secure,
        httponly=True,
        samesite="lax",
    )


def clear_cookie(request: Request, response: Response, name: str) -> None:
    config = console_of(request).config
    response.delete_cookie(
        cookie_name(config, name), path="/", secure=config.secure, httponly=True, samesite="lax"
    )


def csrf_token(config: ConsoleConfig, binding: str) -> str:
    """A form token bound to the browser's console CSRF cookie (signed double submit)."""
    mac = hmac.new(config.csrf_key, f"console-csrf|{binding}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()


def who(request: Request) -> Requester:
    ip = client_ip(request, console_of(request).config.trusted_proxies)
    return Requester(ip=ip[:64], user_agent=request.headers.get("user-agent", "")[:300])


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


class NeedsConsoleSignIn(Exception):
    """Raised by ``actor_page``; the console answers with a redirect to its sign-in."""


async def actor_or_none(request: Request) -> Actor | None:
    cached = getattr(request.state, "actor", _UNKNOWN)
    if cached is not _UNKNOWN:
        assert cached is None or isinstance(cached, Actor)
        return cached
    try:
        actor: Actor | None = await staff_session.current_actor(
            console_of(request).deps, cookie(request, STAFF)
        )
    except Unauthenticated:
        actor = None
    request.state.actor = actor
    return actor


_UNKNOWN = object()


async def actor_page(request: Request) -> Actor:
    """Dependency for every console page behind sign-in: the Actor, or off to /signin."""
    actor = await actor_or_none(request)
    if actor is None:
        raise NeedsConsoleSignIn()
    return actor


def require_role(actor: Actor, *roles: Role) -> None:
    """A page none of whose roles the actor holds answers 404, like a page that does not
    exist (no 403 to tell the page is there, SECURITY.md 33)."""
    if not any(actor.has(r) for r in roles):
        raise NotFound(NOT_FOUND)


def console_page(request: Request, template: str, *, status: int = 200, **ctx: Any) -> HTMLResponse:
    """Render a console page with the actor (if any), a CSRF token and no-store."""
    console = console_of(request)
    binding = cookie(request, CSRF)
    fresh = None
    if not binding:
        binding = fresh = new_token(console.deps.rng)
    actor = getattr(request.state, "actor", None)
    body = console.templates.get_template(template).render(
        csrf=csrf_token(console.config, binding),
        actor=actor if isinstance(actor, Actor) else None,
        demo=console.config.demo,
        Role=Role,
        **ctx,
    )
    response = HTMLResponse(body, status_code=status)
    response.headers["cache-control"] = "no-store"
    if fresh:
        set_cookie(request, response, CSRF, fresh)
    return response


async def console_form(request: Request) -> FormData:
    """The submitted form, after the console's own CSRF check."""
    form = await request.form()
    submitted = form.get("csrf")
    binding = cookie(request, CSRF)
    expected = csrf_token(console_of(request).config, binding) if binding else ""
    if not binding or not isinstance(submitted, str) or not same_secret(expected, submitted):
        raise Forbidden("This form has expired. Please go back, reload the page and try again.")
    return form


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def start_session(request: Request, response: Response, token: str) -> None:
    """A new console session cookie, and a new CSRF binding with it (SECURITY.md 24)."""
    set_cookie(request, response, STAFF, token)
    set_cookie(request, response, CSRF, new_token(console_of(request).deps.rng))
