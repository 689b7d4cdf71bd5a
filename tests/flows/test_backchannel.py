"""Back-channel logout tokens leave through the outbox: posted to the app's URI, retried
when the app is down, never lost."""

from __future__ import annotations

from dataclasses import replace

from joserfc import jwt
from joserfc.jwk import KeySet

from entryway.core.events import MessageStatus
from entryway.flows.account import account
from entryway.flows.apps import keys
from entryway.flows.apps.logout import EVENT
from tests.conftest import World
from tests.flows.test_apps_ending import _app, _grant
from tests.flows.test_password_reset import WHO, make


class Poster:
    def __init__(self) -> None:
        self.down = False
        self.got: list[tuple[str, str]] = []

    async def post_logout(self, uri: str, token: str) -> None:
        if self.down:
            raise RuntimeError("the app answered 503")
        self.got.append((uri, token))


async def test_the_logout_token_is_posted_and_retried_until_the_app_answers(
    world: World,
) -> None:
    app = await _app(world)
    token = await make(world)
    me = await account.current(world.deps, "us", token)
    await _grant(world, app, me.account.id, me.session.public_id)
    await account.end_all_sessions(world.deps, me, WHO)
    poster = Poster()
    courier = replace(world.runtime.delivery.courier, poster=poster)
    poster.down = True
    await courier.run_once()
    async with world.deps.uow() as uow:
        waiting = [m for m in await uow.outbox.latest() if m.to.endswith("backchannel-logout")]
    assert waiting and waiting[0].status == MessageStatus.PENDING and waiting[0].attempts == 1
    poster.down = False
    world.clock.advance(hours=1)
    await courier.run_once()
    assert [uri for uri, _ in poster.got] == [app.backchannel_logout_uri]
    claims = jwt.decode(poster.got[0][1], KeySet.import_key_set(await keys.jwks(world.deps))).claims
    assert claims["aud"] == app.id and claims["sid"] == me.session.public_id
    assert EVENT in claims["events"] and "nonce" not in claims
    assert claims["iss"] == "http://us.localhost:8000"
    # Signed as it was posted, an hour after the sign-out: the app checks exp and gets a
    # token that is still good, not one that expired while it was down.
    now = int(world.clock.now().timestamp())
    assert claims["iat"] == now and now < claims["exp"] <= now + 120
    # The outbox kept the statement, never a token someone could post to the app again.
    async with world.deps.uow() as uow:
        kept = [m for m in await uow.outbox.latest() if m.to.endswith("backchannel-logout")]
    assert kept[0].status == MessageStatus.SENT and not kept[0].body.startswith("ey")
