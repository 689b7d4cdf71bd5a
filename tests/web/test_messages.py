"""Page words that say what happened (issue 9, item 3): why a code is asked for, the label
of the no-access link, the backup-code page, and the notice after a cancelled second step."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator

import httpx
import pytest

from entryway.adapters.clock import FrozenClock
from entryway.adapters.mail import MemoryMailer
from entryway.adapters.sms import MemoryTexter
from entryway.bootstrap import build
from tests.conftest import World
from tests.conftest import test_settings as settings_for
from tests.web.helpers import csrf_of, register, sign_in, submit
from tests.web.test_password_reset import unknown_with
from tests.web.test_two_step import turn_on

PW = "quiet-meadow-lantern"
ANA = "ana@example.com"
PHONE = "+12015550123"


@pytest.fixture
async def world(database_url: tuple[str, str | None]) -> AsyncIterator[World]:
    """Codes after two failures on the account, or three from one address."""
    url, schema = database_url
    clock, mailer, texter = FrozenClock(), MemoryMailer(), MemoryTexter()
    settings = settings_for(
        url,
        delay_after_failures=50,
        unusual_after_failures=2,
        ip_unusual_after=3,
        ip_refuse_after=50,
    )
    runtime = build(settings, clock=clock, mailer=mailer, texter=texter, schema=schema)
    yield World(runtime=runtime, clock=clock, mailer=mailer, texter=texter)
    await runtime.close()


def words(page: httpx.Response) -> str:
    return html.unescape(page.text)


async def confirm_page(client: httpx.AsyncClient) -> str:
    client.cookies.clear()  # a browser that never signed in here
    r = await sign_in(client, ANA, PW)
    assert r.status_code == 303 and r.headers["location"].startswith("/signin/confirm")
    return words(await client.get(r.headers["location"]))


async def test_the_confirm_page_names_failures_on_the_account(
    client: httpx.AsyncClient, world: World
) -> None:
    await register(client, world)
    client.cookies.clear()
    for _ in range(2):
        await sign_in(client, ANA, "wrong-guess-123")
    text = await confirm_page(client)
    assert (
        "we don't recognise this device and there were failed attempts to sign in to your account"
        in text
    )


async def test_the_confirm_page_does_not_blame_the_account_for_the_network(
    client: httpx.AsyncClient, world: World
) -> None:
    await register(client, world)
    client.cookies.clear()
    for n in range(3):  # this address failed for other people, never for Ana
        await sign_in(client, f"someone{n}@example.com", "wrong-guess-123")
    text = await confirm_page(client)
    assert "many failed attempts to sign in from this network" in text
    assert "attempts to sign in to your account" not in text
    await world.deliver()
    code = [m for m in world.mailer.sent if m.subject.endswith("confirm it's you signing in")]
    assert "on a network where many sign-ins failed lately" in code[-1].body


async def test_the_backup_code_page_speaks_of_codes_not_otp(
    client: httpx.AsyncClient, world: World
) -> None:
    await register(client, world)
    await turn_on(client, world)
    await submit(client, "/account", "/signout", {})
    await sign_in(client, ANA, PW)
    page = words(await client.get("/signin/two-step?method=backup"))
    assert "Enter backup code" in page
    assert "Don't ask for a code on this browser" in page
    assert "OTP" not in page


async def test_cancelling_the_second_step_tells_the_owner(
    client: httpx.AsyncClient, world: World
) -> None:
    await register(client, world)
    await turn_on(client, world)
    await submit(client, "/account", "/signout", {})
    await sign_in(client, ANA, PW)
    page = await client.get("/signin/two-step")
    await client.post("/signin/two-step/cancel", data={"csrf": csrf_of(page.text)})
    await world.deliver()
    told = [m for m in world.mailer.sent if "someone entered your password" in m.subject]
    assert len(told) == 1 and "did not finish two-step verification" in told[0].body


def no_access_link(page: httpx.Response) -> str:
    text = words(page)
    opening = '<a href="/recovery?start=reset">'  # the identity check, for this identifier
    start = text.index(opening) + len(opening)
    return text[start : text.index("</a>", start)]


async def forgot(client: httpx.AsyncClient, identifier: str) -> httpx.Response:
    client.cookies.clear()
    r = await submit(client, "/password/forgot", "/password/forgot", {"identifier": identifier})
    assert r.status_code == 303
    return await client.get(r.headers["location"])


async def test_the_no_access_link_names_only_a_phone(
    client: httpx.AsyncClient, world: World
) -> None:
    await register(client, world, identifier=PHONE)
    choose = await forgot(client, PHONE)
    assert no_access_link(choose) == "I no longer have access to this phone number"
    r = await client.post(
        "/password/forgot/choose", data={"csrf": csrf_of(choose.text), "choice": "0:sms"}
    )
    code = await client.get(r.headers["location"])
    assert "Enter OTP" in code.text
    assert no_access_link(code) == "I no longer have access to this phone number"
    resent = await client.post(
        "/password/forgot/code", data={"csrf": csrf_of(code.text), "action": "resend"}
    )
    assert no_access_link(resent) == "I no longer have access to this phone number"


async def test_the_no_access_link_names_both_when_both_are_on_file(
    client: httpx.AsyncClient, world: World
) -> None:
    await register(client, world)
    assert no_access_link(await forgot(client, ANA)) == "I no longer have access to this email"
    ident = world.deps.identifiers.parse(ANA, "US")
    async with world.deps.uow() as uow:
        found = await uow.accounts.find("us", ident)
        assert found is not None
        await uow.accounts.update("us", found.id, phone=PHONE, phone_verified=True)
        await uow.commit()
    both = "I no longer have access to this phone number/email"  # PRODUCT.md's own label
    assert no_access_link(await forgot(client, ANA)) == both


async def test_an_unknown_address_names_what_its_decoy_shows(
    client: httpx.AsyncClient, world: World
) -> None:
    one, two = unknown_with(world, 1), unknown_with(world, 2)
    assert no_access_link(await forgot(client, one)) == "I no longer have access to this email"
    both = "I no longer have access to this phone number/email"
    assert no_access_link(await forgot(client, two)) == both


def test_every_reason_has_words_on_the_confirm_page() -> None:
    from entryway.core.lockout import Unusual
    from entryway.web.pages.auth import confirm_intro

    texts = {confirm_intro(reason) for reason in Unusual}
    assert len(texts) == len(Unusual)
    assert confirm_intro(None) == (
        "Your password was right, but we don't recognise this device, so we need to check it's you."
    )


async def add_phone(client: httpx.AsyncClient, world: World, phone: str) -> httpx.Response:
    r = await submit(client, "/account/phone", "/account/phone", {"identifier": phone})
    assert r.status_code == 303 and r.headers["location"] == "/account/phone/verify", r.text
    code = await world.code(phone)
    return await submit(client, "/account/phone/verify", "/account/phone/verify", {"code": code})


def status_notice(page: httpx.Response) -> str:
    text = words(page)
    start = text.index('<p class="notice" role="status">') + len('<p class="notice" role="status">')
    return text[start : text.index("</p>", start)]


async def test_a_first_mobile_number_is_added_then_changed(
    client: httpx.AsyncClient, world: World
) -> None:
    await register(client, world)
    r = await add_phone(client, world, "+12015550188")
    assert r.status_code == 303 and r.headers["location"] == "/account?done=phone_added"
    assert status_notice(await client.get(r.headers["location"])) == (
        "Your mobile number was added."
    )
    r = await add_phone(client, world, "+12015550199")  # one replaces it: that is a change
    assert r.headers["location"] == "/account?done=phone"
    assert status_notice(await client.get(r.headers["location"])) == (
        "Your mobile number was updated."
    )
    await world.deliver()
    center = (await client.get("/account/messages")).text  # the links work from there too
    for path in ("/password/forgot", "/help/contact"):
        assert f'<a href="http://us.localhost:8000{path}">' in center


async def test_a_first_email_is_added(client: httpx.AsyncClient, world: World) -> None:
    await register(client, world, identifier=PHONE)
    r = await submit(client, "/account/email", "/account/email", {"identifier": ANA})
    assert r.status_code == 303
    code = await world.code(ANA)
    r = await submit(client, "/account/email/verify", "/account/email/verify", {"code": code})
    assert r.headers["location"] == "/account?done=email_added"
    assert status_notice(await client.get(r.headers["location"])) == (
        "Your email address was added."
    )
