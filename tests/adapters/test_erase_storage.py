"""Erasing a closed account in storage, on SQLite and (with --db=postgresql) PostgreSQL:
every table that names an account holds nothing of it afterwards, except the append-only
audit log and the unlinked support cases; another account's rows stay; an account that
is active, or closed too recently, is left whole."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from entryway.adapters.sql import tables as t
from entryway.core.events import AccountStatus, AuditAction, Channel, MessageKind
from entryway.core.sessions import SessionLevel
from entryway.flows.apps.records import Consent
from entryway.flows.ports import Account, AuditEntry, Message, Session
from tests.adapters.test_apps_storage import APP_ID, app, grant, token
from tests.adapters.test_passkeys_storage import passkey
from tests.adapters.test_storage_contract import account
from tests.conftest import World

KEPT = {"audit_log"}  # append-only (DESIGN.md 8); support_cases are unlinked, so hold none


def _closed(world: World, id: str, email: str, days: int) -> Account:
    return replace(
        account(world, id=id, email=email),
        status=AccountStatus.CLOSED,
        closed_at=world.clock.now() - timedelta(days=days),
    )


async def _with_app(world: World) -> None:
    async with world.deps.uow() as uow:
        await uow.apps.add_app(app(world))
        await uow.commit()


async def _populate(world: World, a: Account, n: int) -> None:
    """One row of each kind the flows write about an account."""
    now = world.clock.now()
    async with world.deps.uow() as uow:
        await uow.accounts.add(a)
        await uow.sessions.add(
            Session(
                id_hash=f"{n}" * 64, public_id=f"p{n}", site="us", account_id=a.id,
                level=SessionLevel.FULL, created_at=now, idle_deadline=now + timedelta(hours=1),
                absolute_deadline=now + timedelta(days=1), remember=False, ip="192.0.2.1",
                user_agent="pytest", client="web", last_seen_at=now,
            )
        )  # fmt: skip
        await uow.accounts.remember_device("us", a.id, f"d{n}" * 32, now)
        await uow.passkeys.add(passkey(world, credential_id=f"cred{n}", account_id=a.id))
        await uow.apps.add_grant(grant(world, id=f"g{n}", account_id=a.id, sid=f"{n}" * 32))
        await uow.apps.add_token(token(world, f"t{n}", grant_id=f"g{n}"))
        await uow.apps.save_consent(
            Consent("us", a.id, APP_ID, ["openid"], now, now + timedelta(days=90))
        )
        await uow.outbox.add(
            Message(
                id=f"m{n}", site="us", account_id=a.id, channel=Channel.EMAIL,
                kind=MessageKind.ACCOUNT_CLOSED, to=a.email or "", subject="Closed",
                body="Your account was closed.", created_at=now,
            )
        )  # fmt: skip
        await uow.audit.add(
            AuditEntry(
                site="us", account_id=a.id, action=AuditAction.ACCOUNT_CLOSED, at=now,
                ip="192.0.2.1", user_agent="pytest", detail={},
            )
        )  # fmt: skip
        await uow.commit()


async def rows_of(world: World, account_id: str) -> dict[str, int]:
    """How many rows of each table that has an account_id name this account."""
    assert re.fullmatch(r"[A-Za-z0-9_-]+", account_id)  # an id of ours, safe in the statement
    db = world.runtime.db
    counts: dict[str, int] = {}
    for table in t.metadata.sorted_tables:
        if "account_id" in table.c:
            where = f"WHERE account_id = '{account_id}'"
            counts[table.name] = (await db.run_sql(f"SELECT COUNT(*) FROM {table.name} {where}"))[
                0
            ][0]
    tokens = (
        "SELECT COUNT(*) FROM oidc_tokens JOIN oidc_grants ON oidc_tokens.grant_id = "
        f"oidc_grants.id WHERE oidc_grants.account_id = '{account_id}'"
    )
    counts["oidc_tokens"] = (await db.run_sql(tokens))[0][0]
    return counts


async def test_erase_leaves_nothing_of_the_account_but_its_audit_rows(world: World) -> None:
    await _with_app(world)
    gone = _closed(world, "a-gone", "ana@example.com", days=31)
    kept = _closed(world, "a-kept", "bo@example.com", days=3)  # still in its grace period
    await _populate(world, gone, 1)
    await _populate(world, kept, 2)
    before = await rows_of(world, gone.id)
    kept_before = await rows_of(world, kept.id)
    assert before["passkeys"] == before["oidc_grants"] == before["sessions"] == 1
    assert before["oidc_tokens"] == before["messages"] == before["known_devices"] == 1

    cutoff = world.clock.now() - timedelta(days=30)
    async with world.deps.uow() as uow:
        assert await uow.accounts.closed_before(cutoff, 10) == [("us", gone.id)]
        assert await uow.accounts.erase("us", gone.id, cutoff)
        assert not await uow.accounts.erase("us", kept.id, cutoff)  # too recent
        await uow.commit()

    after = await rows_of(world, gone.id)
    assert {name: n for name, n in after.items() if n and name not in KEPT} == {}
    assert after["audit_log"] == 1
    assert await rows_of(world, kept.id) == kept_before  # another account: untouched
    async with world.deps.uow() as uow:
        assert await uow.accounts.get("us", gone.id) is None
        assert await uow.accounts.get("us", kept.id) is not None
        assert await uow.accounts.closed_before(cutoff, 10) == []


async def test_an_active_account_is_never_erased(world: World) -> None:
    await _with_app(world)
    active = account(world, id="a-live")
    await _populate(world, active, 3)
    later = world.clock.now() + timedelta(days=365)
    async with world.deps.uow() as uow:
        assert await uow.accounts.closed_before(later, 10) == []
        assert not await uow.accounts.erase("us", active.id, later)
        await uow.commit()
    assert (await rows_of(world, active.id))["sessions"] == 1


async def test_close_and_reopen_are_conditional(world: World) -> None:
    a = account(world, id="a-cr")
    async with world.deps.uow() as uow:
        await uow.accounts.add(a)
        now = world.clock.now()
        assert await uow.accounts.close("us", a.id, now)
        assert not await uow.accounts.close("us", a.id, now)  # closed already
        earlier = now - timedelta(seconds=1)
        assert not await uow.accounts.reopen("us", a.id, earlier)  # not the closing read
        assert await uow.accounts.reopen("us", a.id, now)
        assert not await uow.accounts.reopen("us", a.id, now)  # once
        assert not await uow.accounts.close("uk", a.id, now)  # another site's id
        await uow.commit()
        stored = await uow.accounts.get("us", a.id)
    assert stored is not None and stored.status == AccountStatus.ACTIVE
    assert stored.closed_at is None
