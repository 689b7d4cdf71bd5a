"""Agents' sends on a case count in quotas of their own: per staff member and per
destination, never in the customer's own budget or in the office address's (SECURITY.md 11)."""

from __future__ import annotations

import pytest

from entryway.core.staff import Actor, Role
from entryway.errors import AgentQuotaReached
from entryway.flows import common
from entryway.flows.ports import Requester
from entryway.flows.recovery import password_reset
from entryway.flows.support import agent, queue
from tests.conftest import World
from tests.flows.test_agent_tools import locked_signed_in_case, signed_out_case
from tests.flows.test_case_queue import US

OFFICE = Requester(ip="198.51.100.7", user_agent="console")  # every agent behind one address
COLLEAGUE = Actor("s-us2", "kim@staff.example", frozenset({Role.AGENT}), frozenset({"us"}))
CUSTOMER = Requester(ip="203.0.113.5", user_agent="pytest")


async def customer_sends(world: World) -> int:
    """Codes counted today against the customer's own account and address budgets."""
    rows = await world.runtime.db.run_sql(
        "SELECT max(count) FROM failure_counters WHERE scope IN ('sends_account', 'sends_to')"
    )
    return int(rows[0][0] or 0)


async def test_agent_codes_leave_the_customers_own_budget_alone(world: World) -> None:
    _account_id, _session, case_id = await locked_signed_in_case(world)
    used = await customer_sends(world)  # registration's codes
    for n in range(common.DAILY_AGENT_SENDS_PER_DESTINATION):
        await agent.send_verification(world.deps, US, case_id, f"Try {n}", who=OFFICE)
    assert await customer_sends(world) == used
    # What is left of the customer's own codes of the day is all still there.
    progress = await password_reset.start(
        world.deps, "us", identifier="ana@example.com", who=CUSTOMER
    )
    assert progress.stage == "code"
    for _ in range(common.DAILY_CODES_PER_OWNER - used - 1):
        world.clock.advance(seconds=31)
        await password_reset.resend(world.deps, "us", flow_token=progress.flow_token, who=CUSTOMER)
    assert await customer_sends(world) == common.DAILY_CODES_PER_OWNER


async def test_agents_behind_one_office_address_do_not_share_its_quota(world: World) -> None:
    sent = 0
    for n in range(6):  # 6 customers, 9 codes each, by two agents: 54, above the IP's 50
        case_id, _token = await signed_out_case(world, f"c{n}@example.com")
        for i in range(9):
            who = US if i % 2 else COLLEAGUE
            await agent.send_verification(world.deps, who, case_id, "Asked", who=OFFICE)
            sent += 1
    assert sent > common.DAILY_CODES_PER_IP


@pytest.mark.parametrize("contact", ["ana@example.com", "nobody@example.com"])
async def test_one_customer_gets_at_most_ten_codes_a_day_from_agents(
    world: World, contact: str
) -> None:
    """Whether the contact is on file or not, the quota and its message are the same, so
    it says nothing about the contact (SECURITY.md 33)."""
    await locked_signed_in_case(world)  # ana@example.com is an account
    case_id, _token = await signed_out_case(world, contact)
    for n in range(common.DAILY_AGENT_SENDS_PER_DESTINATION):
        await agent.send_verification(world.deps, US if n % 2 else COLLEAGUE, case_id, "Asked")
    entries = len((await queue.open_case(world.deps, US, case_id)).entries)
    for actor in (US, COLLEAGUE):  # across agents
        with pytest.raises(AgentQuotaReached) as raised:
            await agent.send_verification(world.deps, actor, case_id, "Once more")
        assert raised.value.message == common.AGENT_QUOTA_CUSTOMER
        assert raised.value.code == "agent_quota_reached" and raised.value.status == 429
    assert len((await queue.open_case(world.deps, US, case_id)).entries) == entries
    world.clock.advance(days=1)
    assert await agent.send_verification(world.deps, US, case_id, "Next day")


async def test_each_staff_member_has_a_daily_limit(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(common, "DAILY_AGENT_SENDS", 3)
    cases = [(await signed_out_case(world, f"c{n}@example.com"))[0] for n in range(4)]
    for case_id in cases[:3]:
        await agent.send_verification(world.deps, US, case_id, "Asked")
    with pytest.raises(AgentQuotaReached) as raised:
        await agent.send_verification(world.deps, US, cases[3], "Asked")
    assert raised.value.message == common.AGENT_QUOTA_STAFF
    await agent.send_verification(world.deps, COLLEAGUE, cases[3], "Asked")  # a colleague can
    world.clock.advance(days=1)
    await agent.send_verification(world.deps, US, cases[3], "Asked")


async def test_agent_reset_codes_count_in_the_agents_quotas(world: World) -> None:
    _account_id, _session, case_id = await locked_signed_in_case(world)
    for n in range(common.DAILY_AGENT_SENDS_PER_DESTINATION):
        await agent.send_reset_code(world.deps, US, case_id, 0, f"Reset {n}", who=OFFICE)
    with pytest.raises(AgentQuotaReached, match="too many codes today"):
        await agent.send_reset_code(world.deps, US, case_id, 0, "Reset again", who=OFFICE)
    progress = await password_reset.start(  # the customer's own reset still works
        world.deps, "us", identifier="ana@example.com", who=CUSTOMER
    )
    assert progress.stage == "code"


async def test_agent_unlock_links_count_in_the_agents_quotas(world: World) -> None:
    _account_id, _session, case_id = await locked_signed_in_case(world)
    for n in range(common.DAILY_AGENT_SENDS_PER_DESTINATION):
        await agent.send_unlock_link(world.deps, US, case_id, f"Locked {n}")
    with pytest.raises(AgentQuotaReached):
        await agent.send_unlock_link(world.deps, US, case_id, "Locked again")
