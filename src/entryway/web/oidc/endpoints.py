"""Discovery, JWKS, token, userinfo, revocation and introspection, one issuer per site.

Errors answer in the RFCs' own shape, ``{"error", "error_description"}`` (RFC 6749 §5.2,
RFC 6750 §3), never the JSON API's; every answer with a token says ``no-store``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import unquote_plus

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from entryway.core.apps import SCOPES, Scope
from entryway.flows.apps import claims, clients, grants, keys
from entryway.web.oidc.protocol import Exchange, Provider
from entryway.web.oidc.protocol import Request as OAuthRequest
from entryway.web.render import web_of, who
from entryway.web.security import site_of

router = APIRouter(include_in_schema=False)

NO_STORE = {"cache-control": "no-store", "pragma": "no-cache"}
MAX_FORM_BYTES = 16 * 1024
CLAIMS = ["sub", "name", "email", "email_verified", "phone_number", "phone_number_verified",
          "auth_time", "acr", "amr", "sid", "nonce", "at_hash"]  # fmt: skip


def provider(request: Request) -> Provider:
    """The app's one Provider (made at start by create_app)."""
    found = request.app.state.oidc
    assert isinstance(found, Provider)
    return found


def oauth_error(status: int, error: str, description: str, **headers: str) -> JSONResponse:
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status,
        headers={**NO_STORE, **headers},
    )


def answer(status: int, body: Any, headers: Any) -> JSONResponse:
    """authlib's (status, body, headers) as a response."""
    extra = {k: v for k, v in (headers or []) if k.lower() != "content-type"}
    return JSONResponse(body if body else {}, status_code=status, headers={**NO_STORE, **extra})


async def form_pairs(request: Request) -> list[tuple[str, str]] | None:
    """The urlencoded body as pairs (repeats kept, so authlib can refuse them); None when
    the body is not a form."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        return None
    form = await request.form()
    return [(k, v) for k, v in form.multi_items() if isinstance(v, str)]


def first(pairs: list[tuple[str, str]], name: str) -> str:
    return next((v for k, v in pairs if k == name), "")


async def authenticate(
    request: Request, pairs: list[tuple[str, str]], exchange: Exchange, *, public_ok: bool = True
) -> JSONResponse | None:
    """Client authentication, ours before authlib's: Basic, a posted secret, or none for a
    public app; failures are counted per client and address and slow down, never lock.
    An error answer, or None with the app (or no app: authlib says invalid_client) set."""
    site = site_of(request)
    header = request.headers.get("authorization", "")
    posted_secret = first(pairs, "client_secret")
    secret: str | None
    if header[:6].lower() == "basic ":
        if posted_secret:
            return oauth_error(400, "invalid_request", "Use one way of client authentication.")
        try:
            raw = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
            client_id, _, secret = raw.partition(":")
            client_id, secret = unquote_plus(client_id), unquote_plus(secret)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return oauth_error(401, "invalid_client", "Client authentication failed.")
        method = "client_secret_basic"
    elif posted_secret:
        client_id, secret, method = first(pairs, "client_id"), posted_secret, "client_secret_post"
    else:
        client_id, secret, method = first(pairs, "client_id"), None, "none"
    if not client_id or len(client_id) > 100 or (secret is not None and len(secret) > 200):
        return None  # authlib answers invalid_client
    if method == "none" and not public_ok:
        return None
    check = await clients.authenticate(
        web_of(request).deps, site=site.code, client_id=client_id, secret=secret, ip=who(request).ip
    )
    if check.throttled:
        return oauth_error(
            401,
            "invalid_client",
            "Too many failed attempts for this client from here. Try again later.",
            **{"retry-after": "600"},
        )
    exchange.app = check.app
    exchange.auth_method = method
    return None


@router.get("/.well-known/openid-configuration")
async def discovery(request: Request) -> JSONResponse:
    """OpenID Provider Metadata (Discovery 1.0 §3) for this site's issuer."""
    site = site_of(request)
    issuer = site.origin
    return JSONResponse(
        {
            "issuer": issuer,
            "authorization_endpoint": issuer + "/oauth/authorize",
            "token_endpoint": issuer + "/oauth/token",
            "userinfo_endpoint": issuer + "/oauth/userinfo",
            "jwks_uri": issuer + "/oauth/jwks",
            "revocation_endpoint": issuer + "/oauth/revoke",
            "introspection_endpoint": issuer + "/oauth/introspect",
            "end_session_endpoint": issuer + "/oauth/logout",
            "scopes_supported": list(SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
                "none",
            ],
            "revocation_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
                "none",
            ],
            "introspection_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
            ],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": CLAIMS,
            "acr_values_supported": ["1", "2"],
            "prompt_values_supported": ["none", "login", "consent", "select_account"],
            "ui_locales_supported": list(site.locales),
            "claims_parameter_supported": False,
            "request_parameter_supported": False,
            "request_uri_parameter_supported": False,
            "authorization_response_iss_parameter_supported": True,
            "backchannel_logout_supported": True,
            "backchannel_logout_session_supported": True,
            "frontchannel_logout_supported": False,
        },
        headers={"cache-control": "public, max-age=300"},
    )


@router.get("/oauth/jwks")
async def jwks(request: Request) -> JSONResponse:
    """The public signing keys, the next one included before it signs."""
    return JSONResponse(
        await keys.jwks(web_of(request).deps), headers={"cache-control": "public, max-age=300"}
    )


@router.post("/oauth/token")
async def token(request: Request) -> Response:
    """authorization_code and refresh_token grants (RFC 6749 §4.1.3, §6)."""
    deps = web_of(request).deps
    site = site_of(request)
    pairs = await form_pairs(request)
    if pairs is None:
        return oauth_error(400, "invalid_request", "Send the request as a form.")
    exchange = Exchange(deps)
    refused = await authenticate(request, pairs, exchange)
    if refused is not None:
        return refused
    grant_type = first(pairs, "grant_type")
    if grant_type == "authorization_code":
        exchange.code = await grants.find_code(deps, site.code, first(pairs, "code"))
    elif grant_type == "refresh_token":
        exchange.refresh = await grants.find_refresh(deps, site.code, first(pairs, "refresh_token"))
    server = provider(request)
    oauth = OAuthRequest("POST", str(request.url), pairs, request.headers)
    status, body, headers = server.run(exchange, server.create_token_response, oauth)
    app = exchange.app
    if status != 200 or app is None or exchange.tokens is None:
        code = exchange.code
        if exchange.replayed and app is not None and code is not None and code.grant is not None:
            await grants.code_replayed(deps, app, code.grant, who(request))
        return answer(status, body, headers)
    if exchange.code is not None and exchange.code.grant is not None:
        issued = await grants.redeem_code(
            deps, app, exchange.code.grant, exchange.tokens, who(request)
        )
    elif exchange.refresh is not None and exchange.refresh.token and exchange.refresh.grant:
        issued = await grants.rotate(
            deps, app, exchange.refresh.token, exchange.refresh.grant, exchange.tokens, who(request)
        )
    else:  # pragma: no cover (authlib answered 200 for a grant it did not validate)
        issued = None
    if issued is None:
        return oauth_error(400, "invalid_grant", "The grant is invalid, expired or revoked.")
    reply: dict[str, Any] = {
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
        "scope": " ".join(issued.scopes),
    }
    if issued.refresh_token:
        reply["refresh_token"] = issued.refresh_token
    if Scope.OPENID in issued.scopes:
        reply["id_token"] = await claims.id_token(
            deps,
            app,
            issued.grant,
            issued.account,
            access_token=issued.access_token,
            with_nonce=exchange.code is not None,
        )
    return JSONResponse(reply, headers=NO_STORE)


def bearer(request: Request, pairs: list[tuple[str, str]] | None) -> str | None:
    """The access token: in the Authorization header or (POST) the form, not both (RFC
    6750 §2); "" when none was given, None when both were."""
    header = request.headers.get("authorization", "")
    in_header = header[7:].strip() if header[:7].lower() == "bearer " else ""
    in_form = first(pairs, "access_token") if pairs else ""
    if in_header and in_form:
        return None
    return in_header or in_form


@router.api_route("/oauth/userinfo", methods=["GET", "POST"])
async def userinfo(request: Request) -> Response:
    """The claims the token's scopes release (Core §5.3), for a live token of this site."""
    pairs = await form_pairs(request) if request.method == "POST" else None
    raw = bearer(request, pairs)
    if raw is None:
        return oauth_error(400, "invalid_request", "Send the token one way only.")
    deps = web_of(request).deps
    found = await grants.holder(deps, site_of(request).code, raw) if raw else None
    if found is None:
        challenge = 'Bearer error="invalid_token"' if raw else "Bearer"
        return oauth_error(
            401, "invalid_token", "The access token is invalid, expired or revoked.",
            **{"www-authenticate": challenge},
        )  # fmt: skip
    return JSONResponse(
        claims.released(deps, found.account, found.live.grant.scopes), headers=NO_STORE
    )


@router.post("/oauth/revoke")
async def revoke(request: Request) -> Response:
    """RFC 7009: 200 for any token, known or not; a refresh token ends its grant."""
    deps = web_of(request).deps
    pairs = await form_pairs(request)
    if pairs is None:
        return oauth_error(400, "invalid_request", "Send the request as a form.")
    exchange = Exchange(deps)
    refused = await authenticate(request, pairs, exchange)
    if refused is not None:
        return refused
    exchange.presented = await grants.find_any(deps, site_of(request).code, first(pairs, "token"))
    server = provider(request)
    oauth = OAuthRequest("POST", str(request.url), pairs, request.headers)
    status, body, headers = server.run(
        exchange, server.create_endpoint_response, "revocation", oauth
    )
    if status == 200 and exchange.revoke and exchange.app and exchange.presented:
        await grants.revoke(deps, exchange.app, exchange.presented, who(request))
    return answer(status, body, headers)


@router.post("/oauth/introspect")
async def introspect(request: Request) -> Response:
    """RFC 7662, for confidential apps, about their own tokens: anything else is inactive."""
    deps = web_of(request).deps
    pairs = await form_pairs(request)
    if pairs is None:
        return oauth_error(400, "invalid_request", "Send the request as a form.")
    exchange = Exchange(deps)
    refused = await authenticate(request, pairs, exchange, public_ok=False)
    if refused is not None:
        return refused
    app = exchange.app
    if app is None:
        return oauth_error(401, "invalid_client", "Client authentication failed.")
    raw = first(pairs, "token")
    if not raw:
        return oauth_error(400, "invalid_request", "The token parameter is required.")
    site = site_of(request)
    found = await grants.holder(deps, site.code, raw)
    if found is None:
        found = await grants.refresh_holder(deps, site.code, raw)
    if found is None or found.live.app.id != app.id:
        return JSONResponse({"active": False}, headers=NO_STORE)
    token, grant = found.live.token, found.live.grant
    return JSONResponse(
        {
            "active": True,
            "scope": " ".join(grant.scopes),
            "client_id": app.id,
            "token_type": "Bearer" if token.kind == "access" else "refresh_token",
            "exp": int(token.expires_at.timestamp()),
            "iat": int(token.created_at.timestamp()),
            "sub": claims.released(deps, found.account, [])["sub"],
            "aud": app.id,
            "iss": site.origin,
            "sid": grant.sid,
        },
        headers=NO_STORE,
    )
