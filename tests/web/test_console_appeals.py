"""The Appeal panel of an appeal case: trust staff read the statement and the appeal and
decide with a reason for the customer; a second appeal goes to someone other than the first
appeal's decider, and the page says why instead of offering the form (SECURITY.md 37)."""

from __future__ import annotations

import html

import httpx

from entryway.core.staff import Role
from entryway.core.suspension import SuspensionState
from entryway.flows.account import account
from entryway.flows.ports import Requester
from entryway.flows.trust import appeals, measures, notice
from entryway.web.console.appeals import NOTICES
from tests.flows.test_support_cases import stored
from tests.web.helpers import csrf_of
from tests.web.test_console import Hosts
from tests.web.test_console_accounts import FACTS, customer
from tests.web.test_console_accounts import hosts as hosts  # the fixture, re-exported
from tests.web.test_console_cases import Staff
from tests.web.test_console_cases import staff as staff  # the fixture, re-exported

WHO = Requester(ip="192.0.2.10", user_agent="pytest")
FIRST = "These were my own cards; my bank can confirm it."
SECOND = "Here is my bank's letter, please look again."


async def suspended(hosts: Hosts) -> tuple[str, str]:
    """(account id, suspension id): Ana's account, suspended from the command line."""
    session = await customer(hosts.world)
    account_id = (await account.current(hosts.world.deps, "us", session)).account.id
    done = await measures.suspend(
        hosts.world.deps, None, site="us", account_id=account_id, reason="payment_fraud",
        facts=FACTS, until=None, automated=False, who=WHO, by="cli",
    )  # fmt: skip
    return account_id, done.id


async def appeal(hosts: Hosts, account_id: str, suspension_id: str, text: str) -> str:
    """The customer appeals from a notice view; the appeal case's id."""
    deps = hosts.world.deps
    async with deps.uow() as uow:
        found = await uow.accounts.get("us", account_id)
        assert found is not None
        view = await notice.new_view(deps, uow, found, suspension_id)
        await uow.commit()
    sent = await appeals.submit(deps, "us", view, text=text, who=WHO)
    return (await stored(hosts.world, sent.case_number)).id


async def decide(
    client: httpx.AsyncClient, case_id: str, decision: str, reason: str
) -> httpx.Response:
    page = await client.get(f"/cases/{case_id}")
    assert page.status_code == 200, page.text
    return await client.post(
        f"/cases/{case_id}/appeal",
        data={"csrf": csrf_of(page.text), "decision": decision, "reason": reason},
    )


async def test_uphold_then_a_second_appeal_goes_to_someone_else(hosts: Hosts, staff: Staff) -> None:
    account_id, suspension_id = await suspended(hosts)
    case_id = await appeal(hosts, account_id, suspension_id, FIRST)
    kim = await staff("kim@staff.example", frozenset({Role.TRUST}), ["us"])
    page = html.unescape((await kim.get(f"/cases/{case_id}")).text)
    assert 'id="appeal-panel"' in page and FACTS in page and FIRST in page
    assert "Payments we could not accept" in page and "7.1" in page
    assert "<legend>Decision</legend>" in page and ">Reinstate</label>" in page
    assert ">Uphold</label>" in page and "Reason for the customer" in page
    assert ">Decide</button>" in page

    blank = await decide(kim, case_id, "uphold", "")
    assert blank.status_code == 422 and 'id="appeal-reason-error"' in blank.text
    r = await decide(kim, case_id, "uphold", "The bank confirmed the cards were stolen.")
    assert r.status_code == 303 and r.headers["location"] == f"/cases/{case_id}#appeal"
    page = html.unescape((await kim.get(f"/cases/{case_id}")).text)
    assert NOTICES["uphold"] in page and "Upheld" in page
    assert "The bank confirmed the cards were stolen." in page and ">Decide</button>" not in page

    second = await appeal(hosts, account_id, suspension_id, SECOND)
    page = html.unescape((await kim.get(f"/cases/{second}")).text)
    assert SECOND in page and "Earlier appeals" in page and FIRST in page
    assert ">Decide</button>" not in page and 'id="why-not"' in page
    refused = await decide(kim, second, "reinstate", "Looks fine now")
    assert refused.status_code == 403, refused.text
    lee = await staff("lee@staff.example", frozenset({Role.TRUST}), ["us"])
    page = html.unescape((await lee.get(f"/cases/{second}")).text)
    assert ">Decide</button>" in page and "by kim@staff.example" in page
    r = await decide(lee, second, "reinstate", "The bank's letter shows the cards were yours.")
    assert r.status_code == 303, r.text
    page = html.unescape((await lee.get(f"/cases/{second}")).text)
    assert NOTICES["reinstate"] in page and "Reinstated" in page
    async with hosts.world.deps.uow() as uow:
        lifted = await uow.suspensions.get("us", suspension_id)
    assert lifted is not None and lifted.state is SuspensionState.LIFTED


async def test_the_panel_is_for_trust_staff(hosts: Hosts, staff: Staff) -> None:
    account_id, suspension_id = await suspended(hosts)
    case_id = await appeal(hosts, account_id, suspension_id, FIRST)
    agent = await staff("agent@staff.example", frozenset({Role.AGENT}), ["us"])
    assert (await agent.get(f"/cases/{case_id}")).status_code == 404  # not an agent's topic
    page = await agent.get("/cases")
    r = await agent.post(
        f"/cases/{case_id}/appeal",
        data={"csrf": csrf_of(page.text), "decision": "reinstate", "reason": "x"},
    )
    assert r.status_code == 404
    elsewhere = await staff("uk@staff.example", frozenset({Role.TRUST}), ["uk"])
    assert (await elsewhere.get(f"/cases/{case_id}")).status_code == 404
