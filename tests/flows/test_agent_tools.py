"""Agent tools on a case: reasons, audit, notices, contacts on file only, Verify it's you."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import timedelta
from typing import Any

import pytest

from entryway.core.events import AuditAction, MessageKind
from entryway.core.lockout import LockReason
from entryway.core.staff import Actor, Role
from entryway.errors import CodeRejected, Forbidden, InvalidInput, NotFound, Unauthenticated
from entryway.flows.account import account
from entryway.flows.ports import Lock, Requester
from entryway.flows.recovery import password_reset
from entryway.flows.signin import lockout
from entryway.flows.support import agent, cases, queue, verify
from entryway.flows.support.cases import ViaLink, ViaSession
from tests.conftest import World
from tests.flows.test_account import signed_in_with_token
from tests.flows.test_case_queue import UK, US
from tests.flows.test_support_cases import ask, link_sent_to, stored

WHO = Requester(ip="192.0.2.10", user_agent="pytest")
REVIEWER = Actor("s-rev", "r@staff.example", frozenset({Role.REVIEWER}), frozenset({"us"}))


async def outbox_size(world: World) -> int:
    return len(await outbox(world))


async def outbox(world: World) -> list[Any]:
    async with world.deps.uow() as uow:
        return await uow.outbox.latest()


async def audit_of(world: World, account_id: str) -> list[Any]:
    async with world.deps.uow() as uow:
        return await uow.audit.recent("us", account_id, 50)


async def signed_out_case(world: World, contact: str) -> tuple[str, str]:
    """(case id, View your case token) of a signed-out case claiming ``contact``."""
    number = await ask(world, contact)
    token = await link_sent_to(world, contact)
    return (await stored(world, number)).id, token


async def test_security_32_verify_its_you_links_a_signed_out_case_to_the_account(
    world: World,
) -> None:
    me, _ = await signed_in_with_token(world, "ana@example.com")
    case_id, token = await signed_out_case(world, "ana@example.com")
    with pytest.raises(Forbidden, match="Verify it's you"):
        await agent.summary(world.deps, US, case_id)
    with pytest.raises(InvalidInput) as raised:
        await agent.send_verification(world.deps, US, case_id, "   ")
    assert raised.value.field == "reason"
    assert (
        await stored(world, (await queue.open_case(world.deps, US, case_id)).case.number)
    ).verify_sends == 0

    answer = await agent.send_verification(world.deps, US, case_id, "Customer asks for help")
    assert answer == agent.SENT_IF_ON_FILE
    await world.deliver()
    email = world.mailer.sent[-1]
    assert email.to == "ana@example.com" and "://" not in email.body  # a code and no link
    code = await world.code("ana@example.com")
    page = await cases.case_for_link(world.deps, "us", token)
    assert page.code_asked and not page.verified

    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(CodeRejected):
            await verify.enter_verification_code(world.deps, "us", ViaLink(token), wrong, WHO)
    with pytest.raises(CodeRejected, match="expired or was tried"):  # five tries, then none
        await verify.enter_verification_code(world.deps, "us", ViaLink(token), code, WHO)
    assert not (await queue.open_case(world.deps, US, case_id)).verified

    await agent.send_verification(world.deps, US, case_id, "Second try")
    code = await world.code("ana@example.com")
    page = await verify.enter_verification_code(world.deps, "us", ViaLink(token), code, WHO)
    assert page.verified and not page.code_asked
    seen = await queue.open_case(world.deps, US, case_id)
    assert seen.verified and seen.account_id == me.account.id
    actions = [e.action for e in await audit_of(world, me.account.id)]
    assert AuditAction.CASE_VERIFIED in actions and AuditAction.AGENT_VERIFICATION_SENT in actions
    summary = await agent.summary(world.deps, US, case_id)
    assert summary.account_id == me.account.id
    assert [c.masked for c in summary.contacts] == ["a***@example.com"]


async def test_security_32_an_unknown_contact_gets_nothing_and_the_same_answer(
    world: World,
) -> None:
    await signed_in_with_token(world, "ana@example.com")
    known_id, _ = await signed_out_case(world, "ana@example.com")
    unknown_id, token = await signed_out_case(world, "nobody@example.com")
    sent_before = len(world.mailer.sent)
    answers = [
        await agent.send_verification(world.deps, US, case_id, "Check it")
        for case_id in (known_id, unknown_id)
    ]
    assert answers[0] == answers[1] == agent.SENT_IF_ON_FILE
    await world.deliver()
    assert [m.to for m in world.mailer.sent[sent_before:]] == ["ana@example.com"]
    known = await queue.open_case(world.deps, US, known_id)
    unknown = await queue.open_case(world.deps, US, unknown_id)
    for view in (known, unknown):  # what the agent sees is the same, word for word
        assert view.entries[-1].body == known.entries[-1].body
        assert view.verification_sent and not view.verified and view.account_id is None
    for _ in range(5):  # the case page acts the same: five tries, then none
        with pytest.raises(CodeRejected, match="isn't right"):
            await verify.enter_verification_code(world.deps, "us", ViaLink(token), "123456", WHO)
    with pytest.raises(CodeRejected, match="expired or was tried"):
        await verify.enter_verification_code(world.deps, "us", ViaLink(token), "123456", WHO)


async def locked_signed_in_case(world: World) -> tuple[str, str, str]:
    """(account id, session token, case id) of a signed-in case whose account is locked."""
    me, session = await signed_in_with_token(world, "ana@example.com")
    number = await cases.open_signed_in(world.deps, "us", session, "locked", "Help", WHO)
    now = world.clock.now()
    async with world.deps.uow() as uow:
        await uow.locks.acquire(
            Lock(
                site="us",
                key_hash=lockout.account_key(world.deps, me.account.id),
                account_id=me.account.id,
                reason=LockReason.PASSWORD_GUESSING,
                locked_at=now,
                until=now + timedelta(hours=1),
            ),
            now,
            max_strikes=5,
            forever=now + timedelta(days=3650),
        )
        await uow.commit()
    return me.account.id, session, (await stored(world, number)).id


TOOLS = {
    "reveal_contact": lambda d, c, r: agent.reveal_contact(d, US, c, 0, r),
    "send_verification": lambda d, c, r: agent.send_verification(d, US, c, r),
    "send_reset_code": lambda d, c, r: agent.send_reset_code(d, US, c, 0, r),
    "send_unlock_link": lambda d, c, r: agent.send_unlock_link(d, US, c, r),
    "lift_lock": lambda d, c, r: agent.lift_lock(d, US, c, r),
    "sign_out_everywhere": lambda d, c, r: agent.sign_out_everywhere(d, US, c, r),
}
ACTIONS = {
    "reveal_contact": AuditAction.AGENT_CONTACT_REVEALED,
    "send_verification": AuditAction.AGENT_VERIFICATION_SENT,
    "send_reset_code": AuditAction.AGENT_RESET_SENT,
    "send_unlock_link": AuditAction.AGENT_UNLOCK_SENT,
    "lift_lock": AuditAction.AGENT_LOCK_LIFTED,
    "sign_out_everywhere": AuditAction.AGENT_SIGNED_OUT_EVERYWHERE,
}


@pytest.mark.parametrize("tool", sorted(TOOLS))
async def test_every_tool_without_a_reason_is_refused_and_changes_nothing(
    world: World, tool: str
) -> None:
    account_id, session, case_id = await locked_signed_in_case(world)
    before = (len(await audit_of(world, account_id)), await outbox_size(world))
    entries = len((await queue.open_case(world.deps, US, case_id)).entries)
    for reason in ("", "  \n "):
        with pytest.raises(InvalidInput) as raised:
            await TOOLS[tool](world.deps, case_id, reason)
        assert raised.value.field == "reason"
    assert (len(await audit_of(world, account_id)), await outbox_size(world)) == before
    assert len((await queue.open_case(world.deps, US, case_id)).entries) == entries
    await account.current(world.deps, "us", session)  # still signed in


@pytest.mark.parametrize("tool", sorted(TOOLS))
async def test_every_tool_is_audited_recorded_and_notifies(world: World, tool: str) -> None:
    account_id, _session, case_id = await locked_signed_in_case(world)
    before = {m.id for m in await outbox(world)}
    await TOOLS[tool](world.deps, case_id, f"Reason for {tool}")
    [row] = [e for e in await audit_of(world, account_id) if e.action == ACTIONS[tool]]
    number = (await queue.open_case(world.deps, US, case_id)).case.number
    assert row.detail == {
        **row.detail,
        "staff": "s-us",
        "case": number,
        "reason": f"Reason for {tool}",
    }
    last = (await queue.open_case(world.deps, US, case_id)).entries[-1]
    assert f"Reason for {tool}" in last.body and last.staff_id == "s-us"
    sent = [m for m in await outbox(world) if m.id not in before]
    assert sent and all(m.to == "ana@example.com" for m in sent)
    if tool != "send_verification":  # that one's notice is the code itself
        assert MessageKind.AGENT_ACTION in {m.kind for m in sent}


async def test_the_tools_do_what_they_say(world: World) -> None:
    _account_id, session, case_id = await locked_signed_in_case(world)
    assert (await agent.summary(world.deps, US, case_id)).locked
    assert await agent.reveal_contact(world.deps, US, case_id, 0, "Typo check") == "ana@example.com"
    with pytest.raises(InvalidInput):
        await agent.reveal_contact(world.deps, US, case_id, 1, "No phone on file")

    masked = await agent.send_reset_code(world.deps, US, case_id, 0, "Forgot password")
    assert masked == "a***@example.com"
    reset_token = await verify.reset_flow_for(
        world.deps,
        "us",
        ViaSession(session, (await queue.open_case(world.deps, US, case_id)).case.number),
    )
    code = await world.code("ana@example.com")
    await password_reset.verify(world.deps, "us", flow_token=reset_token, code=code)

    await agent.send_unlock_link(world.deps, US, case_id, "Locked out")
    await world.deliver()
    assert "/unlock?token=" in world.mailer.sent[-2].body + world.mailer.sent[-1].body
    await agent.lift_lock(world.deps, US, case_id, "Verified by code")
    assert not (await agent.summary(world.deps, US, case_id)).locked
    with pytest.raises(InvalidInput, match="not locked"):
        await agent.lift_lock(world.deps, US, case_id, "again")

    assert await agent.sign_out_everywhere(world.deps, US, case_id, "Lost phone") >= 1
    with pytest.raises(Unauthenticated):
        await account.current(world.deps, "us", session)


async def test_only_agents_of_the_cases_site_use_the_tools(world: World) -> None:
    _account_id, _session, case_id = await locked_signed_in_case(world)
    with pytest.raises(Forbidden):
        await agent.lift_lock(world.deps, REVIEWER, case_id, "reason")
    for call in (
        agent.summary(world.deps, UK, case_id),
        agent.lift_lock(world.deps, UK, case_id, "reason"),
        agent.send_verification(world.deps, UK, case_id, "reason"),
    ):
        with pytest.raises(NotFound):
            await call


async def test_security_31_the_agents_view_holds_no_code_hash_or_secret(world: World) -> None:
    account_id, _session, case_id = await locked_signed_in_case(world)
    await agent.send_verification(world.deps, US, case_id, "Check")
    code = await world.code("ana@example.com")
    await agent.send_reset_code(world.deps, US, case_id, 0, "Reset")
    reset_code = await world.code("ana@example.com")
    views = [
        asdict(await queue.open_case(world.deps, US, case_id)),
        asdict(await agent.summary(world.deps, US, case_id)),
        [asdict(i) for i in await queue.queue(world.deps, US)],
    ]
    text = json.dumps(views, default=str)
    async with world.deps.uow() as uow:
        stored_account = await uow.accounts.get("us", account_id)
        case = await uow.cases.get("us", case_id)
    assert stored_account is not None and case is not None
    for secret in (code, reset_code, stored_account.password_hash, case.reset_flow, "argon2"):
        assert secret not in text
