"""What every page gets right: who is signed in, times, the password page, links and icons."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest
from pydantic import ValidationError

from entryway.adapters.clock import FrozenClock
from entryway.adapters.mail import MemoryMailer
from entryway.adapters.sms import MemoryTexter
from entryway.bootstrap import app_for, build
from entryway.core.sites import Site
from entryway.settings import Settings, demo_sites
from entryway.web.formatting import linkify
from entryway.web.formatting import when as written
from tests.conftest import World
from tests.conftest import test_settings as settings_for
from tests.web.helpers import csrf_of, register, sign_in, submit

PW = "quiet-meadow-lantern"
US, UK, CA = demo_sites(8000)


def header(html: str) -> str:
    found = re.search(r'<header class="top">(.*?)</header>', html, re.S)
    assert found, "page has no header"
    return found.group(1)


async def test_the_header_names_the_customer_on_every_page(
    client: httpx.AsyncClient, world: World
) -> None:
    await register(client, world)
    for path in ("/", "/help", "/help/sign-in", "/help/no-access", "/no-such-page"):
        r = await client.get(path)
        top = header(r.text)
        assert "Ana Lopez" in top and "Sign out" in top, path
        assert ">Sign in<" not in top, path
    missing = await client.get("/no-such-page")
    assert missing.status_code == 404 and 'href="/signin">sign in' not in missing.text
    assert 'href="/account">Login &amp; security' in missing.text

    await submit(client, "/account", "/signout", {})
    for path in ("/help/sign-in", "/no-such-page"):
        top = header((await client.get(path)).text)
        assert ">Sign in<" in top and "Ana Lopez" not in top, path


def test_times_are_written_in_the_sites_zone() -> None:
    def when(value: datetime, site: Site) -> str:
        return written(value, site).replace("\u00a0", " ")

    moment = datetime(2026, 12, 1, 21, 5, tzinfo=UTC)
    assert when(moment, US) == "1 Dec 2026, 4:05 PM EST"
    assert when(moment, CA) == "1 Dec 2026, 4:05 PM EST"
    assert when(moment, UK) == "1 Dec 2026, 21:05 GMT"
    assert when(datetime(2026, 7, 1, 9, 30, tzinfo=UTC), UK) == "1 Jul 2026, 10:30 BST"
    assert when(datetime(2026, 7, 1, 9, 30), US) == "1 Jul 2026, 5:30 AM EDT"  # naive is UTC
    plain = Site(code="xx", name="X", base_url="https://x.example")
    assert plain.timezone == "UTC" and when(moment, plain) == "1 Dec 2026, 9:05 PM UTC"
    lima = Site(code="pe", name="Peru", base_url="https://pe.example", timezone="America/Lima")
    assert when(moment, lima) == "1 Dec 2026, 4:05 PM UTC-05"  # no abbreviation: the offset


@pytest.mark.parametrize("zone", ["Mars/Base", "", "../etc/passwd", "America"])
def test_an_unknown_time_zone_refuses_to_start(zone: str) -> None:
    with pytest.raises(ValueError, match="timezone must be an IANA"):
        Site(code="us", name="US", base_url="https://us.example", timezone=zone)
    with pytest.raises(ValidationError, match="timezone"):
        Settings(
            sites=[{"code": "us", "name": "US", "base_url": "https://us.example", "timezone": zone}]
        )


async def test_account_times_show_the_zone_not_utc(client: httpx.AsyncClient, world: World) -> None:
    await register(client, world)
    page = await client.get("/account")
    assert "15\u00a0Jan\u00a02026, 7:00\u00a0AM\u00a0EST" in page.text  # the clock's noon UTC
    assert "UTC" not in page.text


async def test_password_page_carries_the_identifier_for_password_managers(
    client: httpx.AsyncClient, world: World
) -> None:
    await register(client, world)
    await submit(client, "/account", "/signout", {})
    await submit(client, "/signin", "/signin", {"identifier": "ana@example.com"})
    page = await client.get("/signin/password")
    form = page.text[page.text.index('action="/signin/password"') :]
    username = re.search(r"<input [^>]*autocomplete=\"username\"[^>]*>", form)
    assert username, "no username field in the password form"
    assert 'value="ana@example.com"' in username.group(0)
    assert 'type="text"' in username.group(0) and "readonly" in username.group(0)
    assert 'tabindex="-1"' in username.group(0)
    assert form.index("username") < form.index('type="password"')


async def test_a_locked_account_gets_no_password_box(database_url: tuple[str, str | None]) -> None:
    url, schema = database_url
    runtime = build(
        settings_for(url, lock_after_failures=3, delay_after_failures=50),
        clock=FrozenClock(),
        mailer=MemoryMailer(),
        texter=MemoryTexter(),
        schema=schema,
    )
    transport = httpx.ASGITransport(app=app_for(runtime, deliver=False), client=("203.0.113.7", 1))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://us.localhost:8000") as c:
            for _ in range(3):
                await sign_in(c, "nobody@example.com", "wrong-guess-123")
            locked = await sign_in(c, "nobody@example.com", "wrong-guess-123")
            assert "Your account is locked" in locked.text
            assert 'type="password"' not in locked.text and ">Sign in</button>" not in locked.text
            assert locked.text.count("Forgot your password?") == 1
            assert 'href="/signin' in locked.text  # the way to another identifier stays
    finally:
        await runtime.close()


async def test_verify_page_leads_back_to_correct_the_address(
    client: httpx.AsyncClient, world: World
) -> None:
    r = await submit(
        client,
        "/register",
        "/register",
        {"name": "Ana", "identifier": "ana@exmaple.com", "password": PW, "password_again": PW},
    )
    assert r.headers["location"] == "/register/verify"
    page = await client.get("/register/verify")
    assert 'href="/register?correct=1">Wrong email address or mobile number?' in page.text
    back = await client.get("/register?correct=1")
    assert 'value="ana@exmaple.com"' in back.text and 'value="Ana"' in back.text
    assert PW not in back.text  # the password is typed again, never kept
    assert 'value="ana@exmaple.com"' not in (await client.get("/register")).text


async def test_a_resend_redirects_so_a_reload_sends_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    await submit(
        client,
        "/register",
        "/register",
        {"name": "Ana", "identifier": "ana@example.com", "password": PW, "password_again": PW},
    )
    r = await submit(client, "/register/verify", "/register/verify", {"action": "resend"})
    assert r.status_code == 303 and r.headers["location"] == "/register/verify?resent=1"
    await world.deliver()
    sent = len(world.mailer.sent)
    for _ in range(2):  # the page after the redirect, and a reload of it
        page = await client.get(r.headers["location"])
        assert "We sent a new OTP to" in page.text
    await world.deliver()
    assert len(world.mailer.sent) == sent == 2


async def test_first_app_is_unnumbered_after_abandoned_set_ups(
    client: httpx.AsyncClient, world: World
) -> None:
    from tests.web.test_two_step import turn_on

    await register(client, world)
    for _ in range(2):  # set-ups started and left
        assert (await client.get("/account/two-step/app")).status_code == 200
    await turn_on(client, world)
    settings = await client.get("/account/two-step")
    assert "<strong>Authenticator app</strong>" in settings.text
    assert "Authenticator app 1" not in settings.text
    assert "Authenticator app 2" not in settings.text


def test_later_apps_take_the_lowest_free_number() -> None:
    from entryway.flows.account.two_step import app_label

    assert app_label([]) == "Authenticator app"
    assert app_label(["Phone •••-•••-0147"]) == "Authenticator app"
    assert app_label(["Authenticator app"]) == "Authenticator app 2"
    assert app_label(["Authenticator app", "Authenticator app 2"]) == "Authenticator app 3"
    assert app_label(["Authenticator app", "Authenticator app 3"]) == "Authenticator app 2"
    assert app_label(["Authenticator app 2"]) == "Authenticator app"  # the first was removed
    # Names given before the first lost its number still count as taken.
    assert app_label(["Authenticator app 1", "Authenticator app"]) == "Authenticator app 2"


async def test_backup_codes_are_shown_once_after_a_redirect(
    client: httpx.AsyncClient, world: World
) -> None:
    from tests.web.test_two_step import turn_on

    await register(client, world)
    await turn_on(client, world)
    again = await client.get("/account/two-step/backup-codes")  # a reload of the codes page
    assert again.status_code == 303 and again.headers["location"] == "/account/two-step"

    page = await client.get("/account/two-step")
    r = await client.post("/account/two-step/backup-codes", data={"csrf": csrf_of(page.text)})
    assert r.status_code == 303 and "<code>" not in r.text
    carried = r.cookies.get("ew_once")
    assert carried
    other = httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url))
    async with other:  # the same cookie in another session shows nothing
        await sign_in(other, "ana@example.com", PW)
        other.cookies.set("ew_once", carried, domain="us.localhost")
        stolen = await other.get("/account/two-step/backup-codes")
        assert stolen.status_code == 303 and "<code>" not in stolen.text
    shown = await client.get("/account/two-step/backup-codes")
    codes = re.findall(r"<li><code>([0-9a-z-]+)</code></li>", shown.text)
    assert len(codes) == 10
    assert not any(code in carried for code in codes)  # sealed, not plain
    assert "ew_once" in shown.headers.get("set-cookie", "")  # deleted as it is shown
    world.clock.advance(minutes=10)
    client.cookies.set("ew_once", carried, domain="us.localhost")  # replayed later: expired
    assert (await client.get("/account/two-step/backup-codes")).status_code == 303


async def test_adding_a_phone_redirects_so_a_reload_texts_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    await register(client, world)
    page = await client.get("/account/two-step/phone")
    r = await client.post(
        "/account/two-step/phone",
        data={"csrf": csrf_of(page.text), "identifier": "201 555 0147", "channel": "sms"},
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/account/two-step/phone/verify?channel=sms"
    await world.deliver()
    for _ in range(2):
        code_page = await client.get(r.headers["location"])
        assert "•••-•••-0147" in code_page.text and "Enter OTP" in code_page.text
    await world.deliver()
    assert len(world.texter.sent) == 1


async def test_first_phone_is_added_not_changed(client: httpx.AsyncClient, world: World) -> None:
    await register(client, world)
    phone = await client.get("/account/phone")
    assert "<h1>Add a mobile phone number</h1>" in phone.text and "Change" not in phone.text
    email = await client.get("/account/email")
    assert "<h1>Change your email address</h1>" in email.text


def test_message_links_only_to_the_sites_own_origin() -> None:
    origin = "http://us.localhost:8000"
    text = (
        f"Sign in at {origin}/signin. Or {origin}/account/messages, "
        f"not {origin}.evil.example/x nor {origin}@evil.example nor https://evil.example/a "
        f"nor {origin}/unlock?token=hidden <script>alert(1)</script> & more"
    )
    html = str(linkify(text, origin))
    assert f'<a href="{origin}/signin">{origin}/signin</a>.' in html
    assert f'<a href="{origin}/account/messages">' in html
    assert html.count("<a ") == 2
    assert "&lt;script&gt;" in html and "<script>" not in html and "&amp; more" in html
    assert str(linkify(f'{origin}/a?b=1&c="x"', origin)).startswith(
        f'<a href="{origin}/a?b=1&amp;c=">'
    )


async def test_message_center_links_are_real_links(client: httpx.AsyncClient, world: World) -> None:
    await register(client, world)
    await submit(
        client,
        "/account/password",
        "/account/password",
        {
            "current_password": PW,
            "password": "harbour-lights-at-dusk",
            "password_again": "harbour-lights-at-dusk",
        },
    )
    page = await client.get("/account/messages")
    assert '<a href="http://us.localhost:8000/' in page.text


async def test_favicon_and_the_footers_help_links(client: httpx.AsyncClient) -> None:
    icon = await client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert (await client.get("/static/favicon.svg")).status_code == 200
    home = await client.get("/")
    assert 'rel="icon" href="/static/favicon.svg"' in home.text
    assert 'Need more help? <a href="/help/ask">Ask us</a>.' in home.text
    assert 'href="/help">Help center<' in home.text
    assert "Contact us" not in home.text
    assert "orders" not in home.text  # no promise of what does not exist
    contact = await client.get("/help/contact")  # messages still link it
    assert contact.status_code == 303 and contact.headers["location"] == "/help/ask"


async def test_account_pages_have_fixed_paths_that_swallow_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    await register(client, world)
    assert (await client.get("/account/email")).status_code == 200
    assert (await client.get("/account/phone")).status_code == 200
    r = await client.get("/account/anything")
    assert r.status_code == 404 and "find that page" in r.text
    r = await client.post("/account/anything", data={"identifier": "x@example.com"})
    assert r.status_code == 404


async def test_second_step_page_offers_the_ways_out_of_its_one_method(
    client: httpx.AsyncClient, world: World
) -> None:
    from tests.web.test_two_step import turn_on

    await register(client, world)
    await turn_on(client, world)
    await submit(client, "/account", "/signout", {})
    await sign_in(client, "ana@example.com", PW)
    challenge = (await client.get("/signin/two-step")).text
    assert 'Can\'t use your authenticator app? <a href="/signin/two-step/methods">' in challenge
    assert '>Use a backup method</a>, or <a href="/signin/two-step/help">' in challenge
    assert ">contact Customer Service</a>." in challenge
    assert "any of these" not in challenge  # only the methods page lists several
    backup = (await client.get("/signin/two-step?method=backup")).text
    assert "No backup code at hand?" in backup and "any of these" not in backup
    assert ">Choose another method</a>, or" in backup
    methods = (await client.get("/signin/two-step/methods")).text
    assert "Can't use any of these?" in methods


async def test_phone_code_page_leads_back_to_correct_the_number(
    client: httpx.AsyncClient, world: World
) -> None:
    await register(client, world)
    page = await client.get("/account/two-step/phone")
    r = await client.post(
        "/account/two-step/phone",
        data={"csrf": csrf_of(page.text), "identifier": "201 555 0174", "channel": "sms"},
    )
    code_page = await client.get(r.headers["location"])
    assert 'href="/account/two-step/phone">Wrong number? Go back and correct it</a>' in (
        code_page.text
    )
    back = await client.get("/account/two-step/phone")
    assert back.status_code == 200 and "Mobile phone number" in back.text


async def test_sign_out_everywhere_says_so_on_the_sign_in_page(
    client: httpx.AsyncClient, world: World
) -> None:
    await register(client, world)
    r = await submit(client, "/account", "/account/sign-out-everywhere", {})
    assert r.status_code == 303 and r.headers["location"] == "/signin?signed_out=everywhere"
    landed = await client.get(r.headers["location"])
    assert "You're signed out on every device." in landed.text
    assert "every device" not in (await client.get("/signin")).text
    assert "every device" not in (await client.get("/signin?signed_out=1")).text


async def test_signed_in_customers_skip_the_sign_in_and_register_forms(
    client: httpx.AsyncClient, world: World
) -> None:
    await register(client, world)
    for path, landing in (
        ("/signin", "/account"),
        ("/register", "/account"),
        ("/signin?return_to=%2Faccount%2Ftwo-step", "/account/two-step"),
        ("/signin?return_to=https%3A%2F%2Fevil.example%2F", "/account"),  # only this site
        ("/signin?unlocked=new", "/account"),
    ):
        r = await client.get(path)
        assert r.status_code == 303 and r.headers["location"] == landing, path
    await submit(client, "/account", "/signout", {})
    for path in ("/signin", "/register", "/signin?return_to=%2Faccount"):
        assert (await client.get(path)).status_code == 200, path


async def test_an_unlock_ends_at_the_password_step_in_the_browser_that_was_locked(
    database_url: tuple[str, str | None],
) -> None:
    from tests.web.test_lockout import unlock_link

    url, schema = database_url
    clock, mailer, texter = FrozenClock(), MemoryMailer(), MemoryTexter()
    settings = settings_for(url, lock_after_failures=3, delay_after_failures=50)
    runtime = build(settings, clock=clock, mailer=mailer, texter=texter, schema=schema)
    world = World(runtime=runtime, clock=clock, mailer=mailer, texter=texter)
    transport = httpx.ASGITransport(app=app_for(runtime, deliver=False), client=("203.0.113.7", 1))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://us.localhost:8000") as c:
            await register(c, world)
            await submit(c, "/account", "/signout", {})
            for _ in range(3):  # locked on the password page: this browser keeps the identifier
                locked = await sign_in(c, "ana@example.com", "wrong-guess-123")
            assert "Your account is locked" in locked.text
            link = await unlock_link(world)
            await c.get(link.removeprefix("http://us.localhost:8000"))
            await submit(c, "/unlock/choose", "/unlock/choose", {"choice": "0:email"})
            code = await world.code("ana@example.com")
            await submit(c, "/unlock/code", "/unlock/code", {"code": code})
            new = "harbour-lights-at-dusk"
            done = await submit(
                c, "/unlock/new", "/unlock/new", {"password": new, "password_again": new}
            )
            assert done.headers["location"] == "/signin/password?unlocked=new"
            landed = await c.get(done.headers["location"])
            assert "Your account is unlocked" in landed.text
            assert 'value="ana@example.com"' in landed.text  # filled in, as after a reset
            signed = await c.post(
                "/signin/password", data={"csrf": csrf_of(landed.text), "password": new}
            )
            assert signed.headers["location"] == "/account"
            await submit(c, "/account", "/signout", {})
            c.cookies.clear()  # another browser (the email read elsewhere): no identifier
            bare = await c.get("/signin/password?unlocked=new")
            assert bare.headers["location"] == "/signin?unlocked=new"
            assert "Your account is unlocked" in (await c.get(bare.headers["location"])).text
    finally:
        await runtime.close()
