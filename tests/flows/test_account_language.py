"""An account's language: kept only when its site offers it, audited when it changes, and
taken from the request at registration."""

from __future__ import annotations

import pytest

from entryway.core.events import AuditAction
from entryway.errors import InvalidInput
from entryway.flows.account import account, registration
from entryway.flows.ports import Requester
from tests.conftest import World
from tests.flows.test_account import PW, signed_in

FRENCH = Requester(ip="192.0.2.10", user_agent="pytest", locale="fr-CA")


async def actions(world: World, me: account.Current) -> list[AuditAction]:
    return [e.action for e in (await account.overview(world.deps, me)).activity]


async def test_a_language_the_site_does_not_offer_is_refused(world: World) -> None:
    me = await signed_in(world)  # the US site: en-US only
    with pytest.raises(InvalidInput, match="en-US") as refused:
        await account.set_language(world.deps, me, "fr-CA", FRENCH)
    assert refused.value.field == "locale"
    assert refused.value.said(lambda text: text.replace("Choose", "Pick")).startswith("Pick")
    assert AuditAction.LANGUAGE_CHANGED not in await actions(world, me)


async def test_the_same_language_again_changes_nothing(world: World) -> None:
    me = await signed_in(world)
    assert await account.set_language(world.deps, me, "en-US", FRENCH)
    assert not await account.set_language(world.deps, me, "en-US", FRENCH)
    assert (await actions(world, me)).count(AuditAction.LANGUAGE_CHANGED) == 1
    assert me.account.locale == "en-US"


async def test_registration_keeps_the_request_s_language_where_offered(world: World) -> None:
    for site, who, expected in (
        ("ca", FRENCH, "fr-CA"),
        ("us", FRENCH, "en-US"),  # not offered there: the site's own
        ("uk", Requester(ip="192.0.2.10"), ""),  # no language known: the site's default later
    ):
        started = await registration.start(
            world.deps,
            site,
            name="Zoé",
            identifier=f"zoe.{site}@example.com",
            password=PW,
            password_again=PW,
            who=who,
        )
        done = await registration.verify(
            world.deps,
            site,
            flow_token=started.flow_token,
            code=await world.code(f"zoe.{site}@example.com"),
            who=who,
        )
        me = await account.current(world.deps, site, done.session_token)
        assert me.account.locale == expected, site
