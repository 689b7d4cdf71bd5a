"""The language of each request, and page templates that speak it.

A request is answered in the customer's choice (the ``lang`` cookie the footer sets), else
the best of its ``Accept-Language`` among the site's locales, else the site's default
(``core.locales.negotiate``). Pages say it in ``<html lang>`` and every response in
``Content-Language``; the JSON API takes ``Accept-Language`` the same way."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from jinja2 import BaseLoader, ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request, cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from entryway.core.locales import Catalogs, language, negotiate
from entryway.core.sites import Site
from entryway.errors import EntrywayError
from entryway.web import formatting
from entryway.web.security import cookie_name, site_of

LANG = "ew_lang"  # the language the customer picked in the footer
LANG_MAX_AGE = 400 * 24 * 3600


def locale_of(request: Request, site: Site | None = None) -> str:
    """The locale this request is answered in (worked out once per request)."""
    return scope_locale(request.scope, site)


def scope_locale(scope: Scope, site: Site | None = None) -> str:
    """``locale_of`` on the bare scope: read straight from its headers and kept in its
    state (where ``request.state.locale`` finds it), without building a ``Request``, its
    headers and its cookies, which cost a session check more than the negotiation did."""
    state = scope.setdefault("state", {})
    cached = state.get("locale")
    if isinstance(cached, str):
        return cached
    if site is None:
        site = state["site"]
        assert isinstance(site, Site)
    cookies: dict[str, str] = {}
    accept_language: str | None = None
    for name, value in scope["headers"]:
        if name == b"cookie":  # every Cookie header counts, as for request.cookies
            cookies.update(cookie_parser(value.decode("latin-1")))
        elif name == b"accept-language" and accept_language is None:
            accept_language = value.decode("latin-1")
    chosen = cookies.get(cookie_name(site, LANG))
    locale = negotiate(chosen, accept_language or "", site.locales)
    state["locale"] = locale
    return locale


class ApiContentLanguage:
    """Every JSON API answer says its language (``Content-Language``), negotiated like a
    page's: the language cookie, else ``Accept-Language`` among the site's locales, else
    the site's default. Runs inside ``SiteMiddleware``, which resolved the site."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith("/api/"):
            await self.app(scope, receive, send)
            return

        async def with_language(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                if b"content-language" not in names:
                    headers.append((b"content-language", scope_locale(scope).encode("latin-1")))
                if b"vary" not in names:  # a shared cache must not answer in another language
                    headers.append((b"vary", b"Accept-Language, Cookie"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_language)


class PageTemplates:
    """One Jinja environment per locale, each with its catalog installed; an operator's
    folder (``TEMPLATES_DIR``) is searched before the packaged templates."""

    def __init__(
        self,
        packaged: Path,
        catalogs: Catalogs,
        configure: Callable[[Environment], None],
        override: Path | None = None,
    ) -> None:
        loaders: list[BaseLoader] = [FileSystemLoader(packaged)]
        if override is not None:
            loaders.insert(0, FileSystemLoader(override))
        self._loader = ChoiceLoader(loaders)
        self._catalogs = catalogs
        self._configure = configure
        self._envs: dict[str, Environment] = {}

    def env(self, locale: str) -> Environment:
        env = self._envs.get(locale)
        if env is None:
            env = Environment(
                loader=self._loader,
                autoescape=select_autoescape(),
                trim_blocks=True,
                lstrip_blocks=True,
                extensions=["jinja2.ext.i18n"],
            )
            env.policies["ext.i18n.trimmed"] = True
            env.install_gettext_translations(  # type: ignore[attr-defined]
                self._catalogs.get(locale), newstyle=True
            )
            self._configure(env)
            self._envs[locale] = env
        return env

    def gettext(self, locale: str) -> Callable[[str], str]:
        return self._catalogs.get(locale).gettext


def said(request: Request, exc: EntrywayError) -> str:
    """An error's message in the request's language; a time in it (``errors.Moment``) is
    written as that locale writes times, in the site's zone (English keeps the flow's own
    words, which already are)."""
    web = request.app.state.web
    site = site_of(request)
    locale = locale_of(request, site)
    gettext = web.templates.gettext(locale)
    if language(locale) == "en":
        return exc.said(gettext)
    return exc.said(gettext, lambda at: formatting.when(at, site, locale))


def gettext_for(request: Request) -> Callable[[str], str]:
    """The request's catalog, for texts a page handler writes itself."""
    web = request.app.state.web
    gettext: Callable[[str], str] = web.templates.gettext(locale_of(request))
    return gettext
