"""Reopen account, the agent tool of a case whose account its owner closed, over HTTP: the
panel says when it is erased and offers only what a closed account can take; the tool
needs a reason, reopens it and tells the customer; past the grace period it is refused."""

from __future__ import annotations

import html

from entryway.core.events import AccountStatus, AuditAction
from entryway.flows.account import closing
from tests.flows.test_account import PW, signed_in_with_token
from tests.flows.test_account_closing import verified_case
from tests.flows.test_agent_tools import WHO, audit_of
from tests.web.test_console import Hosts
from tests.web.test_console import hosts as hosts  # the fixture, re-exported
from tests.web.test_console_cases import Staff, act
from tests.web.test_console_cases import staff as staff  # the fixture, re-exported


async def _closed_case(hosts: Hosts) -> tuple[str, str]:
    """(account id, case id): an account closed by its owner, then a signed-out Ask us
    case to reopen it, linked by Verify it's you."""
    world = hosts.world
    me, _token = await signed_in_with_token(world, "ana@example.com")
    started = await closing.start(world.deps, me, PW, WHO)
    await closing.confirm(
        world.deps, me, started.flow_token, await world.code("ana@example.com"), WHO
    )
    return me.account.id, await verified_case(world, "ana@example.com")


async def test_an_agent_reopens_a_closed_account_with_a_reason(hosts: Hosts, staff: Staff) -> None:
    account_id, cid = await _closed_case(hosts)
    agent = await staff(sites=["us"])
    page = html.unescape((await agent.get(f"/cases/{cid}")).text)
    assert "Closed by its owner on" in page and "unless reopened" in page
    assert 'type="submit">Reopen account</button>' in page
    for hidden in ("Send password reset code", "Lift lock", "Sign out everywhere</button>"):
        assert hidden not in page, hidden
    blank = await act(agent, cid, "tools/reopen", reason="  ")
    assert blank.status_code == 422 and "Give a reason" in blank.text
    done = await act(agent, cid, "tools/reopen", reason="The customer asked on this case")
    assert done.status_code == 303 and done.headers["location"] == f"/cases/{cid}#tools"
    shown = await agent.get(f"/cases/{cid}")
    assert "Account reopened" in shown.text and "Reopen account</button>" not in shown.text
    async with hosts.world.deps.uow() as uow:
        stored = await uow.accounts.get("us", account_id)
    assert stored is not None and stored.status == AccountStatus.ACTIVE
    [row] = [
        e for e in await audit_of(hosts.world, account_id)
        if e.action == AuditAction.AGENT_ACCOUNT_REOPENED
    ]  # fmt: skip
    assert row.detail["reason"] == "The customer asked on this case" and row.detail["staff"]


async def test_past_the_grace_period_the_tool_is_gone(hosts: Hosts, staff: Staff) -> None:
    _account_id, cid = await _closed_case(hosts)
    hosts.world.clock.advance(days=30, seconds=1)
    agent = await staff(sites=["us"])
    page = html.unescape((await agent.get(f"/cases/{cid}")).text)
    assert "can no longer be reopened" in page and "Reopen account</button>" not in page
    refused = await act(agent, cid, "tools/reopen", reason="Too late, but asked")
    assert refused.status_code == 422 and "cannot be reopened" in html.unescape(refused.text)
