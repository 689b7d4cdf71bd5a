"""The case page offers an agent's password reset only while that reset still waits for
its code: not once it has expired, or once its code was used."""

from __future__ import annotations

import pytest

from entryway.errors import NotFound
from entryway.flows.recovery import password_reset
from entryway.flows.support import agent, cases, queue, verify
from entryway.flows.support.cases import ViaSession
from tests.conftest import World
from tests.flows.test_agent_tools import locked_signed_in_case
from tests.flows.test_case_queue import US


async def offered_case(world: World) -> ViaSession:
    _account_id, session, case_id = await locked_signed_in_case(world)
    number = (await queue.open_case(world.deps, US, case_id)).case.number
    access = ViaSession(session, number)
    assert not (await cases.view(world.deps, "us", access)).reset_waiting
    await agent.send_reset_code(world.deps, US, case_id, 0, "Forgot password")
    assert (await cases.view(world.deps, "us", access)).reset_waiting
    return access


async def test_an_expired_reset_is_no_longer_offered(world: World) -> None:
    access = await offered_case(world)
    world.clock.advance(minutes=29)
    assert (await cases.view(world.deps, "us", access)).reset_waiting
    world.clock.advance(minutes=2)  # past the reset's 30 minutes
    assert not (await cases.view(world.deps, "us", access)).reset_waiting
    with pytest.raises(NotFound):  # and the page's own check agrees
        await verify.reset_flow_for(world.deps, "us", access)


async def test_a_used_reset_is_no_longer_offered(world: World) -> None:
    access = await offered_case(world)
    token = await verify.reset_flow_for(world.deps, "us", access)
    code = await world.code("ana@example.com")
    await password_reset.verify(world.deps, "us", flow_token=token, code=code)
    assert not (await cases.view(world.deps, "us", access)).reset_waiting
    with pytest.raises(NotFound):
        await verify.reset_flow_for(world.deps, "us", access)
