"""Request-level guards: host check, client IP, cookies, CSRF, security headers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from entryway.core.secrets import same_secret
from entryway.core.sites import Site, SiteDirectory
from entryway.flows.ports import Requester

Network = IPv4Network | IPv6Network


@dataclass(frozen=True, slots=True)
class WebConfig:
    """What the web layer needs beyond the flows' dependencies."""

    demo: bool
    csrf_key: bytes
    trusted_proxies: tuple[Network, ...] = ()
    # The storage's errors that can mean "out of reach for a moment", and the test of one
    # (adapters/sql/database.py): answered 503, not 500.
    outage_types: tuple[type[Exception], ...] = ()
    is_outage: Callable[[BaseException], bool] = lambda _exc: False

    @staticmethod
    def networks(cidrs: Iterable[str]) -> tuple[Network, ...]:
        return tuple(ip_network(c, strict=False) for c in cidrs)


SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),  # SECURITY.md 15
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        b"form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


_CSP_SOURCE = re.compile(
    r"^[a-z][a-z0-9+.-]*:(//[A-Za-z0-9.\-]+(:[0-9]{1,5})?|//\[[0-9a-fA-F:]+\](:[0-9]{1,5})?)?$"
)


def csp_allowing_form_target(target: str) -> str:
    """The page-wide policy, with ``target`` (an origin or a scheme) added to form-action:
    for the few pages whose form ends in a redirect to an app's registered redirect URI
    (Chromium holds the whole redirect chain of a form to form-action)."""
    policy = dict(SECURITY_HEADERS)[b"content-security-policy"].decode()
    if not _CSP_SOURCE.match(target):
        raise ValueError(f"not a CSP source: {target!r}")
    return policy.replace("form-action 'self'", f"form-action 'self' {target}")


def with_security_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The response's headers plus every security header it did not set itself: a route
    with a stricter policy of its own (an email's HTML part, framed by its own page) keeps
    it, since two CSP headers would both apply and the page-wide one forbids framing."""
    own = {name.lower() for name, _ in headers}
    return headers + [(name, value) for name, value in SECURITY_HEADERS if name not in own]


class SiteMiddleware:
    """Resolves the site from the exact Host header; unknown hosts get 400 (SECURITY.md 12).

    Links never use the request's host: they use the resolved site's configured origin.
    """

    def __init__(self, app: ASGIApp, sites: SiteDirectory) -> None:
        self.app = app
        self.sites = sites

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = ""
        for name, value in scope["headers"]:
            if name == b"host":
                host = value.decode("latin-1")
                break
        site = self.sites.by_host(host)
        api = str(scope.get("path", "")).startswith("/api/")
        if site is None:
            await _refuse(send, 400, "unknown_site", "Unknown host.", api=api)
            return
        if "\x00" in str(scope.get("path", "")):  # no page or id has one; PostgreSQL refuses it
            await _refuse(send, 404, "not_found", "Not found.", api=api)
            return
        scope.setdefault("state", {})["site"] = site

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = with_security_headers(list(message.get("headers", [])))
            await send(message)

        await self.app(scope, receive, with_headers)


async def _refuse(send: Send, status: int, code: str, message: str, *, api: bool) -> None:
    """An answer before any route runs: the API's error shape under /api/, else plain text."""
    if api:
        error = {"error": {"code": code, "message": message, "field": None}}
        body, kind = json.dumps(error).encode(), b"application/json"
    else:
        body, kind = message.encode(), b"text/plain; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", kind),
                (b"content-length", str(len(body)).encode()),
                *SECURITY_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def site_of(request: Request) -> Site:
    site = request.scope["state"]["site"]  # as request.state.site, without building a State
    assert isinstance(site, Site)
    return site


def client_ip(request: Request, trusted: tuple[Network, ...]) -> str:
    """The peer address, or the nearest untrusted X-Forwarded-For hop when the peer is a
    configured proxy. A forged header from anyone else changes nothing (SECURITY.md 9)."""
    peer = request.client.host if request.client else ""
    if not trusted or not _within(peer, trusted):
        return peer
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _within(hop, trusted):
            return hop if _valid_ip(hop) else peer
    return peer


def _valid_ip(value: str) -> bool:
    try:
        ip_address(value)
    except ValueError:
        return False
    return True


def _within(addr: str, nets: tuple[Network, ...]) -> bool:
    try:
        ip = ip_address(addr)
    except ValueError:
        return False
    return any(ip in net for net in nets)


def requester(
    request: Request, config: WebConfig, *, device: str = "", locale: str = ""
) -> Requester:
    """Who is asking; ``locale`` is the language the request is answered in
    (``web.i18n.locale_of``), so a message it causes is written in it."""
    return Requester(
        ip=client_ip(request, config.trusted_proxies)[:64],  # the column's width
        user_agent=request.headers.get("user-agent", "")[:300],
        device=device[:64],
        locale=locale,
    )


def cookie_name(site: Site, name: str) -> str:
    """``__Host-`` cookies under https: host-only, Secure, Path=/ (SECURITY.md 25)."""
    return f"__Host-{name}" if site.secure else name


def set_cookie(
    response: Response, site: Site, name: str, value: str, *, max_age: int | None = None
) -> None:
    response.set_cookie(
        cookie_name(site, name),
        value,
        max_age=max_age,
        path="/",
        secure=site.secure,
        httponly=True,
        samesite="lax",
    )


def clear_cookie(response: Response, site: Site, name: str) -> None:
    response.delete_cookie(
        cookie_name(site, name), path="/", secure=site.secure, httponly=True, samesite="lax"
    )


def csrf_token(config: WebConfig, site: Site, binding: str) -> str:
    """A form token bound to the browser's CSRF cookie and the site (signed double submit)."""
    mac = hmac.new(config.csrf_key, f"csrf|{site.code}|{binding}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()


def csrf_ok(config: WebConfig, site: Site, binding: str | None, submitted: str | None) -> bool:
    """Every state-changing form, sign-in and sign-out included, must carry a valid token."""
    if not binding or not submitted:
        return False
    return same_secret(csrf_token(config, site, binding), submitted)


def sign_value(config: WebConfig, site: Site, purpose: str, value: str) -> str:
    """A tamper-evident cookie value bound to site and purpose (not secret, just signed)."""
    raw = base64.urlsafe_b64encode(value.encode()).rstrip(b"=").decode()
    mac = hmac.new(config.csrf_key, f"{purpose}|{site.code}|{raw}".encode(), hashlib.sha256)
    return raw + "." + base64.urlsafe_b64encode(mac.digest()[:16]).rstrip(b"=").decode()


def unsign_value(config: WebConfig, site: Site, purpose: str, signed: str | None) -> str | None:
    if not signed or "." not in signed:
        return None
    raw, _, _mac = signed.rpartition(".")
    if not same_secret(sign_value(config, site, purpose, _decode(raw)), signed):
        return None
    return _decode(raw)


def _decode(raw: str) -> str:
    try:
        return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return ""
