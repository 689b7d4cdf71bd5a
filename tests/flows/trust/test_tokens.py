"""Admin API tokens: kept by keyed hash, acting as their trust owner until they expire, are
revoked, or the owner may no longer use them (issue 12)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from entryway.core.staff import Role, StaffAction
from entryway.errors import InvalidInput, NotFound, Unauthenticated
from entryway.flows.staff import tokens
from tests.conftest import World
from tests.flows.staff_helpers import WHO, enrolled


async def test_a_token_acts_as_its_owner_and_is_kept_by_hash(world: World) -> None:
    member = await enrolled(world, "tia@staff.example", roles=frozenset({Role.TRUST}))
    row, token = await tokens.add_token(world.deps, "Tia@staff.example", "fraud system")
    assert len(token) >= 43  # 256 bits
    assert row.token_hash == tokens.token_hash(world.deps, token) and token not in row.token_hash
    assert row.expires_at == world.clock.now() + timedelta(days=90)
    async with world.deps.uow() as uow:
        stored = await uow.staff.token(row.token_hash)
    assert stored is not None and stored.staff_id == member.staff_id
    actor, used = await tokens.actor_for_token(world.deps, token, WHO)
    assert actor.staff_id == member.staff_id and actor.has(Role.TRUST)
    assert used.last_used_at == world.clock.now()
    listed = await tokens.list_tokens(world.deps)
    assert [(t.id, email) for t, email in listed] == [(row.id, "tia@staff.example")]
    with pytest.raises(Unauthenticated):
        await tokens.actor_for_token(world.deps, token + "x", WHO)
    with pytest.raises(Unauthenticated):
        await tokens.actor_for_token(world.deps, row.token_hash, WHO)  # the hash opens nothing


async def test_expired_and_revoked_tokens_are_refused(world: World) -> None:
    await enrolled(world, "tia@staff.example", roles=frozenset({Role.TRUST}))
    short, short_token = await tokens.add_token(world.deps, "tia@staff.example", "test", days=1)
    row, token = await tokens.add_token(world.deps, "tia@staff.example", "fraud system")
    world.clock.advance(days=1)
    with pytest.raises(Unauthenticated):
        await tokens.actor_for_token(world.deps, short_token, WHO)
    await tokens.actor_for_token(world.deps, token, WHO)
    assert await tokens.revoke_token(world.deps, row.id)
    assert not await tokens.revoke_token(world.deps, row.id)  # revoked already
    assert not await tokens.revoke_token(world.deps, "no-such-token")
    with pytest.raises(Unauthenticated):
        await tokens.actor_for_token(world.deps, token, WHO)
    async with world.deps.uow() as uow:
        log = await uow.staff.audit_log()
    assert [e.action for e in log].count(StaffAction.TOKEN_ADDED) == 2
    (revoked,) = [e for e in log if e.action == StaffAction.TOKEN_REVOKED]
    assert revoked.detail == {"token": row.id} and short.id != row.id


async def test_only_active_trust_staff_hold_tokens(world: World) -> None:
    member = await enrolled(world, "tia@staff.example", roles=frozenset({Role.TRUST}))
    await enrolled(world, "al@staff.example", roles=frozenset({Role.AGENT}))
    with pytest.raises(InvalidInput):
        await tokens.add_token(world.deps, "al@staff.example", "fraud system")
    with pytest.raises(NotFound):
        await tokens.add_token(world.deps, "nobody@staff.example", "fraud system")
    for name, days in (("", 90), ("ok", 0), ("ok", 366)):
        with pytest.raises(InvalidInput):
            await tokens.add_token(world.deps, "tia@staff.example", name, days=days)
    _row, token = await tokens.add_token(world.deps, "tia@staff.example", "fraud system")
    async with world.deps.uow() as uow:  # no longer trust: the token stops at once
        await uow.staff.update(member.staff_id, roles=frozenset({Role.AGENT}))
        await uow.commit()
    with pytest.raises(Unauthenticated):
        await tokens.actor_for_token(world.deps, token, WHO)
