"""The demo shop's pages: **Sign in** (code flow with PKCE S256, state and nonce), the
callback (``iss`` checked, RFC 9207; the ID token verified against the issuer's JWKS),
"Hello, <name>" with the claims received, **Sign out** (RP-initiated logout), and the
back-channel logout endpoint that ends the shop's session of a signed-out ``sid``."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from entryway.shop.page import STYLE, render

AUTH_COOKIE = "shop_auth"  # state, nonce and PKCE verifier of a sign-in under way
SESSION_COOKIE = "shop_session"
LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
ALGORITHMS = ["RS256", "ES256"]


@dataclass(frozen=True, slots=True)
class ShopConfig:
    """One shop host and the issuer it signs in with."""

    host: str  # e.g. shop.localhost:8000
    issuer: str  # e.g. http://us.localhost:8000
    client_id: str
    client_secret: str
    region: str  # shown on the page, e.g. "United States"


@dataclass
class _Shop:
    configs: dict[str, ShopConfig]
    cookie_key: bytes
    transport: httpx.AsyncBaseTransport | None
    metadata: dict[str, dict[str, Any]] = field(default_factory=dict)  # per issuer
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)  # shop session id ->

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.transport, timeout=5.0)

    async def discover(self, issuer: str) -> dict[str, Any]:
        """The issuer's metadata, fetched once (its issuer must be the one we asked)."""
        if issuer not in self.metadata:
            async with self.http() as client:
                meta = (await client.get(issuer + "/.well-known/openid-configuration")).json()
            if meta.get("issuer") != issuer:
                raise ValueError("the issuer's metadata names another issuer")
            self.metadata[issuer] = meta
        return self.metadata[issuer]

    async def key_set(self, issuer: str) -> KeySet:
        """The issuer's JWKS, fetched for each check (a rotated key is found at once)."""
        meta = await self.discover(issuer)
        async with self.http() as client:
            return KeySet.import_key_set((await client.get(meta["jwks_uri"])).json())

    def sign(self, value: dict[str, Any]) -> str:
        body = base64.urlsafe_b64encode(json.dumps(value).encode()).decode()
        mac = hmac.new(self.cookie_key, body.encode(), hashlib.sha256).hexdigest()
        return body + "." + mac

    def unsign(self, raw: str | None) -> dict[str, Any] | None:
        if not raw or "." not in raw:
            return None
        body, _, mac = raw.rpartition(".")
        good = hmac.new(self.cookie_key, body.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(mac, good):
            return None
        value = json.loads(base64.urlsafe_b64decode(body.encode()))
        return value if isinstance(value, dict) else None


def create_shop(
    shops: list[ShopConfig], *, cookie_key: bytes, transport: httpx.AsyncBaseTransport | None = None
) -> ASGIApp:
    """The shop app for every configured shop host (each with its own issuer)."""
    state = _Shop({s.host: s for s in shops}, cookie_key, transport)

    def config(request: Request) -> ShopConfig:
        return state.configs[request.headers.get("host", "")]

    def client(cfg: ShopConfig) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=cfg.client_id,
            client_secret=cfg.client_secret,
            scope="openid profile email",
            redirect_uri=f"http://{cfg.host}/callback",
            code_challenge_method="S256",
            transport=state.transport,
        )

    async def home(request: Request) -> Response:
        cfg = config(request)
        found = state.sessions.get(request.cookies.get(SESSION_COOKIE, ""))
        return render(
            cfg.region, cfg.issuer, found["claims"] if found else None, request.query_params
        )

    async def sign_in(request: Request) -> Response:
        cfg = config(request)
        meta = await state.discover(cfg.issuer)
        verifier = secrets.token_urlsafe(48)
        nonce = secrets.token_urlsafe(16)
        async with client(cfg) as oauth:
            url, made_state = oauth.create_authorization_url(
                meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce
            )
        response = RedirectResponse(url, status_code=303)
        keep = {"state": made_state, "nonce": nonce, "verifier": verifier, "at": time.time()}
        response.set_cookie(AUTH_COOKIE, state.sign(keep), max_age=600, httponly=True,
                            samesite="lax")  # fmt: skip
        return response

    async def callback(request: Request) -> Response:
        cfg = config(request)
        kept = state.unsign(request.cookies.get(AUTH_COOKIE))
        params = request.query_params
        if kept is None or params.get("state") != kept.get("state"):
            return _problem("This sign-in was not started here, or took too long.")
        if params.get("iss") != cfg.issuer:  # RFC 9207: the answer comes from our issuer
            return _problem("The answer did not come from the shop's sign-in service.")
        if "error" in params:
            back = RedirectResponse("/?" + urlencode({"error": params["error"]}), 303)
            back.delete_cookie(AUTH_COOKIE)
            return back
        meta = await state.discover(cfg.issuer)
        async with client(cfg) as oauth:
            token = await oauth.fetch_token(
                meta["token_endpoint"], code=params.get("code", ""), code_verifier=kept["verifier"]
            )
        try:
            claims = await _verified(state, cfg, str(token.get("id_token", "")), kept["nonce"])
        except (JoseError, ValueError) as exc:
            return _problem(f"The ID token did not check out: {exc}")
        session_id = secrets.token_urlsafe(24)
        state.sessions[session_id] = {"claims": claims, "id_token": token["id_token"],
                                      "sid": claims.get("sid"), "issuer": cfg.issuer}  # fmt: skip
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(AUTH_COOKIE)
        response.set_cookie(SESSION_COOKIE, session_id, httponly=True, samesite="lax")
        return response

    async def sign_out(request: Request) -> Response:
        cfg = config(request)
        found = state.sessions.pop(request.cookies.get(SESSION_COOKIE, ""), None)
        meta = await state.discover(cfg.issuer)
        query = {"post_logout_redirect_uri": f"http://{cfg.host}/", "client_id": cfg.client_id}
        if found:
            query["id_token_hint"] = found["id_token"]
        response = RedirectResponse(meta["end_session_endpoint"] + "?" + urlencode(query), 303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    async def backchannel(request: Request) -> Response:
        cfg = config(request)
        form = await request.form()
        raw = form.get("logout_token")
        try:
            claims = await _logout_claims(state, cfg, raw if isinstance(raw, str) else "")
        except (JoseError, ValueError):
            return PlainTextResponse("bad logout token", status_code=400)
        ended = [k for k, v in state.sessions.items()
                 if v["issuer"] == cfg.issuer and v["sid"] == claims["sid"]]  # fmt: skip
        for key in ended:
            del state.sessions[key]
        return PlainTextResponse("", headers={"cache-control": "no-store"})

    async def style(request: Request) -> Response:
        return Response(STYLE, media_type="text/css")

    return Starlette(
        routes=[
            Route("/", home),
            Route("/signin", sign_in, methods=["POST", "GET"]),
            Route("/callback", callback),
            Route("/signout", sign_out, methods=["POST"]),
            Route("/backchannel-logout", backchannel, methods=["POST"]),
            Route("/shop.css", style),
        ]
    )


async def _verified(state: _Shop, cfg: ShopConfig, id_token: str, nonce: str) -> dict[str, Any]:
    """The ID token's claims once its signature, issuer, audience, expiry and nonce hold."""
    token = jwt.decode(id_token, await state.key_set(cfg.issuer), algorithms=ALGORITHMS)
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": cfg.issuer},
        aud={"essential": True, "value": cfg.client_id},
        exp={"essential": True},
        nonce={"essential": True, "value": nonce},
    ).validate(token.claims)
    return dict(token.claims)


async def _logout_claims(state: _Shop, cfg: ShopConfig, raw: str) -> dict[str, Any]:
    """Back-Channel Logout 1.0 §2.6: typed ``logout+jwt``, signed by the issuer, for us, not
    expired, the logout event, a sid, and no nonce (so an ID token cannot pass for one)."""
    token = jwt.decode(raw, await state.key_set(cfg.issuer), algorithms=ALGORITHMS)
    claims = dict(token.claims)
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": cfg.issuer},
        aud={"essential": True, "value": cfg.client_id},
        iat={"essential": True},
        exp={"essential": True},
        sid={"essential": True},
    ).validate(claims)
    if token.header.get("typ") != "logout+jwt":
        raise ValueError("not a logout token")
    if LOGOUT_EVENT not in (claims.get("events") or {}) or "nonce" in claims:
        raise ValueError("not a logout token")
    return claims


def _problem(text: str) -> Response:
    return HTMLResponse(
        f"<!doctype html><title>Acme Shop</title><p>{html.escape(text)}</p><p><a href='/'>Back"
        "</a></p>",
        status_code=400,
    )


def host_dispatch(main: ASGIApp, shop: ASGIApp, shop_hosts: set[str]) -> ASGIApp:
    """Requests whose Host is a shop host go to the shop; everything else (lifespan too) to
    Entryway, unchanged."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "")
            if host in shop_hosts:
                await shop(scope, receive, send)
                return
        await main(scope, receive, send)

    return app
