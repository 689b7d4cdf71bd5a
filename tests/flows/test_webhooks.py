"""Security events for the store's webhooks, queued in the outbox with the change that
causes them (SECURITY.md 42). Runs on SQLite and, with --db=postgresql, on PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from entryway.core.events import Channel
from entryway.core.staff import Actor, Role
from entryway.core.webhooks import Subscription
from entryway.errors import CodeRejected
from entryway.flows import housekeeping
from entryway.flows.account import account, closing
from entryway.flows.ports import Deps, Message, Requester
from entryway.flows.signin import second_step, sign_in
from entryway.flows.subjects import public_subject
from entryway.flows.support import agent, cases
from entryway.flows.trust import locking
from tests.conftest import World
from tests.flows.test_account import signed_in_with_token
from tests.flows.test_account_closing import verified_case
from tests.flows.test_lockout import ANA, PW, WHO, attempt, setup, who
from tests.flows.test_two_step import enrolled
from tests.flows.trust.helpers import TRUST

HOOK = "https://hooks.store.example/entryway"
STAFF_DESK = Requester(ip="10.20.30.40", user_agent="console")
AGENT = Actor("s-agent", "agent@staff.example", frozenset({Role.AGENT}), frozenset({"us"}))


def subscribed(deps: Deps, *events: str, url: str = HOOK) -> Deps:
    return replace(deps, webhooks=(Subscription(url=url, events=frozenset(events or {"*"})),))


async def queued(deps: Deps) -> list[Message]:
    async with deps.uow() as uow:
        found = await uow.outbox.latest(200)
    return sorted(
        (m for m in found if m.channel == Channel.WEBHOOK), key=lambda m: (m.created_at, m.id)
    )


def event(message: Message) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(message.body)
    return body


async def test_a_lock_is_posted_with_the_public_subject_and_nothing_secret(world: World) -> None:
    s = await setup(world, lock_at=3)
    deps = subscribed(s.deps)
    for n in range(3):
        await attempt(deps, "wrong-guess-123", who(n))
    events = [event(m) for m in await queued(deps)]
    types = sorted(e["type"] for e in events)  # the last failure and the lock share an instant
    assert types == ["account.locked"] + ["sign_in.failed"] * 3  # each from a new device
    locked = next(e for e in events if e["type"] == "account.locked")
    assert locked["data"] == {
        "site": "us",
        "subject": public_subject(deps.keys, "us", s.account_id),
        "action": "account.locked",
        "ip": "198.51.100.2",
        "by": "customer",
        "reason": "password_guessing",
    }
    every = json.dumps(events)
    for private in (ANA, "ana", s.account_id, "wrong-guess-123", PW):
        assert private not in every, private
    message = next(m for m in await queued(deps) if m.subject == "account.locked")
    assert (message.to, message.account_id, message.subject) == (HOOK, None, "account.locked")
    async with deps.uow() as uow:  # the customer's Message Center never lists it
        mine = await uow.outbox.for_account("us", s.account_id)
    assert mine and all(m.channel == Channel.EMAIL for m in mine)


async def test_sign_ins_are_posted_only_from_a_device_new_to_the_account(world: World) -> None:
    s = await setup(world)
    deps = subscribed(s.deps)
    laptop = who(7, device="laptop-cookie-1")
    await attempt(deps, PW, laptop)
    await attempt(deps, PW, laptop)  # the same device again: nothing new to tell
    await attempt(deps, "wrong-guess-123", laptop)
    await attempt(deps, PW, who(8, device="phone-cookie-2"))
    await attempt(deps, "wrong-guess-123", identifier="nobody@example.com")  # no account
    got = [(e["type"], e["data"].get("new_device")) for e in map(event, await queued(deps))]
    assert got == [("sign_in.succeeded", True), ("sign_in.succeeded", True)]


async def test_a_receiver_gets_only_the_events_it_asked_for(world: World) -> None:
    s = await setup(world, lock_at=3)
    deps = subscribed(s.deps, "account.locked", "case.opened")
    for n in range(3):
        await attempt(deps, "wrong-guess-123", who(n))
    number = await cases.open_signed_out(deps, "us", "Sam", "sam@example.com", "other", "Hi", WHO)
    got = sorted((event(m) for m in await queued(deps)), key=lambda e: str(e["type"]))
    assert [e["type"] for e in got] == ["account.locked", "case.opened"]
    opened = got[1]["data"]
    assert opened["subject"] is None  # signed out: no account is named, nor looked up
    assert opened["case"] == number
    assert "sam@example.com" not in json.dumps(got) and "Sam" not in json.dumps(got)


async def test_without_receivers_nothing_is_queued(world: World) -> None:
    s = await setup(world, lock_at=3)
    for n in range(3):
        await attempt(s.deps, "wrong-guess-123", who(n))
    assert await queued(s.deps) == []


async def test_two_receivers_get_one_message_each_with_its_own_id(world: World) -> None:
    s = await setup(world, lock_at=3)
    deps = replace(
        s.deps,
        webhooks=(
            Subscription(url=HOOK, events=frozenset({"account.locked"})),
            Subscription(url=HOOK + "/2", events=frozenset({"*"})),
        ),
    )
    for n in range(3):
        await attempt(deps, "wrong-guess-123", who(n))
    locks = [m for m in await queued(deps) if m.subject == "account.locked"]
    assert sorted(m.to for m in locks) == [HOOK, HOOK + "/2"]
    assert locks[0].id != locks[1].id and locks[0].body == locks[1].body


async def test_a_staff_unlock_is_posted_once_without_the_staff_address(world: World) -> None:
    s = await setup(world)
    deps = subscribed(s.deps, "account.locked", "account.unlocked")
    why = "Checked with the owner by phone."
    await locking.lock_account(deps, TRUST, site="us", account_id=s.account_id, reason=why,
                               who=STAFF_DESK)  # fmt: skip
    await locking.unlock_account(deps, TRUST, site="us", account_id=s.account_id, reason=why,
                                 who=STAFF_DESK)  # fmt: skip
    got = sorted((event(m) for m in await queued(deps)), key=lambda e: str(e["type"]))
    assert [e["type"] for e in got] == ["account.locked", "account.unlocked"]
    for e in got:
        assert e["data"]["ip"] == "" and e["data"]["by"] == "staff"
    assert why not in json.dumps(got) and STAFF_DESK.ip not in json.dumps(got)


async def test_a_wrong_code_after_a_right_password_is_posted_from_any_device(
    world: World,
) -> None:
    await enrolled(world)
    deps = subscribed(world.deps, "sign_in.failed")
    result = await attempt(deps, PW, identifier=ANA)
    assert isinstance(result, sign_in.SecondStep)
    with pytest.raises(CodeRejected):
        await second_step.pass_with_app(
            deps, "us", result.partial_token, "000000", remember=False, who=WHO
        )
    got = [event(m) for m in await queued(deps)]
    assert [(e["type"], e["data"]["action"]) for e in got] == [
        ("sign_in.failed", "sign_in.second_step_failed")
    ]


async def test_closing_reopening_and_erasing_are_posted(world: World) -> None:
    deps = subscribed(world.deps, "account.closed", "account.reopened", "account.erased")
    me, _token = await signed_in_with_token(world, "cleo@example.com")
    started = await closing.start(deps, me, PW, WHO)
    await closing.confirm(deps, me, started.flow_token, await world.code("cleo@example.com"), WHO)
    case_id = await verified_case(world, "cleo@example.com")
    await agent.reopen_account(deps, AGENT, case_id, "Asked on the case", STAFF_DESK)
    signed = await sign_in.sign_in(
        world.deps, "us", identifier="cleo@example.com", password=PW, remember=False,
        who=WHO,
    )  # fmt: skip
    assert isinstance(signed, sign_in.SignedIn)
    again = await account.current(world.deps, "us", signed.session_token)
    started = await closing.start(deps, again, PW, WHO)
    await closing.confirm(
        deps, again, started.flow_token, await world.code("cleo@example.com"), WHO
    )
    world.clock.advance(days=31)
    await housekeeping.sweep(deps)
    got = [event(m) for m in await queued(deps)]
    pairs = sorted((e["type"], e["data"]["by"], e["data"]["ip"]) for e in got)
    assert pairs == [
        ("account.closed", "customer", WHO.ip),
        ("account.closed", "customer", WHO.ip),
        ("account.erased", "system", ""),
        ("account.reopened", "staff", ""),
    ]
    subject = public_subject(deps.keys, "us", me.account.id)
    assert {e["data"]["subject"] for e in got} == {subject}
    closed = [e for e in got if e["type"] == "account.closed"]
    assert {e["data"]["erase_after"] for e in closed} == {
        (world.clock.now() - timedelta(days=1)).date().isoformat()
    }
    assert "Asked on the case" not in json.dumps(got)
