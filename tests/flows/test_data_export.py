"""Download your data through the flow: everything kept about the account, no secret, only
after a recent password, and noted in the security activity. Runs on both databases."""

from __future__ import annotations

import json

import pytest

from entryway.core.events import AuditAction
from entryway.errors import Forbidden
from entryway.flows.account import account, data_export, questions, two_step
from entryway.flows.support import cases
from tests.conftest import World
from tests.flows.test_account import signed_in_with_token
from tests.flows.test_two_step import WHO, enrolled


async def test_the_file_has_the_account_and_none_of_its_secrets(world: World) -> None:
    e = await enrolled(world)  # 2SV with an app, ten backup codes
    me = await account.current(world.deps, "us", e.token)
    await two_step.reauthenticate(world.deps, me, "quiet-meadow-lantern", WHO)
    chosen = world.deps.questions.questions[:3]
    await questions.set_answers(
        world.deps, me, [(q.id, f"secret answer {n}") for n, q in enumerate(chosen)], WHO
    )
    number = await cases.open_signed_in(world.deps, "us", e.token, "other", "Hello there", WHO)
    await world.deliver()
    document = await data_export.export(world.deps, me, WHO)
    assert document["format"] == "entryway.account-data/1"
    assert document["account"]["email"] == "ana@example.com"
    assert document["account"]["name"] == "Ana Lopez"
    assert document["account"]["two_step_verification"] is True
    assert [m["kind"] for m in document["two_step_methods"]] == ["totp"]
    assert document["account"]["backup_codes_left"] == 10  # how many, never which
    assert document["suspensions_and_warnings"] == [] and document["remembered_browsers"] == []
    assert document["security_activity_complete"] and document["messages_complete"]
    assert document["verification_questions"] == [q.text for q in chosen]
    assert [c["number"] for c in document["support_cases"]] == [number]
    assert document["signed_in_devices"] and document["security_activity"]
    assert any(m["to"] == "ana@example.com" for m in document["messages"])
    text = json.dumps(document)
    stored = me.account.password_hash
    for secret in (stored, "secret answer 0", *e.backup, e.token, "quiet-meadow-lantern"):
        assert secret not in text, secret
    assert "$argon2" not in text
    async with world.deps.uow() as uow:
        factor = (await uow.two_step.factors("us", me.account.id))[0]
    assert factor.secret_sealed not in text
    async with world.deps.uow() as uow:
        latest = await uow.audit.recent("us", me.account.id, 1)
    assert latest[0].action == AuditAction.DATA_EXPORTED


async def test_it_needs_a_recent_password(world: World) -> None:
    _me, token = await signed_in_with_token(world)
    world.clock.advance(seconds=11 * 60)
    me = await account.current(world.deps, "us", token)
    with pytest.raises(Forbidden):
        await data_export.export(world.deps, me, WHO)
    await two_step.reauthenticate(world.deps, me, "quiet-meadow-lantern", WHO)
    me = await account.current(world.deps, "us", token)
    assert (await data_export.export(world.deps, me, WHO))["account"]["name"] == "Ana Lopez"
