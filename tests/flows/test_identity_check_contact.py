"""Correcting the new contact from Enter OTP: back to the contact step without a new check,
the code sent before stops working, and a changed contact is no way past the code limits."""

from __future__ import annotations

import pytest

from entryway.core.recovery import RecoveryState
from entryway.errors import CodeRejected, FlowExpired
from entryway.flows.common import MAX_SENDS_PER_FLOW
from entryway.flows.recovery import identity_check as check
from tests.conftest import World
from tests.flows.test_identity_check import ANA, GHOST, RIGHT, WHO, finish, member, through


@pytest.mark.parametrize("identifier", [ANA, GHOST])
async def test_a_mistyped_contact_is_corrected_without_a_new_check(
    world: World, identifier: str
) -> None:
    if identifier == ANA:
        await member(world)
    steps = await through(world.deps, identifier, RIGHT, contact="typo@example.net")
    token = steps[0].flow_token
    old_code = await world.code("typo@example.net")
    back = await check.change_contact(world.deps, "us", flow_token=token)
    assert back.stage == "contact"
    with pytest.raises(FlowExpired):  # the code step is over: nothing to check a code on
        await check.verify(world.deps, "us", flow_token=token, code=old_code, who=WHO)
    world.clock.advance(seconds=1)
    again = await check.new_contact(
        world.deps, "us", flow_token=token, contact="right@example.net", who=WHO
    )
    assert again.stage == "code" and again.sent_to.startswith("r")
    with pytest.raises(CodeRejected):  # the first code never fits the second contact
        await check.verify(world.deps, "us", flow_token=token, code=old_code, who=WHO)
    await finish(world, [*steps[:1]], to="right@example.net")
    async with world.deps.uow() as uow:
        live = [
            r
            for r in await uow.recoveries.in_states([RecoveryState.REQUESTED])
            if r.new_contact == "right@example.net"
        ]
    assert len(live) == (1 if identifier == ANA else 0)


async def test_changing_the_contact_does_not_reset_the_codes_a_check_may_send(
    world: World,
) -> None:
    steps = await through(world.deps, GHOST, RIGHT, contact="a0@example.net")
    token = steps[0].flow_token
    for n in range(1, MAX_SENDS_PER_FLOW):
        await check.change_contact(world.deps, "us", flow_token=token)
        world.clock.advance(seconds=31)
        await check.new_contact(
            world.deps, "us", flow_token=token, contact=f"a{n}@example.net", who=WHO
        )
    await check.change_contact(world.deps, "us", flow_token=token)
    with pytest.raises(CodeRejected, match="too many codes") as refused:
        await check.new_contact(
            world.deps, "us", flow_token=token, contact="more@example.net", who=WHO
        )
    assert refused.value.field == "contact"


async def test_going_back_is_only_from_the_code_step(world: World) -> None:
    first = await check.start(world.deps, "us", identifier=GHOST, who=WHO)
    with pytest.raises(FlowExpired):
        await check.change_contact(world.deps, "us", flow_token=first.flow_token)
    steps = await through(world.deps, GHOST, RIGHT)
    with pytest.raises(FlowExpired):  # another site's flow is not this one
        await check.change_contact(world.deps, "uk", flow_token=steps[0].flow_token)
