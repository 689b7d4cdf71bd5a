"""Verification questions through the flows: set-up, its guards, and the all-or-nothing check."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from entryway.core.events import AuditAction, MessageKind
from entryway.errors import AnswersRejected, Forbidden
from entryway.flows.account import account, questions, registration, two_step
from entryway.flows.account.account import Current
from entryway.flows.ports import Requester
from tests.conftest import World

PW = "quiet-meadow-lantern"
WHO = Requester(ip="192.0.2.10", user_agent="pytest")
PHONE = "+12025550143"
GOOD = [("first_pet", "Rex"), ("childhood_street", "Elm St."), ("first_film", "Jaws")]


async def signed_in(world: World, *, phone: bool = True) -> Current:
    started = await registration.start(
        world.deps,
        "us",
        name="Ana Lopez",
        identifier="ana@example.com",
        password=PW,
        password_again=PW,
        who=WHO,
    )
    done = await registration.verify(
        world.deps,
        "us",
        flow_token=started.flow_token,
        code=await world.code("ana@example.com"),
        who=WHO,
    )
    me = await account.current(world.deps, "us", done.session_token)
    if phone:
        async with world.deps.uow() as uow:
            await uow.accounts.update("us", me.account.id, phone=PHONE, phone_verified=True)
            await uow.commit()
        me = await account.current(world.deps, "us", done.session_token)
    return me


async def again(world: World, me: Current) -> Current:
    """The same session, read afresh (after a reauthentication, say)."""
    async with world.deps.uow() as uow:
        session = await uow.sessions.get("us", me.session.id_hash)
    assert session is not None
    return Current(session=session, account=me.account)


class CountingHasher:
    """The real hasher, counting what it is asked to do."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: list[str] = []

    async def hash(self, password: str) -> str:
        self.calls.append("hash")
        return str(await self.inner.hash(password))

    async def verify(self, encoded: str, password: str, *, urgent: bool = False) -> bool:
        self.calls.append("verify")
        return bool(await self.inner.verify(encoded, password, urgent=urgent))

    async def verify_dummy(self, password: str, *, urgent: bool = False) -> None:
        self.calls.append("verify")  # one verify's worth of work, like a real one
        await self.inner.verify(self.inner._dummy, password + "\x00")

    def needs_rehash(self, encoded: str) -> bool:
        return bool(self.inner.needs_rehash(encoded))


async def test_set_answers_stores_hashes_audits_and_notifies_every_contact(world: World) -> None:
    me = await signed_in(world)
    before = len(world.mailer.sent), len(world.texter.sent)
    await questions.set_answers(world.deps, me, GOOD, WHO)

    async with world.deps.uow() as uow:
        stored = await uow.questions.answers("us", me.account.id)
        log = await uow.audit.recent("us", me.account.id)
    assert [a.question_id for a in stored] == ["first_pet", "childhood_street", "first_film"]
    for row, (_, typed) in zip(stored, GOOD, strict=True):
        assert typed not in row.answer_hash and row.answer_hash.startswith("$argon2id$")
        assert await world.deps.hasher.verify(row.answer_hash, questions.normalize_answer(typed))
        assert not await world.deps.hasher.verify(row.answer_hash, typed)  # hashed normalised
    assert log[0].action == AuditAction.QUESTIONS_SET and log[0].detail == {"first": True}

    await world.deliver()
    mails = world.mailer.sent[before[0] :]
    texts = world.texter.sent[before[1] :]
    assert [m.to for m in mails] == ["ana@example.com"] and [t.to for t in texts] == [PHONE]
    assert "verification questions were set" in mails[0].subject
    for message in (mails[0].body, texts[0].body):  # no question, no answer in a notice
        assert "Rex" not in message and "Elm" not in message and "pet" not in message

    overview = await questions.current(world.deps, me)
    assert [q.id for q in overview.chosen] == ["first_pet", "childhood_street", "first_film"]
    assert overview.set_at == world.clock.now()
    assert "Rex" not in repr(overview)


async def test_a_change_replaces_the_whole_set_and_says_changed(world: World) -> None:
    me = await signed_in(world, phone=False)
    await questions.set_answers(world.deps, me, GOOD, WHO)
    world.clock.advance(minutes=2)
    newer = [("first_teacher", "Moreau"), ("first_car", "Fiat Panda"), ("first_pet", "Bella")]
    await questions.set_answers(world.deps, me, newer, WHO)
    async with world.deps.uow() as uow:
        stored = await uow.questions.answers("us", me.account.id)
        log = await uow.audit.recent("us", me.account.id)
    assert await questions.verify_answers(world.deps, "us", me.account.id, newer)
    assert not await questions.verify_answers(world.deps, "us", me.account.id, GOOD)
    assert [a.question_id for a in stored] == ["first_teacher", "first_car", "first_pet"]
    assert {a.set_at for a in stored} == {world.clock.now()}
    assert log[0].detail == {"first": False}
    await world.deliver()
    assert "were changed" in world.mailer.sent[-1].subject
    kinds = await _kinds(world, me)
    assert kinds.count(MessageKind.QUESTIONS_CHANGED) == 2


async def _kinds(world: World, me: Current) -> list[str]:
    async with world.deps.uow() as uow:
        return [m.kind for m in await uow.outbox.for_account("us", me.account.id)]


async def test_setting_needs_a_password_given_in_the_last_ten_minutes(world: World) -> None:
    me = await signed_in(world)
    world.clock.advance(minutes=11)
    with pytest.raises(Forbidden):
        await questions.set_answers(world.deps, me, GOOD, WHO)
    async with world.deps.uow() as uow:
        assert await uow.questions.answers("us", me.account.id) == []
    await two_step.reauthenticate(world.deps, me, PW, WHO)
    await questions.set_answers(world.deps, await again(world, me), GOOD, WHO)
    assert len((await questions.current(world.deps, me)).chosen) == 3


async def test_refused_answers_change_nothing_and_name_their_field(world: World) -> None:
    me = await signed_in(world)
    await questions.set_answers(world.deps, me, GOOD, WHO)
    bad = [("first_pet", "Rex"), ("first_pet", "Ana"), ("first_film", PW)]
    with pytest.raises(AnswersRejected) as caught:
        await questions.set_answers(world.deps, me, bad, WHO)
    assert set(caught.value.problems) == {"question_2", "answer_2"}  # "Ana" is her name
    with pytest.raises(AnswersRejected) as caught:
        await questions.set_answers(
            world.deps, me, [("first_pet", "Rex"), ("first_car", "Fiat"), ("first_film", PW)], WHO
        )
    assert caught.value.problems == {"answer_3": "Don't use your password as an answer."}
    async with world.deps.uow() as uow:
        stored = await uow.questions.answers("us", me.account.id)
    assert [a.question_id for a in stored] == [q for q, _ in GOOD]
    # Only the first set's notices: one email and one text.
    assert (await _kinds(world, me)).count(MessageKind.QUESTIONS_CHANGED) == 2


@pytest.mark.parametrize(
    "answers",
    [
        GOOD,  # right
        [("first_pet", "rex"), ("childhood_street", "ELM ST"), ("first_film", "jaws!")],  # right
        [("first_pet", "Rex"), ("childhood_street", "Elm St."), ("first_film", "Alien")],
        [("first_pet", "Rex"), ("childhood_street", "Elm St.")],
        [("first_pet", "Rex"), ("first_pet", "Rex"), ("first_film", "Jaws")],
        [("first_pet", "Rex"), ("childhood_street", "Elm St."), ("first_car", "Jaws")],
        [],
    ],
)
async def test_verify_answers_is_all_or_nothing_with_the_same_work(
    world: World, answers: list[tuple[str, str]]
) -> None:
    me = await signed_in(world, phone=False)
    await questions.set_answers(world.deps, me, GOOD, WHO)
    counting = CountingHasher(world.deps.hasher)
    deps = replace(world.deps, hasher=counting)
    ok = await questions.verify_answers(deps, "us", me.account.id, answers)
    assert ok is (
        answers
        in (GOOD, [("first_pet", "rex"), ("childhood_street", "ELM ST"), ("first_film", "jaws!")])
    )
    assert counting.calls == ["verify"] * 3


async def test_verify_answers_without_a_set_does_the_same_work(world: World) -> None:
    me = await signed_in(world, phone=False)
    counting = CountingHasher(world.deps.hasher)
    deps = replace(world.deps, hasher=counting)
    assert not await questions.verify_answers(deps, "us", me.account.id, GOOD)
    assert not await questions.verify_answers(deps, "uk", me.account.id, GOOD)
    assert counting.calls == ["verify"] * 6


async def test_another_sites_check_finds_nothing(world: World) -> None:
    me = await signed_in(world, phone=False)
    await questions.set_answers(world.deps, me, GOOD, WHO)
    assert not await questions.verify_answers(world.deps, "uk", me.account.id, GOOD)
    assert await questions.verify_answers(world.deps, "us", me.account.id, GOOD)
