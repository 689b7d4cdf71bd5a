"""Back-channel logout (OpenID Connect Back-Channel Logout 1.0): when a customer's session
ends, each app that signed in through it and registered a logout URI is told, by a signed
logout token POSTed from the outbox (so an app that is down delays it, never loses it).
These messages go to apps, not people: the Message Center never shows them.

The outbox keeps the token's claims, not the token: it is signed when it is posted, with a
fresh ``iat``, ``exp`` and ``jti`` and the key signing then, so a retry hours later (the app
was down) still carries a token the app accepts, and never one signed by a key that has left
JWKS meanwhile."""

from __future__ import annotations

import json
from datetime import UTC, timedelta
from typing import Any

from entryway.core.events import Channel, MessageKind
from entryway.core.secrets import new_token
from entryway.flows.apps import keys
from entryway.flows.apps.records import Grant
from entryway.flows.common import send
from entryway.flows.ports import Deps, UnitOfWork
from entryway.flows.subjects import public_subject

EVENT = "http://schemas.openid.net/event/backchannel-logout"
LIFETIME = timedelta(minutes=2)  # from the moment it is posted


async def queue_backchannel(deps: Deps, uow: UnitOfWork, grants: list[Grant]) -> int:
    """A logout statement for each app and session among ``grants`` whose app listens,
    queued in the caller's transaction; how many."""
    queued = 0
    seen: set[tuple[str, str]] = set()
    for grant in grants:
        if (grant.app_id, grant.sid) in seen:
            continue
        seen.add((grant.app_id, grant.sid))
        app = await uow.apps.get_app(grant.site, grant.app_id)
        if app is None or not app.backchannel_logout_uri:
            continue
        site = deps.site(grant.site)
        statement = {
            "iss": site.origin,
            "aud": app.id,
            "sub": public_subject(deps.keys, grant.site, grant.account_id),
            "sid": grant.sid,
            "events": {EVENT: {}},
        }
        await send(
            deps,
            uow,
            site,
            account_id=grant.account_id,
            channel=Channel.APP,
            kind=MessageKind.BACKCHANNEL_LOGOUT,
            to=app.backchannel_logout_uri,
            subject="",
            body=json.dumps({"alg": app.id_token_alg, "claims": statement}),
        )
        queued += 1
    return queued


async def logout_token(deps: Deps, body: str) -> str:
    """The signed logout token for a queued statement, as the outbox posts it now."""
    if not body.startswith("{"):
        return body  # queued signed, before statements were kept instead
    queued = json.loads(body)
    now = deps.clock.now()
    claims: dict[str, Any] = {
        **queued["claims"],
        "iat": int(now.astimezone(UTC).timestamp()),
        "exp": int((now + LIFETIME).astimezone(UTC).timestamp()),
        "jti": new_token(deps.rng, 16),
    }
    async with deps.uow() as uow:
        return await keys.sign_jwt(deps, uow, claims, alg=queued["alg"], typ="logout+jwt")
