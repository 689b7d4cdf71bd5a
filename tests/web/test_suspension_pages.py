"""The suspension notice over HTTP, through the pages: nothing differs before the right
password (SECURITY.md 36), the refusal after it, the notice, the appeal, the emailed link's
landing (SECURITY.md 15) and its site binding (SECURITY.md 28)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from html import unescape

import httpx
import pytest

from entryway.adapters.clock import FrozenClock
from entryway.adapters.mail import MemoryMailer
from entryway.adapters.sms import MemoryTexter
from entryway.bootstrap import app_for, build
from entryway.core.suspension import DEMO_REASONS
from entryway.flows.ports import Requester
from entryway.flows.records import Suspension
from entryway.flows.trust import measures
from tests.conftest import World
from tests.conftest import test_settings as settings_for
from tests.web.helpers import csrf_of, sign_in, submit
from tests.web.test_security_cases import make_account, scrub, stable_headers
from tests.web.test_two_step import turn_on

PW = "quiet-meadow-lantern"
NEW = "harbour-lights-at-dusk"
FACTS = "Three orders in May were paid with a card whose owner said they had not used it."
LINK = re.compile(r"(http://us\.localhost:8000)?/suspension/appeal\?token=([A-Za-z0-9_-]+)")
UK = "http://uk.localhost:8000"


def world_with_reasons(url: str, schema: str | None, **extra: object) -> World:
    """A runtime whose store offers the demo's suspension reasons."""
    clock, mailer, texter = FrozenClock(), MemoryMailer(), MemoryTexter()
    settings = settings_for(url, suspension_reasons=list(DEMO_REASONS), **extra)
    runtime = build(settings, clock=clock, mailer=mailer, texter=texter, schema=schema)
    return World(runtime=runtime, clock=clock, mailer=mailer, texter=texter)


@pytest.fixture
async def world(database_url: tuple[str, str | None]) -> AsyncIterator[World]:
    made = world_with_reasons(*database_url)
    yield made
    await made.runtime.close()


async def suspend(
    world: World,
    ident: str,
    *,
    site: str = "us",
    until: datetime | None = None,
    automated: bool = True,
    reason: str = "payment_fraud",
) -> Suspension:
    """Suspend the account of ``ident`` the way the operator's command line does."""
    account_id = await measures.account_by_identifier(world.deps, site, ident)
    return await measures.suspend(
        world.deps,
        None,
        site=site,
        account_id=account_id,
        reason=reason,
        facts=FACTS,
        until=until,
        automated=automated,
        who=Requester(),
        by="cli",
    )


async def appeal_link(world: World, to: str) -> str:
    """The path of the appeal link in the newest notice emailed to ``to``."""
    await world.deliver()
    for message in reversed(world.mailer.sent):
        found = LINK.search(message.body)
        if message.to == to and found:
            return f"/suspension/appeal?token={found.group(2)}"
    raise AssertionError(f"no appeal link was emailed to {to}")


def cookie_shapes(r: httpx.Response) -> list[str]:
    """The cookies an answer sets, values taken out (a CSRF or device value always differs)."""
    return sorted(
        re.sub(r"^([^=]+)=[^;]*", r"\1=V", v)
        for k, v in r.headers.multi_items()
        if k == "set-cookie"
    )


def sets(r: httpx.Response, name: str) -> bool:
    return any(
        v.startswith(name + "=") and not v.startswith(name + '=""')
        for k, v in r.headers.multi_items()
        if k == "set-cookie"
    )


# SECURITY.md 36 ---------------------------------------------------------------------------
async def test_before_the_right_password_a_suspended_account_answers_like_an_active_one(
    client: httpx.AsyncClient, world: World
) -> None:
    await make_account(world, "active@example.com")
    await make_account(world, "held@example.com")
    await suspend(world, "held@example.com")
    seen = []
    for ident in ("active@example.com", "held@example.com", "nobody@example.com"):
        client.cookies.clear()
        r = await submit(client, "/signin", "/signin", {"identifier": ident})
        step = await client.get(r.headers["location"])
        wrong = await client.post(
            "/signin/password", data={"csrf": csrf_of(step.text), "password": "wrong-guess-123"}
        )
        api_ident = await client.post("/api/v1/sign-in/identifier", json={"identifier": ident})
        api_wrong = await client.post(
            "/api/v1/sign-in", json={"identifier": ident, "password": "wrong-guess-123"}
        )
        seen.append(
            (
                r.status_code,
                r.headers["location"],
                stable_headers(r),
                cookie_shapes(r),
                step.status_code,
                stable_headers(step),
                scrub(step.text).replace(ident, "IDENT"),
                wrong.status_code,
                stable_headers(wrong),
                cookie_shapes(wrong),
                scrub(wrong.text).replace(ident, "IDENT"),
                api_ident.status_code,
                api_ident.text,
                stable_headers(api_ident),
                api_wrong.status_code,
                api_wrong.text,
                stable_headers(api_wrong),
            )
        )
    assert seen[0] == seen[1] == seen[2]
    assert seen[0][7] == 200 and seen[0][14] == 401
    assert "suspended" not in seen[1][10].lower()


async def test_right_password_shows_the_suspension_and_the_notice(
    client: httpx.AsyncClient, world: World
) -> None:
    await make_account(world, "ana@example.com")
    suspended = await suspend(world, "ana@example.com")
    r = await sign_in(client, "ana@example.com", PW)
    assert r.status_code == 403
    assert "Your account is suspended." in r.text
    assert '<a href="/suspension">View the notice</a>' in r.text
    assert sets(r, "ew_notice") and not sets(r, "ew_session")
    assert r.headers["cache-control"] == "no-store"
    assert (await client.get("/account")).status_code == 303  # nobody was signed in

    page = await client.get("/suspension")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    text = unescape(page.text)
    for shown in (
        "Your account is suspended",
        "Suspension of your account on Acme Market United States",
        "The whole account on this site: it cannot be signed in to",
        "with no end date, until we lift it",
        FACTS,
        "Payments we could not accept.",
        "section 7.1",
        "Automated means flagged this account; a person decided.",
        "You can appeal this decision until",
        "Tell us why we should reconsider",
        "Submit appeal",
    ):
        assert shown in text, shown
    assert '<label for="appeal">Tell us why we should reconsider</label>' in page.text
    assert suspended.id not in page.text  # an internal id is nobody's business on the page


async def test_appeal_through_the_page(client: httpx.AsyncClient, world: World) -> None:
    await make_account(world, "ana@example.com")
    await suspend(world, "ana@example.com", automated=False)
    await sign_in(client, "ana@example.com", PW)
    page = await client.get("/suspension")
    assert "Our team found this without automated means." in unescape(page.text)

    no_csrf = await client.post("/suspension/appeal", data={"appeal": "Please look again."})
    assert no_csrf.status_code == 403
    empty = await client.post("/suspension/appeal", data={"csrf": csrf_of(page.text)})
    assert empty.status_code == 422
    assert 'aria-invalid="true"' in empty.text and 'id="appeal-error"' in empty.text

    r = await client.post(
        "/suspension/appeal",
        data={"csrf": csrf_of(page.text), "appeal": "Those orders were mine; here is why."},
    )
    assert r.status_code == 303 and r.headers["location"] == "/suspension/appeal/sent"
    sent = await client.get("/suspension/appeal/sent")
    assert sent.status_code == 200 and "Appeal sent" in sent.text
    number = re.search(r"Your case number is <strong>([^<]+)</strong>", sent.text)
    assert number is not None
    assert (await client.get("/suspension/appeal/sent")).headers["location"] == "/suspension"

    again = await client.get("/suspension")
    assert "Your appeal is with our team" in unescape(again.text)
    assert "Submit appeal" not in again.text
    assert f"case {number.group(1)}" in again.text


# SECURITY.md 15 ---------------------------------------------------------------------------
async def test_emailed_link_lands_on_a_token_free_notice(
    client: httpx.AsyncClient, world: World
) -> None:
    await make_account(world, "ana@example.com")
    await suspend(world, "ana@example.com")
    link = await appeal_link(world, "ana@example.com")
    for _ in range(2):  # not single use: it only shows the notice and takes an appeal
        client.cookies.clear()
        r = await client.get(link)
        assert r.status_code == 303 and r.headers["location"] == "/suspension"
        assert r.headers["cache-control"] == "no-store"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert sets(r, "ew_notice")
        token = link.rpartition("=")[2]
        assert token not in r.headers["location"] and r.cookies["ew_notice"] != token
        page = await client.get("/suspension")
        assert page.status_code == 200 and FACTS in unescape(page.text)
        assert "Submit appeal" in page.text
    r = await client.post(
        "/suspension/appeal",
        data={"csrf": csrf_of(page.text), "appeal": "I did not do this."},
    )
    assert r.status_code == 303
    assert "Appeal sent" in (await client.get(r.headers["location"])).text
    assert (await client.get("/account")).status_code == 303  # the link signs nobody in


# SECURITY.md 28 ---------------------------------------------------------------------------
async def test_notice_link_of_one_site_is_refused_on_another(
    client: httpx.AsyncClient, world: World
) -> None:
    await make_account(world, "ana@example.com")
    await make_account(world, "ana@example.com", site="uk")  # the same address, another account
    await suspend(world, "ana@example.com")
    link = await appeal_link(world, "ana@example.com")
    r = await client.get(UK + link)
    assert r.status_code == 303 and r.headers["location"] == "/suspension/expired"
    assert not sets(r, "ew_notice")
    assert r.headers["cache-control"] == "no-store"
    expired = await client.get(UK + "/suspension/expired")
    assert expired.status_code == 410 and "This notice can" in expired.text

    view = (await client.get(link)).cookies["ew_notice"]  # a US view, carried to the UK site
    client.cookies.clear()
    moved = await client.get(UK + "/suspension", headers={"cookie": f"ew_notice={view}"})
    assert moved.status_code == 303 and moved.headers["location"] == "/suspension/expired"
    assert (await client.get("/suspension")).headers["location"] == "/suspension/expired"
    bad = await client.get(link.replace("token=", "token=x"))
    assert bad.headers["location"] == "/suspension/expired"


async def test_a_suspension_that_ended_lets_the_password_in(
    client: httpx.AsyncClient, world: World
) -> None:
    await make_account(world, "ana@example.com")
    await suspend(world, "ana@example.com", until=world.clock.now() + timedelta(days=2))
    assert (await sign_in(client, "ana@example.com", PW)).status_code == 403
    world.clock.advance(seconds=3 * 24 * 3600)
    client.cookies.clear()
    r = await sign_in(client, "ana@example.com", PW)
    assert r.status_code == 303 and sets(r, "ew_session")


async def test_second_step_is_asked_then_the_suspension_refuses(
    client: httpx.AsyncClient, world: World
) -> None:
    from entryway.core import totp
    from tests.web.helpers import register

    await register(client, world)
    key, _codes = await turn_on(client, world)
    await submit(client, "/account", "/signout", {})
    await suspend(world, "ana@example.com")
    world.clock.advance(seconds=60)
    client.cookies.clear()
    r = await sign_in(client, "ana@example.com", PW)
    assert r.status_code == 303 and r.headers["location"].startswith("/signin/two-step")
    page = await client.get("/signin/two-step")
    r = await client.post(
        "/signin/two-step",
        data={
            "csrf": csrf_of(page.text),
            "method": "app",
            "code": totp.totp(key, totp.step_at(world.clock.now())),
        },
    )
    assert r.status_code == 403 and "Your account is suspended." in r.text
    assert "View the notice" in r.text and sets(r, "ew_notice") and not sets(r, "ew_session")
    assert "ew_partial=" in r.headers.get("set-cookie", "")  # the partial cookie goes too
    assert (await client.get("/suspension")).status_code == 200
    assert (await client.get("/signin/two-step")).headers["location"] == "/signin"


@pytest.fixture
async def wary_world(database_url: tuple[str, str | None]) -> AsyncIterator[World]:
    """Asks for a code after two failures on the account (an unusual sign-in)."""
    made = world_with_reasons(*database_url, lock_after_failures=5, unusual_after_failures=2)
    yield made
    await made.runtime.close()


async def test_unusual_sign_in_code_is_asked_then_the_suspension_refuses(
    wary_world: World,
) -> None:
    world = wary_world
    transport = httpx.ASGITransport(
        app=app_for(world.runtime, deliver=False), client=("203.0.113.7", 51000)
    )
    async with httpx.AsyncClient(
        transport=transport, base_url="http://us.localhost:8000", follow_redirects=False
    ) as client:
        await make_account(world, "ana@example.com")
        await suspend(world, "ana@example.com")
        for _ in range(2):
            await sign_in(client, "ana@example.com", "wrong-guess-123")
        client.cookies.clear()
        r = await sign_in(client, "ana@example.com", PW)
        assert r.status_code == 303 and r.headers["location"].startswith("/signin/confirm")
        code = await world.code("ana@example.com")
        r = await submit(client, r.headers["location"], "/signin/confirm", {"code": code})
        assert r.status_code == 403 and "Your account is suspended." in r.text
        assert sets(r, "ew_notice") and not sets(r, "ew_session")
        assert (await client.get("/suspension")).status_code == 200


async def test_reset_of_a_suspended_account_ends_at_the_notice(
    client: httpx.AsyncClient, world: World
) -> None:
    await make_account(world, "ana@example.com")
    await suspend(world, "ana@example.com")
    r = await submit(
        client, "/password/forgot", "/password/forgot", {"identifier": "ana@example.com"}
    )
    page = await client.get("/password/forgot/code")
    r = await client.post(
        "/password/forgot/code",
        data={"csrf": csrf_of(page.text), "code": await world.code("ana@example.com")},
    )
    assert r.headers["location"] == "/password/new"
    r = await submit(
        client, "/password/new", "/password/new", {"password": NEW, "password_again": NEW}
    )
    assert r.status_code == 303 and r.headers["location"] == "/suspension"
    assert sets(r, "ew_notice") and not sets(r, "ew_session")
    assert r.headers["cache-control"] == "no-store"
    assert FACTS in unescape((await client.get("/suspension")).text)
    client.cookies.clear()
    assert (await sign_in(client, "ana@example.com", NEW)).status_code == 403  # saved, held


async def test_after_the_appeal_window_the_notice_says_why_not(
    client: httpx.AsyncClient, world: World
) -> None:
    await make_account(world, "ana@example.com")
    await suspend(world, "ana@example.com")
    await sign_in(client, "ana@example.com", PW)
    early = await client.get("/suspension")
    world.clock.advance(seconds=181 * 24 * 3600)
    assert (await client.get("/suspension")).headers["location"] == "/suspension/expired"
    late = await client.post(
        "/suspension/appeal", data={"csrf": csrf_of(early.text), "appeal": "Please look again."}
    )
    assert late.headers["location"] == "/suspension/expired"  # the view, too, has ended
    client.cookies.clear()
    refused = await sign_in(client, "ana@example.com", PW)
    assert refused.status_code == 403
    page = await client.get("/suspension")
    text = unescape(page.text)
    assert page.status_code == 200 and "The time to appeal this decision has ended." in text
    assert "Submit appeal" not in text and "Tell us why we should reconsider" not in text
    assert 'href="/help/ask"' in page.text
    r = await client.post(
        "/suspension/appeal", data={"csrf": csrf_of(refused.text), "appeal": "Please look again."}
    )
    assert r.status_code == 403 and "The time to appeal this decision has ended." in unescape(
        r.text
    )
