"""The console's Cases pages over HTTP: the queue, filters, search, the case page and its
forms; scoping by site and role answers 404 like a case that does not exist (SECURITY.md 33).
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from entryway.core.cases import CaseState, Topic
from entryway.core.events import AuditAction
from entryway.core.staff import Role
from entryway.flows.ports import Requester, SupportCase
from entryway.flows.support import cases
from entryway.flows.support.agent import SENT_IF_ON_FILE
from tests.flows.staff_helpers import CONSOLE, enrolled
from tests.flows.test_account import signed_in_with_token
from tests.flows.test_agent_tools import audit_of, locked_signed_in_case, outbox
from tests.flows.test_support_cases import stored
from tests.web.helpers import csrf_of
from tests.web.test_console import Hosts, console_sign_in
from tests.web.test_console import hosts as hosts  # the fixture, re-exported

WHO = Requester(ip="192.0.2.10", user_agent="pytest")
Staff = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def staff(hosts: Hosts) -> AsyncIterator[Staff]:
    """A console client per staff member, signed in over HTTP with password and OTP."""
    made: list[httpx.AsyncClient] = []

    async def make(
        email: str = "agent@staff.example",
        roles: frozenset[Role] = frozenset({Role.AGENT}),
        sites: list[str] | None = None,
    ) -> httpx.AsyncClient:
        member = await enrolled(hosts.world, email, roles, sites)
        client = httpx.AsyncClient(transport=hosts.console._transport, base_url=CONSOLE)
        made.append(client)
        await console_sign_in(Hosts(hosts.world, client, hosts.site), member.email, member.key)
        return client

    yield make
    for client in made:
        await client.aclose()


async def ask(hosts: Hosts, contact: str, site: str = "us", topic: str = "locked") -> str:
    """A customer's Ask us, signed out, through the customer flow; the case number."""
    return await cases.open_signed_out(
        hosts.world.deps, site, "Sam Doe", contact, topic, "I can't get in, please help.", WHO
    )


async def case_id(hosts: Hosts, number: str, site: str = "us") -> str:
    return (await stored(hosts.world, number, site)).id


def numbers(page: str) -> list[str]:
    return re.findall(r'id="case-(\d{8})"', page)


async def act(client: httpx.AsyncClient, cid: str, action: str, **data: str) -> httpx.Response:
    page = await client.get(f"/cases/{cid}")
    assert page.status_code == 200, page.text
    return await client.post(f"/cases/{cid}/{action}", data={"csrf": csrf_of(page.text), **data})


async def test_the_queue_lists_filters_and_searches(hosts: Hosts, staff: Staff) -> None:
    agent = await staff(sites=["us"])
    first = await ask(hosts, "sam@example.com")
    hosts.world.clock.advance(minutes=5)
    second = await ask(hosts, "+12015550123", topic="two_step")
    r = await agent.get("/cases")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    assert numbers(r.text) == [first, second]  # soonest first reply due first
    assert "claims to be" in r.text and "sam@example.com" in r.text
    assert "Not verified" in r.text and "First reply due" in r.text and "Overdue" not in r.text
    assert numbers((await agent.get("/cases?topic=two_step")).text) == [second]
    assert numbers((await agent.get("/cases?state=open")).text) == []
    assert numbers((await agent.get("/cases?state=&topic=&site=us")).text) == [first, second]
    bad = await agent.get("/cases?state=bogus")
    assert bad.status_code == 422 and 'id="state-error"' in bad.text
    # Assigned to me
    assert (await act(agent, await case_id(hosts, second), "assign", to="me")).status_code == 303
    assert numbers((await agent.get("/cases?mine=1")).text) == [second]
    assert numbers((await agent.get("/cases?state=open")).text) == [second]
    # Search: by number, by contact in its canonical form
    assert numbers((await agent.get(f"/cases?q={first}")).text) == [first]
    assert numbers((await agent.get("/cases", params={"q": "Sam@Example.com"})).text) == [first]
    assert numbers((await agent.get("/cases", params={"q": "(201) 555-0123"})).text) == [second]
    nothing = await agent.get("/cases", params={"q": "what is this"})
    assert nothing.status_code == 422 and 'id="q-error"' in nothing.text


async def test_an_unanswered_case_shows_overdue(hosts: Hosts, staff: Staff) -> None:
    late = await ask(hosts, "sam@example.com")
    hosts.world.clock.advance(hours=25)  # first reply was due 24 h after the case opened
    fresh = await ask(hosts, "kim@example.com")
    agent = await staff(sites=["us"])
    page = (await agent.get("/cases")).text
    assert numbers(page) == [late, fresh]
    rows = dict(zip(numbers(page), page.split('<li class="case-row')[1:], strict=True))
    assert rows[late].startswith(' overdue"') and "Overdue" in rows[late]
    assert "Overdue" not in rows[fresh] and "First reply due" in rows[fresh]


async def test_security_33_another_sites_case_is_a_404_like_no_case(
    hosts: Hosts, staff: Staff
) -> None:
    agent = await staff(sites=["us"])
    uk = await ask(hosts, "sam@example.com", site="uk")
    us = await ask(hosts, "sam@example.com")
    uk_id = await case_id(hosts, uk, "uk")
    assert numbers((await agent.get("/cases")).text) == [us]
    assert numbers((await agent.get("/cases?site=uk")).text) == []
    assert numbers((await agent.get(f"/cases?q={uk}")).text) == []
    assert numbers((await agent.get("/cases", params={"q": "sam@example.com"})).text) == [us]
    other = await agent.get(f"/cases/{uk_id}")
    missing = await agent.get("/cases/no-such-case")
    assert other.status_code == missing.status_code == 404
    assert other.text == missing.text  # the very same page
    page = await agent.get(f"/cases/{await case_id(hosts, us)}")
    r = await agent.post(f"/cases/{uk_id}/note", data={"csrf": csrf_of(page.text), "note": "x"})
    assert r.status_code == 404
    queue_page = await agent.get("/cases")
    site_select = re.search(r'<select id="site".*?</select>', queue_page.text, re.S)
    assert site_select and "United States" in site_select.group(0)
    assert "United Kingdom" not in site_select.group(0)  # only the actor's sites


async def test_security_33_roles_see_only_their_cases(hosts: Hosts, staff: Staff) -> None:
    number = await ask(hosts, "sam@example.com")
    cid = await case_id(hosts, number)
    async with hosts.world.deps.uow() as uow:  # a journey's own topic: the reviewers'
        await uow.cases.move("us", cid, CaseState.NEW, topic=Topic.IDENTITY_REVIEW)
        await uow.commit()
    agent = await staff(sites=["us"])
    assert (await agent.get(f"/cases/{cid}")).status_code == 404
    assert numbers((await agent.get("/cases")).text) == []
    reviewer = await staff("rev@staff.example", frozenset({Role.REVIEWER}), ["us"])
    assert (await reviewer.get(f"/cases/{cid}")).status_code == 200
    admin = await staff("boss@staff.example", frozenset({Role.ADMIN}))
    assert (await admin.get("/cases")).status_code == 404
    assert (await admin.get(f"/cases/{cid}")).status_code == 404
    assert 'href="/cases"' not in (await admin.get("/")).text


async def test_reply_is_emailed_and_a_note_is_not(hosts: Hosts, staff: Staff) -> None:
    agent = await staff(sites=["us"])
    number = await ask(hosts, "sam@example.com")
    cid = await case_id(hosts, number)
    await hosts.world.deliver()
    before = len(hosts.world.mailer.sent)
    prefilled = await agent.get(f"/cases/{cid}?canned=code_delays")
    assert "Codes usually arrive within a minute." in html.unescape(prefilled.text)
    r = await act(agent, cid, "reply", reply="Please use the reset page.")
    assert r.status_code == 303 and r.headers["location"] == f"/cases/{cid}?done=replied"
    page = await agent.get(r.headers["location"])
    assert "Reply sent to the customer." in page.text
    assert "Please use the reset page." in page.text and "Pending customer" in page.text
    await hosts.world.deliver()
    assert len(hosts.world.mailer.sent) == before + 1
    sent = hosts.world.mailer.sent[-1]
    assert sent.to == "sam@example.com" and "Please use the reset page." in sent.body
    r = await act(agent, cid, "note", note="Customer sounded unsure.")
    assert r.status_code == 303
    page = await agent.get(f"/cases/{cid}")
    assert 'class="entry entry-note"' in page.text and "Customer sounded unsure." in page.text
    await hosts.world.deliver()
    assert len(hosts.world.mailer.sent) == before + 1
    assert all("unsure" not in m.body for m in hosts.world.mailer.sent)
    empty = await act(agent, cid, "reply", reply="   ")
    assert empty.status_code == 422 and 'id="reply-error"' in empty.text


async def test_assign_and_state_changes(hosts: Hosts, staff: Staff) -> None:
    agent = await staff(sites=["us"])
    number = await ask(hosts, "sam@example.com")
    cid = await case_id(hosts, number)
    r = await act(agent, cid, "assign", to="me")
    assert r.headers["location"] == f"/cases/{cid}?done=assigned"
    page = await agent.get(r.headers["location"])
    assert 'class="case-assigned">to you' in page.text and "Unassign" in page.text
    assert "Case assigned to you." in page.text
    r = await act(agent, cid, "state", state="on_hold")
    assert r.status_code == 303 and r.headers["location"] == f"/cases/{cid}?done=state"
    assert (await stored(hosts.world, number)).state is CaseState.ON_HOLD
    wrong = await act(agent, cid, "state", state="closed")  # closing is the sweep's alone
    assert wrong.status_code == 422 and 'id="state-error"' in wrong.text
    assert (await stored(hosts.world, number)).state is CaseState.ON_HOLD
    r = await act(agent, cid, "assign", to="")
    assert r.headers["location"] == f"/cases/{cid}?done=unassigned"
    assert (await stored(hosts.world, number)).assigned_to is None


async def test_case_forms_need_the_consoles_csrf(hosts: Hosts, staff: Staff) -> None:
    agent = await staff(sites=["us"])
    number = await ask(hosts, "sam@example.com")
    cid = await case_id(hosts, number)
    await hosts.world.deliver()
    before = len(hosts.world.mailer.sent)
    for data in ({"reply": "Hello"}, {"reply": "Hello", "csrf": "forged"}):
        r = await agent.post(f"/cases/{cid}/reply", data=data)
        assert r.status_code == 403, r.text
    await hosts.world.deliver()
    assert len(hosts.world.mailer.sent) == before
    assert (await stored(hosts.world, number)).state is CaseState.NEW


# The agent tools panel: (form data beside the Reason, audit action, error id of the Reason).
TOOL_FORMS = {
    "reveal": ({"which": "0"}, AuditAction.AGENT_CONTACT_REVEALED, "reason-reveal-0-error"),
    "verify": ({"which": "0"}, AuditAction.AGENT_VERIFICATION_SENT, "reason-verify-error"),
    "reset": ({"which": "email:0"}, AuditAction.AGENT_RESET_SENT, "reason-reset-error"),
    "unlock": ({}, AuditAction.AGENT_UNLOCK_SENT, "reason-unlock-error"),
    "lift": ({}, AuditAction.AGENT_LOCK_LIFTED, "reason-lift-error"),
    "signout": ({}, AuditAction.AGENT_SIGNED_OUT_EVERYWHERE, "reason-signout-error"),
}


async def test_the_tools_panel_of_a_linked_case(hosts: Hosts, staff: Staff) -> None:
    _account, _session, cid = await locked_signed_in_case(hosts.world)
    agent = await staff(sites=["us"])
    page = html.unescape((await agent.get(f"/cases/{cid}")).text)
    for shown in ("Account summary", "a***@example.com", "Locked", "Verify it's you"):
        assert shown in page, shown
    for button in TOOL_BUTTONS:
        assert f'type="submit">{button}</button>' in page, button
    assert "ana@example.com" not in page  # masked until revealed
    assert 'name="email"' not in page and 'type="email"' not in page  # no typed address
    reviewer = await staff("rev@staff.example", frozenset({Role.REVIEWER, Role.AGENT}), ["us"])
    assert "Account summary" in (await reviewer.get(f"/cases/{cid}")).text
    trust = await staff("trust@staff.example", frozenset({Role.TRUST}), ["us"])
    assert (await trust.get(f"/cases/{cid}")).status_code == 404  # not a trust topic


TOOL_BUTTONS = (
    "Reveal",
    "Send code",
    "Send password reset code",
    "Send unlock link",
    "Lift lock",
    "Sign out everywhere",
)


@pytest.mark.parametrize("tool", sorted(TOOL_FORMS))
async def test_security_31_each_tool_needs_a_reason_and_is_audited(
    hosts: Hosts, staff: Staff, tool: str
) -> None:
    account_id, _session, cid = await locked_signed_in_case(hosts.world)
    agent = await staff(sites=["us"])
    data, action, error_id = TOOL_FORMS[tool]
    before = (len(await audit_of(hosts.world, account_id)), len(await outbox(hosts.world)))
    for blank in ("", "   "):
        r = await act(agent, cid, f"tools/{tool}", reason=blank, **data)
        assert r.status_code == 422, r.text
        assert f'id="{error_id}"' in r.text and "Give a reason" in r.text
    after_refusals = (len(await audit_of(hosts.world, account_id)), len(await outbox(hosts.world)))
    assert after_refusals == before  # nothing happened: no audit row, no message

    r = await act(agent, cid, f"tools/{tool}", reason=f"Customer asked ({tool})", **data)
    if tool == "reveal":  # shown in this answer alone, never carried in a URL or cookie
        assert r.status_code == 200 and "ana@example.com" in r.text
        assert "Contact revealed" in r.text
    else:
        assert r.status_code == 303 and r.headers["location"] == f"/cases/{cid}#tools"
        shown = await agent.get(f"/cases/{cid}")
        assert 'class="notice" role="status"' in shown.text
        assert "ew_staff_notice" in shown.headers.get("set-cookie", "")  # shown once
        again = await agent.get(f"/cases/{cid}")
        assert 'class="notice" role="status"' not in again.text
    [row] = [e for e in await audit_of(hosts.world, account_id) if e.action == action]
    number = (await stored_by_id(hosts, cid)).number
    assert row.detail["case"] == number and row.detail["reason"] == f"Customer asked ({tool})"
    assert row.detail["staff"]
    assert len(await outbox(hosts.world)) > before[1]  # the customer is told


async def test_security_33_a_signed_out_case_shows_no_account(hosts: Hosts, staff: Staff) -> None:
    await signed_in_with_token(hosts.world, "ana@example.com")
    known = await case_id(hosts, await ask(hosts, "ana@example.com"))
    unknown = await case_id(hosts, await ask(hosts, "nobody@example.com"))
    agent = await staff(sites=["us"])
    pages = {}
    for cid, contact in ((known, "ana@example.com"), (unknown, "nobody@example.com")):
        page = (await agent.get(f"/cases/{cid}")).text
        assert "Account summary" not in page and "Send password reset code" not in page
        assert f'claims to be <span class="contact">{contact}</span>' in page
        r = await act(agent, cid, "tools/verify", reason="Customer wants to link the case")
        assert r.status_code == 303
        after = (await agent.get(f"/cases/{cid}")).text
        assert SENT_IF_ON_FILE in after and "Not verified yet" in after
        pages[cid] = after
    # Both answers, known account or not, say the same thing in the same shape.
    shapes = {
        re.sub(r"[0-9]{8}|/cases/[^/\"#?]+|[a-z]+@example\.com|\d{1,2}:\d\d", "X", p)
        for p in pages.values()
    }
    assert len(shapes) == 1


async def test_only_agents_use_the_tools(hosts: Hosts, staff: Staff) -> None:
    account_id, _session, cid = await locked_signed_in_case(hosts.world)
    async with hosts.world.deps.uow() as uow:
        await uow.cases.move("us", cid, CaseState.NEW, topic=Topic.IDENTITY_REVIEW)
        await uow.commit()
    reviewer = await staff("rev@staff.example", frozenset({Role.REVIEWER}), ["us"])
    page = await reviewer.get(f"/cases/{cid}")
    assert page.status_code == 200 and "Agent tools" not in page.text
    r = await reviewer.post(
        f"/cases/{cid}/tools/lift", data={"csrf": csrf_of(page.text), "reason": "because"}
    )
    assert r.status_code == 404
    assert [
        e for e in await audit_of(hosts.world, account_id) if e.action.startswith("agent.")
    ] == []


async def stored_by_id(hosts: Hosts, cid: str) -> SupportCase:
    async with hosts.world.deps.uow() as uow:
        found = await uow.cases.in_sites(["us"], cid)
    assert found is not None
    return found
