"""The console's Accounts pages over HTTP: trust staff find an account on their sites, read
its file and Suspend, Send warning and Lift suspension through CSRF-checked forms; other
roles get 404, and another site's account answers like none (SECURITY.md 33)."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from entryway.adapters.clock import FrozenClock
from entryway.adapters.mail import MemoryMailer
from entryway.adapters.sms import MemoryTexter
from entryway.bootstrap import app_for, build
from entryway.core.events import AuditAction
from entryway.core.staff import Role
from entryway.core.suspension import DEMO_REASONS, SuspensionState
from entryway.errors import Unauthenticated
from entryway.flows.account import account, registration
from entryway.flows.ports import Requester
from entryway.web.console.accounts import DONE
from tests import conftest
from tests.conftest import World
from tests.flows.staff_helpers import CONSOLE
from tests.flows.test_agent_tools import audit_of
from tests.web.helpers import csrf_of
from tests.web.test_console import Hosts
from tests.web.test_console_cases import Staff
from tests.web.test_console_cases import staff as staff  # the fixture, re-exported

WHO = Requester(ip="192.0.2.10", user_agent="pytest")
PW = "correct-horse-battery-9"
FACTS = "Three orders in May were paid with cards their owners reported stolen."


@pytest.fixture
async def hosts(database_url: tuple[str, str | None]) -> AsyncIterator[Hosts]:
    """The console and the US site, with the demo's suspension reasons configured."""
    url, schema = database_url
    settings = conftest.test_settings(
        url, console_url=CONSOLE, suspension_reasons=list(DEMO_REASONS)
    )
    clock, mailer, texter = FrozenClock(), MemoryMailer(), MemoryTexter()
    runtime = build(settings, clock=clock, mailer=mailer, texter=texter, schema=schema)
    world = World(runtime=runtime, clock=clock, mailer=mailer, texter=texter)
    transport = httpx.ASGITransport(app=app_for(runtime, deliver=False), client=("203.0.113.9", 1))
    async with (
        httpx.AsyncClient(transport=transport, base_url=CONSOLE) as console,
        httpx.AsyncClient(transport=transport, base_url="http://us.localhost:8000") as site,
    ):
        yield Hosts(world=world, console=console, site=site)
    await runtime.close()


async def customer(world: World, site: str = "us", email: str = "ana@example.com") -> str:
    """A registered, verified customer on ``site``; their session token."""
    started = await registration.start(
        world.deps, site, name="Ana Lopez", identifier=email, password=PW, password_again=PW,
        who=WHO,
    )  # fmt: skip
    done = await registration.verify(
        world.deps, site, flow_token=started.flow_token, code=await world.code(email), who=WHO
    )
    return done.session_token


async def trust_of(staff: Staff, sites: list[str] | None = None) -> httpx.AsyncClient:
    return await staff("trust@staff.example", frozenset({Role.TRUST}), sites or ["us"])


async def find(client: httpx.AsyncClient, site: str, identifier: str) -> httpx.Response:
    page = await client.get("/accounts")
    assert page.status_code == 200, page.text
    return await client.post(
        "/accounts/find",
        data={"csrf": csrf_of(page.text), "site": site, "identifier": identifier},
    )


async def act(client: httpx.AsyncClient, path: str, action: str, **data: str) -> httpx.Response:
    page = await client.get(path)
    assert page.status_code == 200, page.text
    return await client.post(f"{path}/{action}", data={"csrf": csrf_of(page.text), **data})


async def test_accounts_are_for_the_trust_role_only(hosts: Hosts, staff: Staff) -> None:
    agent = await staff("agent@staff.example", frozenset({Role.AGENT}), ["us"])
    home = await agent.get("/")
    assert 'href="/accounts"' not in home.text
    assert (await agent.get("/accounts")).status_code == 404
    assert (await agent.get("/accounts/us/whatever")).status_code == 404
    trust = await trust_of(staff)
    home = await trust.get("/")
    assert '<a href="/accounts">Accounts</a>' in home.text
    page = await trust.get("/accounts")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert "Email or mobile phone number" in page.text and ">Find</button>" in page.text
    # Only the actor's own sites are offered.
    assert '<option value="us"' in page.text and '<option value="uk"' not in page.text


async def test_find_suspend_warn_and_lift_through_the_forms(hosts: Hosts, staff: Staff) -> None:
    world = hosts.world
    session = await customer(world)
    trust = await trust_of(staff)
    r = await find(trust, "us", "ANA@example.com")
    assert r.status_code == 303, r.text
    path = r.headers["location"]
    assert path.startswith("/accounts/us/")
    account_id = path.rsplit("/", 1)[1]
    page = html.unescape((await trust.get(path)).text)
    assert "Not suspended" in page and "ana@example.com" not in page and "@example.com" in page
    assert "No suspension or warning" in page and "Suspend account" in page
    assert "Payments we could not accept (terms 7.1)" in page  # the reason select
    assert "Lift suspension" not in page

    # Without a CSRF token nothing happens.
    bare = await trust.post(f"{path}/suspend", data={"reason": "payment_fraud", "facts": FACTS})
    assert bare.status_code == 403
    # Neither an end date nor Indefinite: said beside Until, facts kept.
    r = await act(trust, path, "suspend", reason="payment_fraud", facts=FACTS)
    assert r.status_code == 422
    assert "Give an end date, or tick Indefinite." in html.unescape(r.text)
    assert FACTS in html.unescape(r.text)

    r = await act(
        trust, path, "suspend", reason="payment_fraud", facts=FACTS, indefinite="1", automated="1"
    )
    assert r.status_code == 303 and r.headers["location"] == f"{path}?done=suspended", r.text
    page = html.unescape((await trust.get(r.headers["location"])).text)
    assert DONE["suspended"] in page
    assert "Suspended</strong>, indefinitely" in page
    assert 'Suspension</span> · <span class="measure-state">In force' in page
    assert FACTS in page and "Automated means flagged this; a person decided" in page
    assert "Lift suspension" in page and "Suspend account" not in page
    with pytest.raises(Unauthenticated):  # every session ended at once
        await account.current(world.deps, "us", session)
    entries = await audit_of(world, account_id)
    assert any(e.action is AuditAction.ACCOUNT_SUSPENDED for e in entries)
    await world.deliver()
    notice = [m for m in world.mailer.sent if m.to == "ana@example.com"][-1]
    assert FACTS in notice.body and "7.1" in notice.body

    r = await act(trust, path, "lift", reason="")
    assert r.status_code == 422 and 'id="lift-reason-error"' in r.text
    current = html.unescape(r.text).split('name="suspension" value="')[1].split('"')[0]
    r = await act(trust, path, "lift", suspension=current, reason="Cards were the customer's own")
    assert r.status_code == 303 and r.headers["location"] == f"{path}?done=lifted", r.text
    page = html.unescape((await trust.get(r.headers["location"])).text)
    assert DONE["lifted"] in page and "Not suspended" in page
    assert "Cards were the customer's own" in page and "Lifted" in page

    r = await act(
        trust, path, "warn", reason="abusive_reviews", facts="A review on 3 May insulted a seller."
    )
    assert r.status_code == 303 and r.headers["location"] == f"{path}?done=warned", r.text
    page = html.unescape((await trust.get(r.headers["location"])).text)
    assert DONE["warned"] in page and "Warning</span>" in page
    assert "A review on 3 May insulted a seller." in page
    async with world.deps.uow() as uow:
        measures = await uow.suspensions.for_account("us", account_id)
    # Both were made at the test's one frozen instant, so their order is not the point.
    assert sorted((m.measure.value, m.state) for m in measures) == [
        ("suspension", SuspensionState.LIFTED),
        ("warning", SuspensionState.IN_FORCE),
    ]


async def test_a_dated_suspension_shows_its_end(hosts: Hosts, staff: Staff) -> None:
    await customer(hosts.world)
    trust = await trust_of(staff)
    path = (await find(trust, "us", "ana@example.com")).headers["location"]
    r = await act(trust, path, "suspend", reason="returns_abuse", facts="Used items.", until="x")
    assert r.status_code == 422 and "YYYY-MM-DD" in r.text
    day = (hosts.world.clock.now() + timedelta(days=30)).date()
    r = await act(
        trust, path, "suspend", reason="returns_abuse", facts="Used items.", until=day.isoformat()
    )
    assert r.status_code == 303, r.text
    page = html.unescape((await trust.get(path)).text)
    # The end is the start of that day on the site's clock.
    shown = f"{day.day}\u00a0{day:%b}\u00a0{day.year}, 12:00\u00a0AM"
    assert f"Suspended</strong> until {shown}" in page, page


async def test_another_sites_account_is_not_found(hosts: Hosts, staff: Staff) -> None:
    await customer(hosts.world, "uk", "oli@example.co.uk")
    trust = await trust_of(staff, ["us"])
    r = await find(trust, "uk", "oli@example.co.uk")
    assert r.status_code in (404, 422) and "/accounts/uk/" not in r.headers.get("location", "")
    assert 'id="identifier-error"' in r.text or 'id="site-error"' in r.text
    r = await find(trust, "us", "oli@example.co.uk")  # not on the US site either
    assert r.status_code == 404 and 'id="identifier-error"' in r.text
    # A trust member of every site finds it; the one scoped to the US cannot open it by URL.
    everywhere = await staff("all@staff.example", frozenset({Role.TRUST}), None)
    r = await find(everywhere, "uk", "oli@example.co.uk")
    assert r.status_code == 303, r.text
    path = r.headers["location"]
    assert (await everywhere.get(path)).status_code == 200
    assert (await trust.get(path)).status_code == 404
    page = await trust.get("/accounts")
    blocked = await trust.post(
        f"{path}/suspend",
        data={"csrf": csrf_of(page.text), "reason": "payment_fraud", "facts": FACTS,
              "indefinite": "1"},
    )  # fmt: skip
    assert blocked.status_code == 404


async def test_lift_on_one_account_page_cannot_lift_another_accounts_suspension(
    hosts: Hosts, staff: Staff
) -> None:
    """The suspension in the Lift form must be the account's of the page it was sent from."""
    world = hosts.world
    await customer(world)
    await customer(world, "us", "bo@example.com")
    trust = await trust_of(staff)
    ana = (await find(trust, "us", "ana@example.com")).headers["location"]
    bo = (await find(trust, "us", "bo@example.com")).headers["location"]
    r = await act(trust, ana, "suspend", reason="payment_fraud", facts=FACTS, indefinite="1")
    assert r.status_code == 303, r.text
    page = html.unescape((await trust.get(ana)).text)
    suspension = page.split('name="suspension" value="')[1].split('"')[0]
    r = await act(trust, bo, "lift", suspension=suspension, reason="Sent from the wrong page")
    assert r.status_code == 404, r.text
    async with world.deps.uow() as uow:
        found = await uow.suspensions.get("us", suspension)
    assert found is not None and found.state is SuspensionState.IN_FORCE
