"""Notices are written in their reader's language (issue 13): the account's preferred one
where its site offers it, else the request's, else the site's; the outbox keeps the
email's HTML part beside the text. Runs on SQLite and, with --db=postgresql, PostgreSQL."""

from __future__ import annotations

from entryway.core.events import Channel, MessageKind
from entryway.flows.account import registration
from entryway.flows.ports import Message, Requester
from entryway.flows.recovery import password_reset
from tests.conftest import World

PW = "quiet-meadow-lantern"
ANA = "ana@example.com"
FRENCH = Requester(ip="192.0.2.10", user_agent="pytest", locale="fr-CA")
ENGLISH = Requester(ip="192.0.2.10", user_agent="pytest", locale="en-CA")


async def _sent(world: World, kind: MessageKind) -> Message:
    async with world.deps.uow() as uow:
        found = await uow.outbox.latest(50)
    return next(m for m in found if m.kind == kind and m.channel == Channel.EMAIL)


async def _account(world: World, site: str, who: Requester) -> str:
    started = await registration.start(
        world.deps, site, name="Ana", identifier=ANA, password=PW, password_again=PW, who=who
    )
    done = await registration.verify(
        world.deps, site, flow_token=started.flow_token, code=await world.code(ANA), who=who
    )
    return done.account_id


def _subject(world: World, name: str, site: str, locale: str, **values: object) -> str:
    return world.deps.messages.email(name, world.deps.site(site), locale, **values).subject


async def test_a_code_to_a_new_account_is_in_the_language_of_the_request(world: World) -> None:
    await registration.start(
        world.deps, "ca", name="Ana", identifier=ANA, password=PW, password_again=PW, who=FRENCH
    )
    code = await _sent(world, MessageKind.VERIFY_ACCOUNT)
    french = _subject(world, "verify_account", "ca", "fr-CA", code="000000")
    assert code.subject == french != _subject(world, "verify_account", "ca", "en-CA", code="0")
    assert 'lang="fr-CA"' in code.html and "Acme Market" in code.html


async def test_the_account_s_own_language_wins_over_the_request_s(world: World) -> None:
    account_id = await _account(world, "ca", ENGLISH)
    async with world.deps.uow() as uow:
        await uow.accounts.update("ca", account_id, locale="fr-CA")
        await uow.commit()
    await password_reset.start(world.deps, "ca", identifier=ANA, who=ENGLISH)
    code = await _sent(world, MessageKind.RESET_CODE)
    assert code.subject == _subject(world, "reset_code", "ca", "fr-CA", code="000000")
    assert 'lang="fr-CA"' in code.html


async def test_a_language_the_site_does_not_offer_falls_back_to_the_site_s(world: World) -> None:
    account_id = await _account(world, "us", FRENCH)  # the us site offers en-US only
    async with world.deps.uow() as uow:
        await uow.accounts.update("us", account_id, locale="fr-CA")
        await uow.commit()
    await password_reset.start(world.deps, "us", identifier=ANA, who=FRENCH)
    code = await _sent(world, MessageKind.RESET_CODE)
    assert code.subject == "Acme Market: your password reset code"
    assert 'lang="en-US"' in code.html
