"""Shared plumbing for pages: the app's state, templates, CSRF, redirects and sessions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import Receive, Scope, Send

from entryway.core.articles import HelpCenter
from entryway.core.cases import CUSTOMER_STATE_LABELS
from entryway.core.devices import describe_user_agent
from entryway.core.events import ACTIVITY_LABELS, AuditAction
from entryway.core.locales import N_, Catalogs, language_name
from entryway.core.redirects import safe_return_to
from entryway.core.secrets import new_token
from entryway.core.sites import Site
from entryway.errors import Forbidden, Unauthenticated
from entryway.flows.account import account as account_flow
from entryway.flows.ports import Deps, Requester
from entryway.web import formatting
from entryway.web.i18n import PageTemplates, locale_of
from entryway.web.oidc import ticket
from entryway.web.security import (
    WebConfig,
    cookie_name,
    csp_allowing_form_target,
    csrf_ok,
    csrf_token,
    requester,
    set_cookie,
    site_of,
)

TEMPLATES = Path(__file__).with_name("templates")
SESSION = "ew_session"
CSRF = "ew_csrf"
IDENT = "ew_ident"
FLOW = "ew_flow"
DEVICE = "ew_device"
PARTIAL = "ew_partial"  # the partial session, between password and second step
REMEMBER_ASKED = "ew_keep"  # Keep me signed in, carried across the second step
BROWSER = "ew_browser"  # a remembered browser may skip the second step
BROWSER_MAX_AGE = 30 * 24 * 3600
SEALED_MAX = 4096  # an authorization request carried through sign-in (it is encoded again
# into the sign-in pages' addresses, which proxies cap at about 8 KiB)
DEVICE_MAX_AGE = 400 * 24 * 3600  # browsers cap cookie lifetimes near this


@dataclass(frozen=True, slots=True)
class Web:
    deps: Deps
    config: WebConfig
    templates: PageTemplates  # one environment per locale (web.i18n)
    articles: HelpCenter  # rendered at start (bootstrap), read by pages/help.py


def make_templates(catalogs: Catalogs | None = None, override: Path | None = None) -> PageTemplates:
    """The customer pages' templates, per locale; ``override`` is the operator's folder."""
    return PageTemplates(TEMPLATES, catalogs or Catalogs(), _configure, override)


def _configure(env: Environment) -> None:
    env.filters["when"] = _when
    env.filters["device"] = _device
    env.filters["phone"] = formatting.phone
    env.filters["linkify"] = formatting.linkify
    env.globals["state_labels"] = CUSTOMER_STATE_LABELS
    env.filters["activity"] = _activity
    env.globals["language_name"] = language_name


def _plain_gettext(context: Context) -> Callable[[str], str]:
    """The page's catalog as a plain ``gettext`` (Jinja's ``_`` formats and marks safe)."""
    found = context.get("plain_gettext")
    return found if callable(found) else _same


def _same(text: str) -> str:
    return text


@pass_context
def _device(context: Context, user_agent: str) -> str:
    return describe_user_agent(user_agent, _plain_gettext(context))


@pass_context
def _activity(context: Context, action: str) -> str:
    """An audit action as the customer's activity list names it, in the page's language."""
    label = ACTIVITY_LABELS.get(AuditAction(action))
    return _plain_gettext(context)(label) if label else action


@pass_context
def _when(context: Context, value: datetime) -> str:
    """Times are written in the time zone of the site the page belongs to."""
    site = context["site"]
    assert isinstance(site, Site)
    return formatting.when(value, site, str(context.get("locale") or site.locale))


def web_of(request: Request) -> Web:
    web = request.scope["app"].state.web  # request.app, without the property's lookups
    assert isinstance(web, Web)
    return web


def who(request: Request) -> Requester:
    site = site_of(request)
    return requester(
        request,
        web_of(request).config,
        device=request.cookies.get(cookie_name(site, DEVICE), ""),
        locale=locale_of(request, site),
    )


class PageResponse(HTMLResponse):
    """A page rendered as it is sent, so that it can first look up who is signed in.

    Every page's header names the signed-in customer; handlers that know already pass
    ``me``, and for every other page (help, errors, 404s) the lookup happens here, once,
    and only when a page is actually sent (not for the redirects most forms answer)."""

    def __init__(self, request: Request, name: str, ctx: dict[str, Any], status: int) -> None:
        super().__init__(b"", status_code=status)
        self._request = request
        self._name = name
        self._ctx = ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if "me" not in self._ctx:
            self._ctx["me"] = await me_or_none(self._request)
        locale = self._ctx["locale"]
        template = web_of(self._request).templates.env(locale).get_template(self._name)
        self.body = self.render(template.render(**self._ctx))
        self.raw_headers = [(k, v) for k, v in self.raw_headers if k != b"content-length"]
        self.raw_headers.append((b"content-length", str(len(self.body)).encode("latin-1")))
        await super().__call__(scope, receive, send)


def page(request: Request, name: str, *, status: int = 200, **ctx: Any) -> HTMLResponse:
    """Render a page with the site, the other sites, who is signed in and a CSRF token
    (cookie set if new)."""
    web = web_of(request)
    site = site_of(request)
    binding = request.cookies.get(cookie_name(site, CSRF))
    fresh = None
    if not binding:
        binding = fresh = new_token(web.deps.rng)
    locale = locale_of(request, site)
    response = PageResponse(
        request,
        name,
        {
            "site": site,
            "locale": locale,
            "plain_gettext": web.templates.gettext(locale),  # for filters and page helpers
            "here": _here(request),  # where the footer's language choice comes back to
            "sites": web.deps.sites.sites,
            "csrf": csrf_token(web.config, site, binding),
            "demo": web.config.demo,
            **ctx,
        },
        status,
    )
    response.headers["cache-control"] = "no-store"
    target = _form_target(request, ctx.get("return_to"), ctx.get("form_target"))
    if target:
        response.headers["content-security-policy"] = csp_allowing_form_target(target)
    response.headers["content-language"] = locale
    response.headers["vary"] = "Accept-Language, Cookie"  # the language depends on both
    if fresh:
        set_cookie(response, site, CSRF, fresh)
    if not request.cookies.get(cookie_name(site, DEVICE)):
        set_cookie(response, site, DEVICE, new_token(web.deps.rng), max_age=DEVICE_MAX_AGE)
    return response


def _form_target(request: Request, back: Any, target: Any) -> str | None:
    """Where this page's form may end up besides this site: an app's redirect URI when the
    page carries a sealed authorization request (web/oidc/ticket.py), or a target the route
    checked itself (the consent and sign-out pages)."""
    if isinstance(target, str) and target:
        return target
    if not isinstance(back, str) or not back.startswith(ticket.PATH):
        return None
    deps = web_of(request).deps
    return ticket.redirect_origin(deps.keys, site_of(request).code, back, deps.clock.now())


def _here(request: Request) -> str:
    """This page's path and query, for coming back to it after a language choice; a link
    token never travels in a form (the landing pages have swapped it for a cookie)."""
    here = request.url.path
    kept = [(k, v) for k, v in parse_qsl(request.url.query, keep_blank_values=True) if k != "token"]
    return here + "?" + urlencode(kept) if kept else here


async def form_of(request: Request) -> FormData:
    """The submitted form, after the CSRF check every state-changing form must pass."""
    web = web_of(request)
    site = site_of(request)
    form = await request.form()
    submitted = form.get("csrf")
    if not csrf_ok(
        web.config,
        site,
        request.cookies.get(cookie_name(site, CSRF)),
        submitted if isinstance(submitted, str) else None,
    ):
        raise Forbidden(N_("This form has expired. Please go back, reload the page and try again."))
    return form


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def return_to(request: Request, candidate: str | None) -> str:
    site = site_of(request)
    if candidate and len(candidate) <= SEALED_MAX:
        deps = web_of(request).deps
        if ticket.from_return_to(deps.keys, site.code, candidate, deps.clock.now()):
            # An authorization request we sealed ourselves, a path on this site: the app's
            # own state and nonce in it may be long or hold any character.
            return candidate
    return safe_return_to(candidate, frozenset({site.origin}))


def signin_url(path: str) -> str:
    return "/signin?" + urlencode({"return_to": path})


async def me_or_none(request: Request) -> account_flow.Current | None:
    """The signed-in customer, or None; looked up once per request."""
    cached = getattr(request.state, "me", _UNKNOWN)
    if cached is not _UNKNOWN:
        assert cached is None or isinstance(cached, account_flow.Current)
        return cached
    site = site_of(request)
    try:
        me: account_flow.Current | None = await account_flow.current(
            web_of(request).deps, site.code, request.cookies.get(cookie_name(site, SESSION))
        )
    except Unauthenticated:
        me = None
    request.state.me = me
    return me


_UNKNOWN = object()


class NeedsSignIn(Exception):
    """Raised by ``signed_in_page``; the app answers with a redirect to sign in."""

    def __init__(self, back_to: str) -> None:
        super().__init__(back_to)
        self.back_to = back_to


async def signed_in_page(request: Request) -> account_flow.Current:
    """Dependency for pages behind sign-in: no session sends the customer to sign in and back."""
    me = await me_or_none(request)
    if me is None:
        raise NeedsSignIn(signin_url(request.url.path))
    return me


async def start_session(
    response: Response, request: Request, site: Site, token: str, *, remember: bool
) -> None:
    """Set the new session cookie and rotate the CSRF cookie (SECURITY.md 24); a session
    this browser still held ends (the same account's goes on in the new one)."""
    await account_flow.replace_session(
        web_of(request).deps,
        site.code,
        request.cookies.get(cookie_name(site, SESSION)),
        token,
        who(request),
    )
    policy = web_of(request).deps.session_policy
    max_age = int(policy.remembered_absolute.total_seconds()) if remember else None
    set_cookie(response, site, SESSION, token, max_age=max_age)
    set_cookie(response, site, CSRF, new_token(web_of(request).deps.rng))
