"""Back-channel logout (OpenID Connect Back-Channel Logout 1.0): when a customer's session
ends, each app that signed in through it and registered a logout URI is told, by a signed
logout token POSTed from the outbox (so an app that is down delays it, never loses it).
These messages go to apps, not people: the Message Center never shows them."""

from __future__ import annotations

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
LIFETIME = timedelta(minutes=2)  # the receiver checks exp only loosely: it is a statement


async def queue_backchannel(deps: Deps, uow: UnitOfWork, grants: list[Grant]) -> int:
    """A logout token for each app and session among ``grants`` whose app listens, queued
    in the caller's transaction; how many."""
    now = deps.clock.now()
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
        claims: dict[str, Any] = {
            "iss": site.origin,
            "aud": app.id,
            "iat": int(now.astimezone(UTC).timestamp()),
            "exp": int((now + LIFETIME).astimezone(UTC).timestamp()),
            "jti": new_token(deps.rng, 16),
            "sub": public_subject(deps.keys, grant.site, grant.account_id),
            "sid": grant.sid,
            "events": {EVENT: {}},
        }
        token = await keys.sign_jwt(deps, uow, claims, alg=app.id_token_alg, typ="logout+jwt")
        await send(
            deps,
            uow,
            site,
            account_id=grant.account_id,
            channel=Channel.APP,
            kind=MessageKind.BACKCHANNEL_LOGOUT,
            to=app.backchannel_logout_uri,
            subject="",
            body=token,
        )
        queued += 1
    return queued
