"""The agents' side of a case: scoping by site and role, search, replies, notes, states."""

from __future__ import annotations

import pytest

from entryway.core.cases import Author, CaseState, Topic
from entryway.core.events import MessageKind
from entryway.core.staff import Actor, Role
from entryway.errors import FlowExpired, InvalidInput, NotFound
from entryway.flows.account import account
from entryway.flows.ports import Requester
from entryway.flows.support import cases, queue
from entryway.flows.support.cases import ViaLink
from tests.conftest import World
from tests.flows.staff_helpers import enrolled
from tests.flows.test_account import signed_in_with_token
from tests.flows.test_support_cases import LINK, ask, link_sent_to, stored

WHO = Requester(ip="192.0.2.10", user_agent="pytest")
US = Actor("s-us", "us@staff.example", frozenset({Role.AGENT}), frozenset({"us"}))
UK = Actor("s-uk", "uk@staff.example", frozenset({Role.AGENT}), frozenset({"uk"}))
ALL = Actor("s-all", "all@staff.example", frozenset({Role.AGENT}), frozenset(), all_sites=True)
REVIEWER = Actor("s-rev", "rev@staff.example", frozenset({Role.REVIEWER}), frozenset({"us"}))


async def ask_uk(world: World, contact: str = "someone@example.com") -> str:
    return await cases.open_signed_out(world.deps, "uk", "Sam", contact, "other", "Hi", WHO)


async def test_an_actor_of_one_site_never_sees_another_sites_case(world: World) -> None:
    us_number = await ask(world)
    uk_number = await ask_uk(world)
    uk_case = await stored(world, uk_number, "uk")
    assert [i.number for i in await queue.queue(world.deps, US)] == [us_number]
    assert [i.number for i in await queue.queue(world.deps, US, site="uk")] == []
    assert await queue.search(world.deps, US, uk_number) == []
    assert await queue.search(world.deps, US, "someone@example.com") != []
    assert all(i.site == "us" for i in await queue.search(world.deps, US, "someone@example.com"))
    for call in (
        queue.open_case(world.deps, US, uk_case.id),
        queue.reply(world.deps, US, uk_case.id, "hello"),
        queue.note(world.deps, US, uk_case.id, "hello"),
        queue.assign(world.deps, US, uk_case.id, "me"),
        queue.set_state(world.deps, US, uk_case.id, "solved"),
    ):
        with pytest.raises(NotFound) as raised:
            await call
        assert raised.value.message == queue.NO_SUCH_CASE  # same as an id that does not exist
    with pytest.raises(NotFound) as unknown:
        await queue.open_case(world.deps, US, "no-such-id")
    assert unknown.value.message == queue.NO_SUCH_CASE
    assert (await queue.open_case(world.deps, UK, uk_case.id)).case.number == uk_number
    both = {i.number for i in await queue.queue(world.deps, ALL)}
    assert both == {us_number, uk_number}


async def test_roles_see_only_their_topics(world: World) -> None:
    number = await ask(world)
    case = await stored(world, number)
    assert await queue.queue(world.deps, REVIEWER) == []
    with pytest.raises(NotFound):
        await queue.open_case(world.deps, REVIEWER, case.id)
    async with world.deps.uow() as uow:  # a journey's own topic: not for agents
        await uow.cases.move("us", case.id, CaseState.NEW, topic=Topic.IDENTITY_REVIEW)
        await uow.commit()
    assert await queue.queue(world.deps, US) == []
    assert await queue.search(world.deps, US, number) == []
    with pytest.raises(NotFound):
        await queue.open_case(world.deps, US, case.id)
    assert [i.number for i in await queue.queue(world.deps, REVIEWER)] == [number]


async def test_filters_and_the_order_by_due(world: World) -> None:
    first = await ask(world, "a@example.com")
    world.clock.advance(minutes=5)
    second = await ask(world, "b@example.com", topic="two_step")
    assert [i.number for i in await queue.queue(world.deps, US)] == [first, second]
    assert [i.number for i in await queue.queue(world.deps, US, topic="two_step")] == [second]
    case = await stored(world, second)
    await queue.assign(world.deps, US, case.id, "me")
    assert [i.number for i in await queue.queue(world.deps, US, mine=True)] == [second]
    assert [i.number for i in await queue.queue(world.deps, US, state="open")] == [second]
    with pytest.raises(InvalidInput):
        await queue.queue(world.deps, US, state="bogus")
    with pytest.raises(InvalidInput):
        await queue.search(world.deps, US, "not anything")
    assert [i.number for i in await queue.search(world.deps, US, "A@Example.com")] == [first]


async def test_reply_emails_the_claimed_contact_and_clears_the_due(world: World) -> None:
    number = await ask(world, "sam@example.com")
    case = await stored(world, number)
    opened = await queue.open_case(world.deps, US, case.id)
    assert opened.case.origin_label == "Not verified" and opened.account_id is None
    assert opened.case.claimed_contact == "sam@example.com"
    seen = await queue.reply(world.deps, US, case.id, "Please try the reset page.")
    assert seen.case.state is CaseState.PENDING_CUSTOMER and seen.case.first_reply_due is None
    assert seen.entries[-1].author is Author.AGENT and seen.entries[-1].staff_id == "s-us"
    token = await link_sent_to(world, "sam@example.com")
    sent = world.mailer.sent[-1]
    assert "Please try the reset page." in sent.body and number in sent.subject
    shown = await cases.case_for_link(world.deps, "us", token)
    assert shown.entries[-1].body == "Please try the reset page."
    after = await cases.reply_as_customer(world.deps, "us", ViaLink(token), "It worked", WHO)
    assert after.state is CaseState.OPEN


async def test_reply_to_a_phone_is_a_short_text(world: World) -> None:
    number = await ask(world, "+12015550123")
    case = await stored(world, number)
    await queue.reply(world.deps, US, case.id, "word " * 300)
    await world.deliver()
    text = world.texter.sent[-1]
    assert (
        text.to == "+12015550123"
        and len(text.body) < 240
        and "word " * 30 not in text.body
        and LINK.search(text.body)
    )


async def test_signed_in_case_replies_show_in_the_message_center(world: World) -> None:
    me, session = await signed_in_with_token(world)
    number = await cases.open_signed_in(world.deps, "us", session, "locked", "help", WHO)
    case = await stored(world, number)
    assert (await queue.open_case(world.deps, US, case.id)).case.origin_label == "Signed in"
    await queue.reply(world.deps, US, case.id, "We are on it.")
    listed = await account.messages(world.deps, me)
    reply = next(m for m in listed if m.kind == MessageKind.CASE_REPLY)
    assert "We are on it." in reply.body and "/cases/open/hidden" in reply.body


async def test_notes_assign_and_states(world: World) -> None:
    number = await ask(world)
    case = await stored(world, number)
    seen = await queue.note(world.deps, US, case.id, "Looks like a typo in the email.")
    assert seen.case.state is CaseState.OPEN and seen.entries[-1].author is Author.NOTE
    await world.deliver()
    assert all("typo" not in m.body for m in world.mailer.sent)  # never sent
    other = await enrolled(world, "other@staff.example", frozenset({Role.AGENT}), ["us"])
    seen = await queue.assign(world.deps, US, case.id, other.staff_id)
    assert seen.case.assigned_to == other.staff_id
    with pytest.raises(InvalidInput):
        await queue.set_state(world.deps, US, case.id, "closed")  # the sweep's alone
    seen = await queue.set_state(world.deps, US, case.id, "solved")
    assert seen.case.state is CaseState.SOLVED and seen.moves == (CaseState.OPEN,)
    world.clock.advance(days=7)
    assert await queue.close_solved(world.deps) == 1
    with pytest.raises(FlowExpired):
        await queue.reply(world.deps, US, case.id, "late")
    seen = await queue.open_case(world.deps, US, case.id)
    assert seen.case.state is CaseState.CLOSED and seen.moves == ()
    assert [k for k, _t, _b in seen.canned][:1] == ["reset_yourself"]
    assert "http://us.localhost:8000/password/forgot" in seen.canned[0][2]


async def test_the_delivery_loop_runs_the_closing_sweep(world: World) -> None:
    import asyncio

    number = await ask(world)
    case = await stored(world, number)
    await queue.set_state(world.deps, US, case.id, "solved")
    world.clock.advance(days=8)
    world.runtime.delivery.start()
    try:
        async with asyncio.timeout(10):  # a stuck loop fails here, with its stack, not later
            for _ in range(100):
                if (await stored(world, number)).state is CaseState.CLOSED:
                    break
                await asyncio.sleep(0.02)
    finally:
        async with asyncio.timeout(10):
            await world.runtime.delivery.stop()
    assert (await stored(world, number)).state is CaseState.CLOSED


def test_case_links_are_hidden_in_stored_and_listed_messages() -> None:
    from entryway.core.outbox import LINK_KINDS, hide_link_tokens

    body = "View your case: http://us.localhost:8000/cases/open/AbC-d_93x.\nBye"
    assert (
        hide_link_tokens(body) == "View your case: http://us.localhost:8000/cases/open/hidden.\nBye"
    )
    assert {"support_case", "case_reply"} <= LINK_KINDS


async def test_a_signed_out_case_is_answered_in_the_language_it_was_asked_in(
    world: World,
) -> None:
    """No account keeps its language, so the case does: asked in French, answered in French."""
    french = Requester(ip="192.0.2.10", user_agent="pytest", locale="fr-CA")
    number = await cases.open_signed_out(
        world.deps, "ca", "Sam", "sam@example.org", "other", "Bonjour", french
    )
    case = await stored(world, number, "ca")
    assert case.locale == "fr-CA"
    canada = Actor("s-ca", "ca@staff.example", frozenset({Role.AGENT}), frozenset({"ca"}))
    await queue.reply(world.deps, canada, case.id, "Essayez la page de réinitialisation.")
    await world.deliver()
    sent = world.mailer.sent[-1]
    site = world.deps.site("ca")
    values = {"number": number, "reply": "x", "link": site.url("/cases/open/x")}
    assert sent.subject == world.deps.messages.email("case_reply", site, "fr-CA", **values).subject
    english = world.deps.messages.email("case_reply", site, "en-CA", **values).subject
    assert sent.subject != english
