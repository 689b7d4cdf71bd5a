"""Storage contracts, run on SQLite and (with --db=postgresql) on PostgreSQL.

Races are real here: every task opens its own connection and transaction.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest

from entryway.core.events import (
    AccountStatus,
    AuditAction,
    Channel,
    FlowPurpose,
    MessageKind,
    MessageStatus,
)
from entryway.core.identifiers import Identifier, IdentifierKind
from entryway.core.sessions import SessionLevel
from entryway.core.throttle import FailureScope, window_start
from entryway.errors import Conflict
from entryway.flows.ports import Account, AuditEntry, FlowState, Message, Session
from tests.conftest import World

EMAIL = Identifier(IdentifierKind.EMAIL, "ana@example.com")


def account(
    world: World,
    site: str = "us",
    id: str = "a1",
    email: str | None = "ana@example.com",
    phone: str | None = None,
) -> Account:
    return Account(
        id=id,
        site=site,
        name="Ana",
        email=email,
        phone=phone,
        password_hash="$argon2id$x",
        status=AccountStatus.ACTIVE,
        created_at=world.clock.now(),
        email_verified=True,
    )


async def add_account(world: World, **kw: object) -> Account:
    a = account(world, **kw)  # type: ignore[arg-type]
    async with world.deps.uow() as uow:
        await uow.accounts.add(a)
        await uow.commit()
    return a


def session_row(now: datetime, id_hash: str, **kw: Any) -> Session:
    """A full session of account a1 on the US site, made ``now``, half an hour idle."""
    values: dict[str, Any] = {
        "id_hash": id_hash,
        "public_id": "p-" + id_hash,
        "site": "us",
        "account_id": "a1",
        "level": SessionLevel.FULL,
        "created_at": now,
        "idle_deadline": now + timedelta(minutes=30),
        "absolute_deadline": now + timedelta(hours=1),
        "remember": False,
        "ip": "1.2.3.4",
        "user_agent": "ua",
        "client": "web",
        "last_seen_at": now,
    }
    values.update(kw)
    return Session(**values)


async def test_same_email_on_two_sites_is_two_accounts(world: World) -> None:
    await add_account(world, site="us", id="a1")
    await add_account(world, site="uk", id="a2")
    async with world.deps.uow() as uow:
        us = await uow.accounts.find("us", EMAIL)
        uk = await uow.accounts.find("uk", EMAIL)
        assert us is not None and uk is not None and us.id != uk.id
        assert await uow.accounts.find("ca", EMAIL) is None
        assert await uow.accounts.get("uk", "a1") is None  # id lookups are scoped too


async def test_one_account_per_identifier_per_site_race_safe(world: World) -> None:
    async def attempt(i: int) -> bool:
        try:
            async with world.deps.uow() as uow:
                await uow.accounts.add(account(world, id=f"r{i}"))
                await uow.commit()
            return True
        except Conflict:
            return False

    results = await asyncio.gather(*(attempt(i) for i in range(10)))
    assert results.count(True) == 1


async def test_rollback_without_commit_leaves_nothing(world: World) -> None:
    async with world.deps.uow() as uow:
        await uow.accounts.add(account(world))
        await uow.audit.add(
            AuditEntry(
                site="us",
                account_id="a1",
                action=AuditAction.ACCOUNT_CREATED,
                at=world.clock.now(),
                ip="",
                user_agent="",
            )
        )
    async with world.deps.uow() as uow:
        assert await uow.accounts.find("us", EMAIL) is None
        assert await uow.audit.recent("us", "a1") == []


def flow(world: World, code_hash: str = "h1") -> FlowState:
    now = world.clock.now()
    return FlowState(
        id_hash="f1",
        site="us",
        purpose=FlowPurpose.REGISTRATION,
        account_id="a1",
        target_kind="email",
        target="ana@example.com",
        code_hash=code_hash,
        code_expires_at=now + timedelta(minutes=10),
        code_attempts=0,
        sends=1,
        created_at=now,
        expires_at=now + timedelta(minutes=30),
    )


async def test_20_parallel_consumes_of_one_code_exactly_one_wins(world: World) -> None:
    await add_account(world)
    async with world.deps.uow() as uow:
        await uow.flows.add(flow(world))
        await uow.commit()

    async def consume() -> bool:
        async with world.deps.uow() as uow:
            won = await uow.flows.consume("us", "f1", "h1", world.clock.now())
            await uow.commit()
            return won

    results = await asyncio.gather(*(consume() for _ in range(20)))
    assert results.count(True) == 1


async def test_flow_states_bound_to_site_and_purpose(world: World) -> None:
    await add_account(world)
    async with world.deps.uow() as uow:
        await uow.flows.add(flow(world))
        await uow.commit()
    async with world.deps.uow() as uow:
        assert await uow.flows.get("us", "f1", FlowPurpose.REGISTRATION) is not None
        assert await uow.flows.get("uk", "f1", FlowPurpose.REGISTRATION) is None
        assert await uow.flows.get("us", "f1", FlowPurpose.CHANGE_EMAIL) is None
        assert not await uow.flows.consume("uk", "f1", "h1", world.clock.now())


async def test_code_refused_after_five_tries_or_expiry(world: World) -> None:
    await add_account(world)
    now = world.clock.now()
    async with world.deps.uow() as uow:
        await uow.flows.add(flow(world))
        for _ in range(5):
            assert await uow.flows.take_try("us", "f1", now) == "h1"
        assert await uow.flows.take_try("us", "f1", now) is None  # out of tries
        assert await uow.flows.replace_code("us", "f1", "h2", now + timedelta(minutes=10), 5)
        assert not await uow.flows.consume("us", "f1", "h1", now)  # the old code is void
        later = now + timedelta(minutes=11)
        assert await uow.flows.take_try("us", "f1", later) is None  # expired
        assert not await uow.flows.consume("us", "f1", "h2", later)
        assert await uow.flows.take_try("us", "f1", now) == "h2"
        assert await uow.flows.consume("us", "f1", "h2", now)
        assert await uow.flows.take_try("us", "f1", now) is None  # used


async def test_parallel_tries_never_exceed_five(world: World) -> None:
    await add_account(world)
    async with world.deps.uow() as uow:
        await uow.flows.add(flow(world))
        await uow.commit()

    async def attempt() -> bool:
        async with world.deps.uow() as uow:
            got = await uow.flows.take_try("us", "f1", world.clock.now())
            await uow.commit()
            return got is not None

    results = await asyncio.gather(*(attempt() for _ in range(40)))
    assert results.count(True) == 5


async def test_failure_counters_never_lose_a_parallel_hit(world: World) -> None:
    window = window_start(world.clock.now())

    async def hit() -> int:
        async with world.deps.uow() as uow:
            n = await uow.counters.hit("us", FailureScope.ACCOUNT, "k", window)
            await uow.commit()
            return int(n)

    counts = await asyncio.gather(*(hit() for _ in range(50)))
    assert sorted(counts) == list(range(1, 51))
    async with world.deps.uow() as uow:
        assert await uow.counters.count("us", FailureScope.ACCOUNT, "k", window) == 50
        assert await uow.counters.count("uk", FailureScope.ACCOUNT, "k", window) == 0
        await uow.counters.reset("us", FailureScope.ACCOUNT, "k")
        assert await uow.counters.count("us", FailureScope.ACCOUNT, "k", window) == 0


def message(world: World, id: str, dedupe: str | None = None, site: str = "us") -> Message:
    now = world.clock.now()
    return Message(
        id=id,
        site=site,
        account_id="a1",
        channel=Channel.EMAIL,
        kind=MessageKind.WRONG_SITE,
        to="ana@example.com",
        subject="s",
        body="b",
        created_at=now,
        next_attempt_at=now,
        dedupe_key=dedupe,
    )


async def test_outbox_dedupe_key_admits_one_of_many_parallel_inserts(world: World) -> None:
    async def add(i: int) -> bool:
        async with world.deps.uow() as uow:
            ok = await uow.outbox.add(message(world, f"m{i}", dedupe="same"))
            await uow.commit()
            return bool(ok)

    results = await asyncio.gather(*(add(i) for i in range(10)))
    assert results.count(True) == 1


async def test_outbox_claims_each_message_once(world: World) -> None:
    async with world.deps.uow() as uow:
        for i in range(6):
            await uow.outbox.add(message(world, f"m{i}"))
        await uow.commit()
    now = world.clock.now()

    async def claim() -> list[str]:
        async with world.deps.uow() as uow:
            got = await uow.outbox.claim_due(now, now + timedelta(minutes=2), 10)
            await uow.commit()
            return [m.id for m in got]

    claimed = await asyncio.gather(*(claim() for _ in range(4)))
    flat = [m for batch in claimed for m in batch]
    assert sorted(flat) == [f"m{i}" for i in range(6)]
    async with world.deps.uow() as uow:
        await uow.outbox.mark_sent("m0", now)
        await uow.outbox.mark_retry("m1", 1, now + timedelta(seconds=5), "down", False)
        await uow.commit()
    async with world.deps.uow() as uow:
        by_id = {m.id: m for m in await uow.outbox.latest()}
    assert by_id["m0"].status == MessageStatus.SENT
    assert by_id["m1"].status == MessageStatus.PENDING and by_id["m1"].last_error == "down"


async def test_audit_and_sessions_are_scoped_by_site(world: World) -> None:
    await add_account(world)
    now = world.clock.now()
    async with world.deps.uow() as uow:
        await uow.audit.add(
            AuditEntry(
                site="us",
                account_id="a1",
                action=AuditAction.SIGN_IN_SUCCEEDED,
                at=now,
                ip="1.2.3.4",
                user_agent="ua",
                detail={"via": "email"},
            )
        )
        await uow.sessions.add(session_row(now, "s1", public_id="p1"))
        await uow.commit()
    async with world.deps.uow() as uow:
        assert [e.action for e in await uow.audit.recent("us", "a1")] == [
            AuditAction.SIGN_IN_SUCCEEDED
        ]
        assert await uow.audit.recent("uk", "a1") == []
        assert await uow.sessions.get("uk", "s1") is None
        assert await uow.sessions.get("us", "s1") is not None
        # The session check's one statement: the session and its account, this site's only.
        found = await uow.sessions.with_account("us", "s1")
        assert found is not None
        assert found == (await uow.sessions.get("us", "s1"), await uow.accounts.get("us", "a1"))
        assert await uow.sessions.with_account("uk", "s1") is None
        assert await uow.sessions.with_account("us", "nope") is None
        assert await uow.sessions.list_for("uk", "a1", now) == []
        assert not await uow.sessions.delete_public("uk", "a1", "p1")
        assert await uow.sessions.delete_all("uk", "a1") == 0
        assert len(await uow.sessions.list_for("us", "a1", now)) == 1


@pytest.mark.parametrize("with_keep", [True, False])
async def test_delete_all_sessions_can_keep_the_current_one(world: World, with_keep: bool) -> None:
    await add_account(world)
    now = world.clock.now()
    async with world.deps.uow() as uow:
        for i in range(3):
            await uow.sessions.add(
                Session(
                    id_hash=f"s{i}",
                    public_id=f"p{i}",
                    site="us",
                    account_id="a1",
                    level=SessionLevel.FULL,
                    created_at=now,
                    idle_deadline=now + timedelta(hours=1),
                    absolute_deadline=now + timedelta(hours=2),
                    remember=False,
                    ip="",
                    user_agent="",
                    client="web",
                    last_seen_at=now,
                )
            )
        ended = await uow.sessions.delete_all("us", "a1", keep="s0" if with_keep else None)
        assert ended == (2 if with_keep else 3)


async def test_a_session_takes_the_public_id_of_one_just_ended(world: World) -> None:
    """A fresh sign-in in the same browser goes on under the old session's public id (the
    sid its apps know): the old row goes first, as public ids are unique."""
    await add_account(world)
    now = world.clock.now()
    async with world.deps.uow() as uow:
        for i in range(2):
            await uow.sessions.add(
                Session(
                    id_hash=f"s{i}", public_id=f"p{i}", site="us", account_id="a1",
                    level=SessionLevel.FULL, created_at=now,
                    idle_deadline=now + timedelta(hours=1),
                    absolute_deadline=now + timedelta(hours=2), remember=False, ip="",
                    user_agent="", client="web", last_seen_at=now,
                )
            )  # fmt: skip
        await uow.commit()
    async with world.deps.uow() as uow:
        assert not await uow.sessions.take_public_id("uk", "s1", "p0")  # another site's row
        assert await uow.sessions.delete("us", "s0")
        assert await uow.sessions.take_public_id("us", "s1", "p0")
        await uow.commit()
    async with world.deps.uow() as uow:
        found = await uow.sessions.get("us", "s1")
        assert found is not None and found.public_id == "p0"
        assert [s.id_hash for s in await uow.sessions.list_for("us", "a1", now)] == ["s1"]


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"]
)
async def test_audit_log_is_append_only_in_the_database(world: World, statement: str) -> None:
    from sqlalchemy.exc import DBAPIError

    async with world.deps.uow() as uow:
        await uow.audit.add(
            AuditEntry(
                site="us",
                account_id=None,
                action=AuditAction.SIGN_IN_FAILED,
                at=world.clock.now(),
                ip="",
                user_agent="",
            )
        )
        await uow.commit()
    db = world.runtime.db
    with pytest.raises(DBAPIError, match="append-only"):
        await db.run_sql(statement)
    assert (await db.run_sql("SELECT count(*) FROM audit_log"))[0][0] == 1
