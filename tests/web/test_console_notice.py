"""A tool's notice on the case page is that case's alone, shown once, and only briefly."""

from __future__ import annotations

from entryway.web.console.cases import NOTICE_SECONDS
from tests.flows.test_agent_tools import locked_signed_in_case
from tests.web.test_console import Hosts
from tests.web.test_console import hosts as hosts  # the fixture, re-exported
from tests.web.test_console_cases import Staff, act, ask, case_id
from tests.web.test_console_cases import staff as staff  # the fixture, re-exported

LIFTED = "Lock lifted. The customer is told."


async def test_the_notice_shows_once_on_its_own_case(hosts: Hosts, staff: Staff) -> None:
    agent = await staff(sites=["us"])
    _, _, cid = await locked_signed_in_case(hosts.world)
    r = await act(agent, cid, "tools/lift", reason="customer called")
    assert r.status_code == 303 and r.headers["location"] == f"/cases/{cid}#tools"
    assert f"max-age={NOTICE_SECONDS}" in r.headers["set-cookie"].lower()
    assert LIFTED in (await agent.get(f"/cases/{cid}")).text
    assert LIFTED not in (await agent.get(f"/cases/{cid}")).text  # shown once


async def test_the_notice_never_shows_on_another_case(hosts: Hosts, staff: Staff) -> None:
    agent = await staff(sites=["us"])
    _, _, cid = await locked_signed_in_case(hosts.world)
    other = await case_id(hosts, await ask(hosts, "bob@example.com"))
    r = await act(agent, cid, "tools/lift", reason="customer called")
    assert r.status_code == 303
    assert LIFTED not in (await agent.get(f"/cases/{other}")).text


async def test_a_stale_notice_is_dropped(hosts: Hosts, staff: Staff) -> None:
    agent = await staff(sites=["us"])
    _, _, cid = await locked_signed_in_case(hosts.world)
    r = await act(agent, cid, "tools/lift", reason="customer called")
    assert r.status_code == 303
    hosts.world.clock.advance(seconds=NOTICE_SECONDS + 1)
    assert LIFTED not in (await agent.get(f"/cases/{cid}")).text
