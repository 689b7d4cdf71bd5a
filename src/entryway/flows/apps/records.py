"""The records of the store's apps (OIDC clients), their grants, tokens and signing keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from entryway.core.apps import TokenKind


@dataclass(slots=True)
class App:
    """One OIDC client, registered on one site (``entryway apps add``)."""

    id: str  # the public client_id
    site: str
    name: str
    secret_hash: str  # keyed hash of the client secret; "" for a public client
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str] = field(default_factory=list)
    backchannel_logout_uri: str = ""
    public: bool = False  # a native or browser app that cannot keep a secret
    first_party: bool = False  # the store's own app: no consent page
    id_token_alg: str = "RS256"  # noqa: S105 (an algorithm name; or ES256)
    created_at: datetime | None = None
    secret_rotated_at: datetime | None = None


@dataclass(slots=True)
class Grant:
    """One authorization: its code (single use), and the family of tokens issued from it.
    ``sid`` is the public id of the customer's session that authorized it."""

    id: str
    site: str
    app_id: str
    account_id: str
    scopes: list[str]
    redirect_uri: str
    code_hash: str
    code_expires_at: datetime
    code_challenge: str  # S256 of the verifier, base64url without padding
    nonce: str
    sid: str
    auth_time: datetime
    amr: list[str]
    created_at: datetime
    refresh_until: datetime  # absolute end of the refresh chain
    code_used_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_why: str = ""  # replay, reuse, revoked, signed_out, reset, recovered, ...


@dataclass(slots=True)
class Token:
    """An access or refresh token: only its keyed hash is stored."""

    hash: str
    site: str
    grant_id: str
    kind: TokenKind
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None  # a refresh token, when rotated (first use)
    revoked_at: datetime | None = None


@dataclass(slots=True)
class Consent:
    """A customer allowed a third-party app these scopes (remembered until ``expires_at``)."""

    site: str
    account_id: str
    app_id: str
    scopes: list[str]
    granted_at: datetime
    expires_at: datetime


@dataclass(slots=True)
class SigningKey:
    """A key that signs ID and logout tokens. Published in JWKS from ``created_at``; signs
    from ``active_from``; leaves JWKS at ``drop_after`` (once its tokens have expired)."""

    kid: str
    alg: str  # RS256 or ES256
    private_sealed: str  # the private key (PEM), sealed like TOTP secrets
    public_jwk: dict[str, str]
    created_at: datetime
    active_from: datetime
    retired_at: datetime | None = None  # a newer key of its alg took over signing
    drop_after: datetime | None = None


@dataclass(frozen=True, slots=True)
class LiveToken:
    """An access token found live, with what userinfo and introspection answer from."""

    token: Token
    grant: Grant
    app: App
