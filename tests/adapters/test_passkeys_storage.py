"""Passkeys' storage on SQLite and (with --db=postgresql) PostgreSQL: every method of
flows/passkeys/ports.Passkeys, site scoping (SECURITY.md 40), single use of challenges and
one winner among assertions racing on one counter. Values have their real lengths."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from datetime import timedelta
from typing import Any

import pytest

from entryway.adapters.sql.database import Database
from entryway.errors import Conflict
from entryway.flows.passkeys.records import Ceremony, Challenge, Passkey
from tests.adapters.test_migrations import blank, migrate
from tests.conftest import World

__all__ = ["blank"]  # the fixture, for the migration test

# The longest credential id WebAuthn allows is 1023 bytes: 1364 base64url characters.
LONG_ID = base64.urlsafe_b64encode(b"\xfe" * 1023).rstrip(b"=").decode()
CRED = base64.urlsafe_b64encode(b"c" * 16).rstrip(b"=").decode()
COSE = base64.urlsafe_b64encode(b"k" * 77).rstrip(b"=").decode()  # an EC2 P-256 COSE key


def h(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def passkey(world: World, credential_id: str = CRED, site: str = "us", **extra: Any) -> Passkey:
    values: dict[str, Any] = {
        "credential_id": credential_id, "site": site, "account_id": "a" * 32,
        "public_key": COSE, "sign_count": 0, "name": "Chrome on Mac",
        "created_at": world.clock.now(), "transports": ["internal", "hybrid"],
        "aaguid": "fbfc3007-154e-4ecc-8c0b-6e020557d7bd", "backed_up": True,
    }  # fmt: skip
    values.update(extra)
    return Passkey(**values)


async def run(world: World, method: str, *args: Any) -> Any:
    """One committed call of ``uow.passkeys.<method>``."""
    async with world.deps.uow() as uow:
        result = await getattr(uow.passkeys, method)(*args)
        await uow.commit()
    return result


async def test_a_passkey_round_trips_and_is_unknown_on_another_site(world: World) -> None:
    made = passkey(world, LONG_ID)
    await run(world, "add", made)
    assert await run(world, "get", "us", LONG_ID) == made
    assert await run(world, "get", "uk", LONG_ID) is None
    assert await run(world, "for_account", "uk", made.account_id) == []
    assert not await run(world, "rename", "uk", made.account_id, LONG_ID, "x")
    assert not await run(world, "remove", "uk", made.account_id, LONG_ID)
    assert await run(world, "remove_all", "uk", made.account_id) == 0
    assert await run(world, "for_account", "us", made.account_id) == [made]


async def test_a_credential_id_is_registered_once_per_site(world: World) -> None:
    await run(world, "add", passkey(world))
    async with world.deps.uow() as uow:
        with pytest.raises(Conflict):
            await uow.passkeys.add(passkey(world, account_id="b" * 32))
        await uow.passkeys.add(passkey(world, site="uk"))  # the transaction is still usable
        await uow.commit()
    assert (await run(world, "get", "uk", CRED)) is not None


async def test_rename_remove_and_remove_all_touch_only_the_owners(world: World) -> None:
    mine, other = "a" * 32, "b" * 32
    await run(world, "add", passkey(world, "one", account_id=mine))
    world.clock.advance(seconds=1)
    await run(world, "add", passkey(world, "two", account_id=mine))
    await run(world, "add", passkey(world, "three", account_id=other))
    assert [p.credential_id for p in await run(world, "for_account", "us", mine)] == ["one", "two"]
    assert not await run(world, "rename", "us", other, "one", "Stolen")
    assert await run(world, "rename", "us", mine, "one", "Jane's iPhone")
    assert (await run(world, "get", "us", "one")).name == "Jane's iPhone"
    assert not await run(world, "remove", "us", other, "two")
    assert await run(world, "remove", "us", mine, "two")
    assert await run(world, "remove_all", "us", mine) == 1
    assert [p.credential_id for p in await run(world, "for_account", "us", other)] == ["three"]


async def test_one_of_several_assertions_on_one_counter_wins(world: World) -> None:
    await run(world, "add", passkey(world, sign_count=7))
    now = world.clock.now()
    results = await asyncio.gather(*(run(world, "used", "us", CRED, 7, 8, now) for _ in range(10)))
    assert results.count(True) == 1
    found = await run(world, "get", "us", CRED)
    assert found.sign_count == 8 and found.last_used_at == now
    assert not await run(world, "used", "uk", CRED, 8, 9, now)


def challenge(world: World, id_hash: str, **extra: Any) -> Challenge:
    now = world.clock.now()
    values: dict[str, Any] = {
        "id_hash": h(id_hash), "site": "us", "ceremony": Ceremony.SIGN_IN,
        "challenge": base64.urlsafe_b64encode(b"r" * 64).rstrip(b"=").decode(),
        "created_at": now, "expires_at": now + timedelta(minutes=5),
    }  # fmt: skip
    values.update(extra)
    return Challenge(**values)


async def test_a_challenge_is_taken_once_by_one_of_many(world: World) -> None:
    await run(world, "add_challenge", challenge(world, "c1", account_id="a" * 32))
    now = world.clock.now()
    taken = await asyncio.gather(
        *(run(world, "take_challenge", "us", h("c1"), Ceremony.SIGN_IN, now) for _ in range(10))
    )
    won = [t for t in taken if t is not None]
    assert len(won) == 1 and won[0].used_at == now and won[0].account_id == "a" * 32
    assert won[0].ceremony is Ceremony.SIGN_IN


@pytest.mark.parametrize("why", ["other_site", "other_ceremony", "expired"])
async def test_a_challenge_answers_only_its_site_ceremony_and_time(world: World, why: str) -> None:
    await run(world, "add_challenge", challenge(world, "c2"))
    site, ceremony = "us", Ceremony.SIGN_IN
    if why == "other_site":
        site = "uk"
    elif why == "other_ceremony":
        ceremony = Ceremony.REGISTER
    else:
        world.clock.advance(minutes=5)
    assert await run(world, "take_challenge", site, h("c2"), ceremony, world.clock.now()) is None


async def test_migration_0015_goes_up_and_down(blank: Database) -> None:
    await migrate(blank, "0014")
    await migrate(blank, "head")
    assert await blank.run_sql("SELECT count(*) FROM passkeys") == [(0,)]
    await migrate(blank, "0014", down=True)
    await migrate(blank, "head")
    assert await blank.run_sql("SELECT count(*) FROM passkey_challenges") == [(0,)]


async def test_expired_challenges_are_swept_and_live_ones_kept(world: World) -> None:
    await run(world, "add_challenge", challenge(world, "old"))
    world.clock.advance(minutes=4)
    await run(world, "add_challenge", challenge(world, "new"))
    world.clock.advance(minutes=1)  # "old" is 5 minutes old: expired
    assert await run(world, "sweep_challenges", world.clock.now()) == 1
    now = world.clock.now()
    assert await run(world, "take_challenge", "us", h("new"), Ceremony.SIGN_IN, now) is not None
