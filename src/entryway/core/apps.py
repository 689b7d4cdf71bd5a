"""The store's apps as OpenID Connect clients: scopes, claims, lifetimes and redirect rules.

Stable values (stored and returned; never rename): token kinds, scopes, ``amr`` values.

A grant is one authorization: one code, and the access and refresh tokens issued from it.

```mermaid
stateDiagram-v2
    [*] --> issued: customer signs in (and allows, for a third-party app)
    issued --> redeemed: code exchanged once, within 60 s
    issued --> revoked: code replayed, expired unused, or the account's sessions end
    redeemed --> redeemed: refresh token rotated (a retry within the grace period: a sibling)
    redeemed --> revoked: code replayed, or a rotated refresh token reused after the grace
    redeemed --> revoked: revoked, signed out everywhere, reset, recovered, locked, suspended
    revoked --> [*]
```
"""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit


class TokenKind(enum.StrEnum):
    ACCESS = "access"
    REFRESH = "refresh"


class Scope(enum.StrEnum):
    OPENID = "openid"
    PROFILE = "profile"  # name
    EMAIL = "email"  # email, email_verified
    PHONE = "phone"  # phone_number, phone_number_verified
    OFFLINE_ACCESS = "offline_access"  # a refresh token


SCOPES: tuple[str, ...] = tuple(s.value for s in Scope)

# The claims each scope releases (OpenID Connect Core 1.0 §5.4), beyond ``sub``.
SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    Scope.PROFILE: ("name",),
    Scope.EMAIL: ("email", "email_verified"),
    Scope.PHONE: ("phone_number", "phone_number_verified"),
}


class Amr(enum.StrEnum):
    """Authentication methods references (RFC 8176)."""

    PWD = "pwd"  # noqa: S105 (a method name: a password)
    OTP = "otp"  # an authenticator app's code or a backup code
    SMS = "sms"  # a code by text message
    TEL = "tel"  # a code by voice call
    MFA = "mfa"  # more than one factor
    HWK = "hwk"  # a hardware-bound key (passkey)
    USER = "user"  # the user was verified by the key (passkey with user verification)


def amr_of(methods: tuple[str, ...] | list[str]) -> list[str]:
    """The ``amr`` list for a session's methods: each known one once, in a stable order,
    with ``mfa`` added when factors of two kinds were used (something known: a password;
    something held: a code's device or a key; something the key verified: ``user``)."""
    given = set(methods)
    got = [m.value for m in Amr if m is not Amr.MFA and m.value in given]
    kinds = {_FACTOR_KIND[m] for m in got}
    if len(kinds) >= 2:
        got.append(Amr.MFA.value)
    return got


_FACTOR_KIND = {
    "pwd": "known",
    "otp": "held",
    "sms": "held",
    "tel": "held",
    "hwk": "held",
    "user": "inherent",
}


def acr_of(amr: list[str]) -> str:
    """``acr``: "1" for one factor, "2" for more (we publish both in discovery)."""
    return "2" if Amr.MFA.value in amr else "1"


def scope_list(raw: str | None) -> list[str]:
    """The distinct scopes asked for, in order; unknown ones are dropped (Core §3.1.2.1:
    unknown scope values are ignored)."""
    seen: list[str] = []
    for part in (raw or "").split():
        if part in SCOPES and part not in seen:
            seen.append(part)
    return seen


def released_claims(scopes: list[str]) -> tuple[str, ...]:
    """Every claim the scopes release, ``sub`` first."""
    out = ["sub"]
    for s in scopes:
        out.extend(SCOPE_CLAIMS.get(s, ()))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class AppPolicy:
    """Lifetimes of what the provider issues (settings ``OIDC_*``)."""

    code: timedelta = timedelta(seconds=60)
    access: timedelta = timedelta(minutes=15)
    id_token: timedelta = timedelta(minutes=15)
    refresh: timedelta = timedelta(days=14)  # sliding: each rotation starts it again
    refresh_absolute: timedelta = timedelta(days=365)  # from the grant's sign-in
    refresh_grace: timedelta = timedelta(seconds=5)  # a parallel retry gets a sibling
    first_party_refresh: bool = True  # first-party apps get refresh tokens unasked
    key_publish: timedelta = timedelta(hours=1)  # a new key is in JWKS this long before use
    consent: timedelta = timedelta(days=365)  # a third-party app's consent is remembered

    def __post_init__(self) -> None:
        for name in ("code", "access", "id_token", "refresh", "refresh_absolute"):
            if getattr(self, name) <= timedelta(0):
                raise ValueError(f"the {name} lifetime must be positive")
        if self.refresh_grace < timedelta(0) or self.refresh_grace > timedelta(seconds=60):
            raise ValueError(f"the refresh grace must be 0-60 s, got {self.refresh_grace}")


def is_loopback_uri(uri: str) -> bool:
    """``http://127.0.0.1``, ``http://[::1]`` or ``http://localhost``, any port (RFC 8252 §7.3)."""
    parts = urlsplit(uri)
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def redirect_uri_matches(registered: str, given: str, *, public: bool) -> bool:
    """Exact match (RFC 9700 §2.1), except a public (native) app's loopback URI, whose port
    may vary (RFC 8252 §7.3): scheme, host, path and query must still be the same."""
    if given == registered:
        return True
    if not public or not (is_loopback_uri(registered) and is_loopback_uri(given)):
        return False
    r, g = urlsplit(registered), urlsplit(given)
    try:
        g.port  # noqa: B018 (a bad port raises)
    except ValueError:
        return False
    return (r.scheme, r.hostname, r.path, r.query, r.fragment, r.username, r.password) == (
        g.scheme,
        g.hostname,
        g.path,
        g.query,
        g.fragment,
        g.username,
        g.password,
    )


def redirect_uri_problem(uri: str, *, public: bool) -> str | None:
    """Why ``uri`` cannot be registered, or None. https anywhere; http only on loopback (or
    ``*.localhost`` for a demo); a private-use scheme (``com.example.app:/cb``) only for a
    public app (RFC 8252 §7.1); never a fragment, never ``javascript:`` and the like."""
    parts = urlsplit(uri)
    if not parts.scheme or parts.fragment or any(c.isspace() for c in uri):
        return f"{uri!r} is not an absolute URI without a fragment"
    if parts.scheme in ("https", "http"):
        if not parts.hostname:
            return f"{uri!r} has no host"
        if parts.scheme == "http" and not (
            is_loopback_uri(uri) or parts.hostname.endswith(".localhost")
        ):
            return f"{uri!r}: plain http is allowed only on a loopback address"
        return None
    if parts.scheme in ("javascript", "data", "file", "vbscript", "about", "blob"):
        return f"{uri!r}: that scheme can never be a redirect"
    if not public:
        return f"{uri!r}: a private-use scheme is only for a public (native) app"
    if "." not in parts.scheme:
        return f"{uri!r}: a private-use scheme must be a reversed domain name (RFC 8252 §7.1)"
    return None
