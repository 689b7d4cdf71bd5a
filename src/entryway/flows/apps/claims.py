"""What an app learns of the customer: the claims its scopes release (userinfo and ID
token alike), and the ID token itself."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import Any

from entryway.core.apps import Scope, acr_of
from entryway.flows.apps import keys
from entryway.flows.apps.records import App, Grant
from entryway.flows.ports import Account, Deps
from entryway.flows.subjects import public_subject


def released(deps: Deps, account: Account, scopes: list[str]) -> dict[str, Any]:
    """``sub`` (the account's public id on its site: never the row id or the email) and
    what each scope releases; a contact the account does not have is left out."""
    out: dict[str, Any] = {"sub": public_subject(deps.keys, account.site, account.id)}
    if Scope.PROFILE in scopes and account.name:
        out["name"] = account.name
    if Scope.EMAIL in scopes and account.email:
        out["email"] = account.email
        out["email_verified"] = account.email_verified
    if Scope.PHONE in scopes and account.phone:
        out["phone_number"] = account.phone
        out["phone_number_verified"] = account.phone_verified
    return out


def half_hash(value: str) -> str:
    """``at_hash``: the left half of SHA-256 (RS256 and ES256 both), base64url."""
    digest = hashlib.sha256(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


def _epoch(moment: datetime) -> int:
    return int(moment.astimezone(UTC).timestamp())


async def id_token(
    deps: Deps,
    app: App,
    grant: Grant,
    account: Account,
    *,
    access_token: str,
    with_nonce: bool,
) -> str:
    """The signed ID token (OpenID Connect Core §2): issuer = the site's own origin."""
    now = deps.clock.now()
    site = deps.site(app.site)
    claims: dict[str, Any] = {
        "iss": site.origin,
        "aud": app.id,
        "iat": _epoch(now),
        "exp": _epoch(now + deps.app_policy.id_token),
        "auth_time": _epoch(grant.auth_time),
        "acr": acr_of(grant.amr),
        "amr": grant.amr,
        "sid": grant.sid,
        "at_hash": half_hash(access_token),
        **released(deps, account, grant.scopes),
    }
    if with_nonce and grant.nonce:
        claims["nonce"] = grant.nonce
    async with deps.uow() as uow:
        return await keys.sign_jwt(deps, uow, claims, alg=app.id_token_alg)
