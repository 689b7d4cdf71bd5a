"""Driving the OpenID Connect provider over HTTP as an app and its customer would."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet

from entryway.flows.apps import clients, keys
from entryway.flows.apps.records import App

REDIRECT = "http://shop.localhost:8000/callback"
POST_LOGOUT = "http://shop.localhost:8000/"
PASSWORD = "quiet-meadow-lantern"


async def new_app(world: Any, site: str = "us", **extra: Any) -> tuple[App, str | None]:
    """An app on ``site`` (first-party and confidential unless told), keys ready."""
    await keys.ensure_keys(world.deps)
    values: dict[str, Any] = {
        "name": "Acme Shop",
        "redirect_uris": [REDIRECT],
        "post_logout_redirect_uris": [POST_LOGOUT],
        "first_party": True,
    }
    values.update(extra)
    return await clients.register(world.deps, site=site, **values)


def pkce() -> tuple[str, str]:
    """A verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_url(app: App, challenge: str, **extra: str) -> str:
    params = {
        "response_type": "code",
        "client_id": app.id,
        "redirect_uri": REDIRECT,
        "scope": "openid profile email",
        "state": "st-123",
        "nonce": "n-456",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    params.update(extra)
    return "/oauth/authorize?" + urlencode({k: v for k, v in params.items() if v is not None})


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def code_for(client: httpx.AsyncClient, app: App, challenge: str, **extra: str) -> str:
    """Authorize as the signed-in customer; the code from the redirect (iss checked)."""
    r = await client.get(authorize_url(app, challenge, **extra))
    assert r.status_code == 302, (r.status_code, r.headers.get("location"), r.text[:300])
    location = r.headers["location"]
    assert location.startswith(REDIRECT + "?"), location
    got = query_of(location)
    assert got["iss"] == "http://us.localhost:8000" or got["iss"].endswith(".localhost:8000")
    assert got["state"] == extra.get("state", "st-123")
    return got["code"]


async def exchange(
    client: httpx.AsyncClient, app: App, secret: str | None, code: str, verifier: str, **extra: str
) -> httpx.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "code_verifier": verifier, **extra}  # fmt: skip
    return await client.post("/oauth/token", data=data, auth=_auth(app, secret, data))


async def refresh(
    client: httpx.AsyncClient, app: App, secret: str | None, token: str
) -> httpx.Response:
    data = {"grant_type": "refresh_token", "refresh_token": token}
    return await client.post("/oauth/token", data=data, auth=_auth(app, secret, data))


def _auth(app: App, secret: str | None, data: dict[str, str]) -> tuple[str, str] | None:
    if secret is None:
        data["client_id"] = app.id
        return None
    return (app.id, secret)


async def verified_claims(client: httpx.AsyncClient, id_token: str) -> dict[str, Any]:
    """The ID token's claims after checking its signature against the site's JWKS."""
    key_set = KeySet.import_key_set((await client.get("/oauth/jwks")).json())
    return dict(jwt.decode(id_token, key_set).claims)
