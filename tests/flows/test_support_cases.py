"""The customer's side of a case (Ask us, the case page, replies), on both databases."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from entryway.core.cases import MAX_MESSAGE, Author, CaseState, Origin, Topic
from entryway.core.events import AuditAction, MessageKind
from entryway.errors import CodeRejected, FlowExpired, InvalidInput, NotFound, Unauthenticated
from entryway.flows.account import account
from entryway.flows.common import DAILY_CODES_PER_DESTINATION
from entryway.flows.ports import CaseEntry, Requester, SupportCase
from entryway.flows.support import cases
from entryway.flows.support.cases import ViaLink, ViaSession
from tests.conftest import World
from tests.flows.test_account import signed_in_with_token

WHO = Requester(ip="192.0.2.10", user_agent="pytest")
LINK = re.compile(r"http://us\.localhost:8000/cases/open/([A-Za-z0-9_\-]+)")


async def ask(world: World, contact: str = "someone@example.com", **kw: str) -> str:
    values = {"name": "Sam Doe", "topic": "locked", "message": "I can't get in."}
    values.update(kw)
    return await cases.open_signed_out(
        world.deps, "us", values["name"], contact, values["topic"], values["message"], WHO
    )


async def link_sent_to(world: World, to: str) -> str:
    await world.deliver()
    for message in reversed([*world.mailer.sent, *world.texter.sent]):
        if message.to == to:
            found = LINK.search(message.body)
            if found:
                return found.group(1)
    raise AssertionError(f"no case link went to {to}")


async def stored(world: World, number: str, site: str = "us") -> SupportCase:
    async with world.deps.uow() as uow:
        found = await uow.cases.by_number([site], number)
    assert found is not None
    return found


async def test_signed_out_case_claims_a_contact_and_confirms_with_a_link(world: World) -> None:
    number = await ask(world, " Someone@Example.COM ")
    assert len(number) == 8 and number.isdigit()
    case = await stored(world, number)
    assert case.origin is Origin.SIGNED_OUT and case.account_id is None
    assert (case.claimed_contact, case.claimed_kind) == ("someone@example.com", "email")
    assert case.state is CaseState.NEW and case.topic is Topic.LOCKED
    assert case.first_reply_due == world.clock.now() + timedelta(hours=24)
    token = await link_sent_to(world, "someone@example.com")
    email = world.mailer.sent[-1]
    assert number in email.subject and "View your case" in email.body
    shown = await cases.case_for_link(world.deps, "us", token)
    assert shown.number == number and shown.can_reply and not shown.verified
    assert [(e.author, e.body) for e in shown.entries] == [(Author.CUSTOMER, "I can't get in.")]


async def test_a_phone_contact_gets_a_text(world: World) -> None:
    number = await ask(world, "(201) 555-0123")
    token = await link_sent_to(world, "+12015550123")
    assert number in world.texter.sent[-1].body
    assert (await cases.case_for_link(world.deps, "us", token)).number == number


async def test_known_and_unknown_contacts_get_the_same_answer(world: World) -> None:
    me, _ = await signed_in_with_token(world, "ana@example.com")
    known = await stored(world, await ask(world, "ana@example.com"))
    unknown = await stored(world, await ask(world, "nobody@example.com"))
    assert known.account_id is None and unknown.account_id is None  # never linked by itself
    await world.deliver()
    to_known, to_unknown = world.mailer.sent[-2], world.mailer.sent[-1]
    assert to_known.subject.replace(known.number, "N") == to_unknown.subject.replace(
        unknown.number, "N"
    )
    assert LINK.sub("L", to_known.body).replace(known.number, "N") == LINK.sub(
        "L", to_unknown.body
    ).replace(unknown.number, "N")
    async with world.deps.uow() as uow:
        activity = await uow.audit.recent("us", me.account.id)
        listed = await uow.outbox.for_account("us", me.account.id)
    assert AuditAction.SUPPORT_CASE_OPENED not in {a.action for a in activity}
    assert MessageKind.SUPPORT_CASE not in {m.kind for m in listed}


async def test_quotas_per_destination_as_for_codes(world: World) -> None:
    for _ in range(DAILY_CODES_PER_DESTINATION):
        await ask(world, "flood@example.com")
    with pytest.raises(CodeRejected, match="too many"):
        await ask(world, "flood@example.com")
    await ask(world, "other@example.com")  # another address is not held up


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("message", {"message": "x" * (MAX_MESSAGE + 1)}),
        ("message", {"message": "   "}),
        ("topic", {"topic": "identity_review"}),
        ("topic", {"topic": "nonsense"}),
        ("name", {"name": " "}),
    ],
)
async def test_bad_input_is_refused_and_opens_nothing(
    world: World, field: str, values: dict[str, str]
) -> None:
    with pytest.raises(InvalidInput) as raised:
        await ask(world, **values)
    assert raised.value.field == field
    with pytest.raises(InvalidInput) as bad_contact:
        await ask(world, "not a contact")
    assert bad_contact.value.field == "contact"
    async with world.deps.uow() as uow:
        assert await uow.outbox.latest() == []


async def test_a_message_of_exactly_4000_characters_is_taken(world: World) -> None:
    number = await ask(world, message="y" * MAX_MESSAGE)
    token = await link_sent_to(world, "someone@example.com")
    shown = await cases.case_for_link(world.deps, "us", token)
    assert shown.number == number and len(shown.entries[0].body) == MAX_MESSAGE


async def test_a_link_is_bound_to_its_site_and_its_case(world: World) -> None:
    first = await ask(world, "one@example.com")
    second = await ask(world, "two@example.com")
    one, two = (
        await link_sent_to(world, "one@example.com"),
        await link_sent_to(world, "two@example.com"),
    )
    assert (await cases.case_for_link(world.deps, "us", one)).number == first
    assert (await cases.case_for_link(world.deps, "us", two)).number == second
    altered = one[:-1] + ("B" if one.endswith("A") else "A")  # never the token itself
    for site, token in (("uk", one), ("us", altered), ("us", ""), ("us", "x" * 500)):
        with pytest.raises(NotFound):
            await cases.case_for_link(world.deps, site, token)
    with pytest.raises(NotFound):  # another site's link answers no reply either
        await cases.reply_as_customer(world.deps, "uk", ViaLink(one), "hello", WHO)


async def set_state(world: World, number: str, state: CaseState, **values: object) -> None:
    case = await stored(world, number)
    async with world.deps.uow() as uow:
        assert await uow.cases.move("us", case.id, case.state, state=state, **values)
        await uow.commit()


async def test_a_reply_reopens_a_solved_case_and_a_closed_one_takes_none(world: World) -> None:
    from entryway.flows.support import queue

    number = await ask(world)
    token = await link_sent_to(world, "someone@example.com")
    await set_state(world, number, CaseState.SOLVED, solved_at=world.clock.now())
    shown = await cases.reply_as_customer(world.deps, "us", ViaLink(token), "Still stuck.", WHO)
    assert shown.state is CaseState.OPEN and shown.entries[-1].body == "Still stuck."
    assert (await stored(world, number)).solved_at is None

    await set_state(world, number, CaseState.SOLVED, solved_at=world.clock.now())
    world.clock.advance(days=6, hours=23)
    assert await queue.close_solved(world.deps) == 0  # not yet 7 days
    world.clock.advance(hours=1)
    assert await queue.close_solved(world.deps) == 1
    assert (await stored(world, number)).state is CaseState.CLOSED
    with pytest.raises(FlowExpired, match="new case"):
        await cases.case_for_link(world.deps, "us", token)
    with pytest.raises(FlowExpired, match="new case"):
        await cases.reply_as_customer(world.deps, "us", ViaLink(token), "Hello?", WHO)


async def test_reply_bounds_and_pending_customer_goes_back_to_open(world: World) -> None:
    number = await ask(world)
    token = await link_sent_to(world, "someone@example.com")
    with pytest.raises(InvalidInput) as raised:
        await cases.reply_as_customer(world.deps, "us", ViaLink(token), "z" * 4001, WHO)
    assert raised.value.field == "reply"
    await set_state(world, number, CaseState.PENDING_CUSTOMER)
    shown = await cases.reply_as_customer(world.deps, "us", ViaLink(token), "Here it is.", WHO)
    assert shown.state is CaseState.OPEN


async def test_the_customer_never_sees_notes_or_staff(world: World) -> None:
    number = await ask(world)
    token = await link_sent_to(world, "someone@example.com")
    case = await stored(world, number)
    async with world.deps.uow() as uow:
        now = world.clock.now()
        await uow.cases.add_entry(CaseEntry("us", case.id, Author.NOTE, "secret note", now, "s9"))
        await uow.cases.add_entry(CaseEntry("us", case.id, Author.SYSTEM, "Assigned to s9", now))
        await uow.cases.add_entry(CaseEntry("us", case.id, Author.AGENT, "Hi Sam", now, "s9"))
        await uow.commit()
    shown = await cases.case_for_link(world.deps, "us", token)
    assert [e.body for e in shown.entries] == ["I can't get in.", "Hi Sam"]
    assert "s9" not in repr(shown) and "secret" not in repr(shown)


async def test_signed_in_case_is_the_accounts_and_listed_on_login_and_security(
    world: World,
) -> None:
    me, session = await signed_in_with_token(world, "ana@example.com")
    number = await cases.open_signed_in(world.deps, "us", session, "two_step", "New phone", WHO)
    case = await stored(world, number)
    assert case.origin is Origin.SIGNED_IN and case.account_id == me.account.id
    listed = await cases.cases_of_account(world.deps, "us", session)
    assert [c.number for c in listed] == [number]
    shown = await cases.case_for_account(world.deps, "us", session, number)
    assert shown.number == number
    messages = await account.messages(world.deps, me)
    confirmation = next(m for m in messages if m.kind == MessageKind.SUPPORT_CASE)
    assert "/cases/open/hidden" in confirmation.body  # the link only in the email itself
    await link_sent_to(world, "ana@example.com")  # the real email carries a working link
    _, other = await signed_in_with_token(world, "bo@example.com")
    with pytest.raises(NotFound):
        await cases.case_for_account(world.deps, "us", other, number)
    with pytest.raises(Unauthenticated):
        await cases.case_for_account(world.deps, "uk", session, number)
    with pytest.raises(Unauthenticated):
        await cases.open_signed_in(world.deps, "us", "nope", "two_step", "x", WHO)
    shown = await cases.reply_as_customer(
        world.deps, "us", ViaSession(session, number), "More detail", WHO
    )
    assert shown.entries[-1].body == "More detail"
