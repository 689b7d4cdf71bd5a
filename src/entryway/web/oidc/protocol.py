"""authlib's server classes over our flows.

authlib's servers are synchronous and ask for what they need as they go (the client, the
code, the user); our storage is asynchronous. So each request runs in three steps: the
route reads everything authlib could ask for into an ``Exchange`` (an async read), authlib
validates the request and shapes its answer from that (sync), and the route writes what
authlib decided through the flows (an async transaction with conditional writes). Nothing
authlib does touches storage, and its answer leaves only once the write committed.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientMixin,
    InvalidClientError,
    InvalidRequestError,
    OAuth2Request,
    grants,
)
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import OpenIDCode
from authlib.oidc.core.grants.util import is_openid_scope, validate_request_prompt

from entryway.core.apps import acr_of, redirect_uri_matches, scope_list
from entryway.core.secrets import new_token
from entryway.flows.apps.grants import CodeLookup, Presented, RefreshLookup, usable
from entryway.flows.apps.records import App, Grant, Token
from entryway.flows.ports import Account, Deps

AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]


@dataclass
class Exchange:
    """One request's reads for authlib, and what authlib decided for us to write."""

    deps: Deps
    app: App | None = None  # the app named (authorization) or authenticated (token endpoints)
    auth_method: str | None = None
    user: Account | None = None
    code: CodeLookup | None = None
    refresh: RefreshLookup | None = None
    presented: Presented | None = None
    # What authlib decided:
    tokens: dict[str, Any] | None = None
    issued_code: str | None = None
    replayed: bool = False
    revoke: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


_exchange: ContextVar[Exchange] = ContextVar("oidc_exchange")


def current() -> Exchange:
    return _exchange.get()


class Request(OAuth2Request):  # type: ignore[misc]
    """An OAuth2Request from values we parsed. authlib's own constructor refuses plain http
    unless an environment variable says otherwise; whether a site may run on http is the
    site's configuration (production refuses it at start), not the protocol library's."""

    def __init__(self, method: str, uri: str, pairs: list[tuple[str, str]], headers: Any) -> None:
        self.method = method
        self.uri = uri
        self.headers = headers
        self._body = None
        data: dict[str, str] = {}
        for key, value in pairs:
            data.setdefault(key, value)  # the first of a repeated one; authlib sees them all
        payload = BasicOAuth2Payload(data)
        datalist: dict[str, list[str]] = {}
        for key, value in pairs:
            datalist.setdefault(key, []).append(value)
        payload._datalist = datalist
        self.payload = payload
        self._values = data
        self.client = None
        self.auth_method = None
        self.user = None
        self.authorization_code = None
        self.refresh_token = None
        self.credential = None
        self._scope = None

    @property
    def args(self) -> dict[str, str]:
        return self._values

    @property
    def form(self) -> dict[str, str]:
        return self._values


class Client(ClientMixin):  # type: ignore[misc]
    """An App as authlib's client model."""

    def __init__(self, app: App) -> None:
        self.app = app

    def get_client_id(self) -> str:
        return self.app.id

    def get_default_redirect_uri(self) -> None:
        return None  # OpenID Connect requires redirect_uri in every request

    def get_allowed_scope(self, scope: str | None) -> str | None:
        scopes = scope_list(scope)
        return " ".join(scopes) if "openid" in scopes else None

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return any(
            redirect_uri_matches(r, redirect_uri, public=self.app.public)
            for r in self.app.redirect_uris
        )

    def check_client_secret(self, client_secret: str) -> bool:
        return False  # authentication is ours (flows/apps/clients.authenticate), done before

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return (method == "none") == self.app.public

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")


class CodeModel:
    """A grant as authlib's authorization code."""

    def __init__(self, grant: Grant) -> None:
        self.grant = grant
        self.code_challenge = grant.code_challenge
        self.code_challenge_method = "S256"

    def get_redirect_uri(self) -> str:
        return self.grant.redirect_uri

    def get_scope(self) -> str:
        return " ".join(self.grant.scopes)

    def get_nonce(self) -> str | None:
        return self.grant.nonce or None

    def get_auth_time(self) -> int:
        return int(self.grant.auth_time.astimezone(UTC).timestamp())

    def get_acr(self) -> str:
        return acr_of(self.grant.amr)

    def get_amr(self) -> list[str]:
        return self.grant.amr


class TokenModel:
    """A stored token as authlib's token model (refresh, revocation)."""

    def __init__(self, token: Token, grant: Grant) -> None:
        self.token = token
        self.grant = grant

    def check_client(self, client: Client) -> bool:
        return self.grant.app_id == client.get_client_id()

    def get_scope(self) -> str:
        return " ".join(self.grant.scopes)


class S256Only(CodeChallenge):  # type: ignore[misc]
    """PKCE with S256 for every client, confidential ones too (RFC 9700 §2.1.1): a request
    without a challenge, or with ``plain``, is refused."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]  # noqa: RUF012 (authlib's class attribute)
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("code_challenge is required (PKCE, S256).")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256.")
        super().validate_code_challenge(grant, redirect_uri)


class OpenID(OpenIDCode):  # type: ignore[misc]
    """The authorization request's OpenID checks (nonce, prompt). The ID token is signed by
    the route afterwards, with a key it reads from storage (flows/apps/keys.py)."""

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        return False  # a nonce is the client's to check in the ID token; codes are single use

    def __call__(self, grant: Any) -> None:
        if is_openid_scope(grant.request.payload.scope):
            grant.register_hook(
                "after_validate_authorization_request_payload",
                self.validate_openid_authorization_request,
            )
            grant.register_hook("after_validate_consent_request", validate_request_prompt)


class CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def save_authorization_code(self, code: str, request: Any) -> None:
        current().issued_code = code  # written by the route, once authlib is done

    def generate_authorization_code(self) -> str:
        return new_token(current().deps.rng)

    def query_authorization_code(self, code: str, client: Client) -> CodeModel | None:
        found = current().code
        grant = found.grant if found else None
        if grant is None or grant.app_id != client.get_client_id():
            return None
        if grant.code_used_at is not None:
            current().replayed = True  # the route revokes what the first use issued
            return None
        now = current().deps.clock.now()
        if grant.revoked_at is not None or grant.code_expires_at <= now:
            return None
        return CodeModel(grant)

    def delete_authorization_code(self, authorization_code: CodeModel) -> None:
        pass  # spent by the route's conditional write (flows/apps/grants.redeem_code)

    def authenticate_user(self, authorization_code: CodeModel) -> Account | None:
        found = current().code
        account = found.account if found else None
        return account if usable(account, current().deps.clock.now()) else None


class RefreshGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> TokenModel | None:
        found = current().refresh
        if found is None or found.token is None or found.grant is None:
            return None
        return TokenModel(found.token, found.grant)

    def authenticate_user(self, refresh_token: TokenModel) -> Account | None:
        found = current().refresh
        account = found.account if found else None
        return account if usable(account, current().deps.clock.now()) else None

    def issue_token(self, user: Account, refresh_token: TokenModel) -> dict[str, Any]:
        # A narrower scope asked for is not kept per token: the answer names the grant's.
        return dict(self.generate_token(user=user, scope=refresh_token.get_scope()))

    def revoke_old_credential(self, refresh_token: TokenModel) -> None:
        pass  # rotated by the route's conditional write (flows/apps/grants.rotate)


class Revocation(RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = AUTH_METHODS
    SUPPORTED_TOKEN_TYPES = ("access_token", "refresh_token")

    def query_token(self, token_string: str, token_type_hint: str | None) -> TokenModel | None:
        found = current().presented
        return TokenModel(found.token, found.grant) if found else None

    def revoke_token(self, token: TokenModel, request: Any) -> None:
        current().revoke = True


class Provider(AuthorizationServer):  # type: ignore[misc]
    """One per application; every per-request value lives in the Exchange."""

    def __init__(self, deps: Deps) -> None:
        super().__init__(scopes_supported=None)  # unknown scopes are ignored, not refused
        self.deps = deps
        self.register_grant(CodeGrant, [S256Only(required=True), OpenID(require_nonce=False)])
        self.register_grant(RefreshGrant)
        self.register_endpoint(Revocation)
        self.register_token_generator("default", self._bearer)

    def run(self, exchange: Exchange, call: Any, *args: Any, **kwargs: Any) -> Any:
        """Run one authlib call with this request's Exchange."""
        token = _exchange.set(exchange)
        try:
            return call(*args, **kwargs)
        finally:
            _exchange.reset(token)

    def _bearer(
        self,
        grant_type: str,
        client: Client,
        user: Any = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        rng = self.deps.rng
        token: dict[str, Any] = {
            "token_type": "Bearer",
            "access_token": new_token(rng),
            "expires_in": int(self.deps.app_policy.access.total_seconds()),
            "scope": scope or "",
        }
        if include_refresh_token:
            token["refresh_token"] = new_token(rng)
        return token

    def query_client(self, client_id: str) -> Client | None:
        app = current().app
        return Client(app) if app is not None and app.id == client_id else None

    def authenticate_client(
        self, request: Any, methods: list[str], endpoint: str = "token"
    ) -> Client:
        exchange = current()
        if exchange.app is None or exchange.auth_method not in methods:
            raise InvalidClientError(status_code=401)
        client = Client(exchange.app)
        request.client = client
        request.auth_method = exchange.auth_method
        return client

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        current().tokens = dict(token)

    def create_oauth2_request(self, request: Any) -> Any:
        return request  # routes build our Request themselves

    def handle_response(self, status: int, body: Any, headers: Any) -> tuple[int, Any, Any]:
        return status, body, headers

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None
