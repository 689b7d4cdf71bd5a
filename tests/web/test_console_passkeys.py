"""Console passkeys over HTTP: Your passkeys adds one (with the console's CSRF), the
console's sign-in page signs in with it, and the customer sites know nothing of it."""

from __future__ import annotations

import httpx

from entryway.flows.staff import accounts
from tests.flows.staff_helpers import CONSOLE, STAFF_PW, enrolled
from tests.passkey_device import Device, ceremony
from tests.web.helpers import csrf_of
from tests.web.test_console import Hosts, console_sign_in, hosts

__all__ = ["hosts"]  # the fixture, shared

HERE = ("console.localhost", "http://console.localhost:8000")


async def _add(hosts: Hosts, device: Device) -> None:
    page = await hosts.console.get("/passkeys")
    assert page.status_code == 200 and 'id="passkey-add"' in page.text
    assert "You have no passkeys yet." in page.text
    csrf = csrf_of(page.text)
    assert (await hosts.console.post("/passkeys/options")).status_code == 403  # no CSRF
    wrong = await hosts.console.post("/passkeys/options", data={"csrf": csrf, "password": "not-it"})
    assert wrong.status_code == 422 and wrong.json() == {"message": "That password isn't right."}
    options = await hosts.console.post(
        "/passkeys/options", data={"csrf": csrf, "password": STAFF_PW}
    )
    assert options.status_code == 200
    flow, asked = ceremony(options)
    r = await hosts.console.post(
        "/passkeys",
        data={
            "csrf": csrf,
            "flow": flow,
            "credential": device.create(asked),
            "name": "Key",
        },
    )
    assert r.status_code == 303 and r.headers["location"] == "/passkeys?done=added"


async def test_a_staff_passkey_added_on_the_console_signs_in_there(hosts: Hosts) -> None:
    member = await enrolled(hosts.world)
    await console_sign_in(hosts, member.email, member.key)
    home = await hosts.console.get("/")
    assert 'href="/passkeys"' in home.text
    device = Device(*HERE)
    await _add(hosts, device)
    listed = await hosts.console.get("/passkeys?done=added")
    assert "Your passkey was added." in listed.text and "Key" in listed.text
    await hosts.console.post("/signout", data={"csrf": csrf_of(listed.text)})
    assert (await hosts.console.get("/")).status_code == 303

    form = await hosts.console.get("/signin")
    assert 'id="passkey-sign-in"' in form.text and 'autocomplete="username webauthn"' in form.text
    csrf = csrf_of(form.text)
    flow, asked = ceremony(await hosts.console.post("/signin/passkey/options", data={"csrf": csrf}))
    wrong = device.get(asked, verified=False)
    r = await hosts.console.post(
        "/signin/passkey", data={"csrf": csrf, "flow": flow, "credential": wrong}
    )
    assert r.status_code == 422 and 'id="passkey-error"' in r.text
    flow, asked = ceremony(await hosts.console.post("/signin/passkey/options", data={"csrf": csrf}))
    r = await hosts.console.post(
        "/signin/passkey", data={"csrf": csrf, "flow": flow, "credential": device.get(asked)}
    )
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert (await hosts.console.get("/")).status_code == 200

    # Removed on the same page.
    page = await hosts.console.get("/passkeys")
    action = page.text.split('action="/passkeys/')[1].split('"')[0]
    r = await hosts.console.post(f"/passkeys/{action}", data={"csrf": csrf_of(page.text)})
    assert r.status_code == 303 and r.headers["location"] == "/passkeys?done=removed"
    assert "You have no passkeys yet." in (await hosts.console.get("/passkeys")).text


async def test_adding_later_than_ten_minutes_asks_to_sign_in_again(hosts: Hosts) -> None:
    member = await enrolled(hosts.world)
    await console_sign_in(hosts, member.email, member.key)
    hosts.world.clock.advance(minutes=11)
    await hosts.console.get("/")  # the session stays alive (idle deadline moves)
    hosts.world.clock.advance(minutes=1)
    page = await hosts.console.get("/passkeys")
    assert page.status_code == 200 and 'id="passkey-sign-in-again"' in page.text
    assert 'id="passkey-add"' not in page.text
    r = await hosts.console.post(
        "/passkeys/options", data={"csrf": csrf_of(page.text), "password": STAFF_PW}
    )
    assert r.status_code == 403 and r.json() == {"reauth": "/passkeys"}


async def test_the_customer_site_has_no_console_passkey_routes(hosts: Hosts) -> None:
    """The console's ceremonies answer only on the console's host."""
    form = await hosts.site.get("/signin")
    r = await hosts.site.post("/passkeys/options", data={"csrf": csrf_of(form.text)})
    assert r.status_code == 404


async def test_a_reset_member_has_no_passkeys_left(hosts: Hosts) -> None:
    member = await enrolled(hosts.world)
    await console_sign_in(hosts, member.email, member.key)
    await _add(hosts, Device(*HERE))
    await accounts.reset(hosts.world.deps, member.email, "http://console.localhost:8000")
    async with hosts.world.deps.uow() as uow:
        assert await uow.staff_passkeys.for_account("_staff", member.staff_id) == []


async def test_a_sign_in_ceremony_answers_only_the_browser_that_asked(hosts: Hosts) -> None:
    """The token travels in the page, but the challenge is bound to the browser's HttpOnly
    CSRF cookie too: carried to another browser, it is spent for nothing."""
    member = await enrolled(hosts.world)
    await console_sign_in(hosts, member.email, member.key)
    device = Device(*HERE)
    await _add(hosts, device)
    page = await hosts.console.get("/passkeys")
    await hosts.console.post("/signout", data={"csrf": csrf_of(page.text)})
    csrf = csrf_of((await hosts.console.get("/signin")).text)
    flow, asked = ceremony(await hosts.console.post("/signin/passkey/options", data={"csrf": csrf}))
    answer = device.get(asked)
    elsewhere = httpx.AsyncClient(transport=hosts.console._transport, base_url=CONSOLE)
    async with elsewhere:
        their_csrf = csrf_of((await elsewhere.get("/signin")).text)
        r = await elsewhere.post(
            "/signin/passkey", data={"csrf": their_csrf, "flow": flow, "credential": answer}
        )
        assert r.status_code == 410 and 'id="passkey-error"' in r.text
        assert (await elsewhere.get("/")).status_code == 303  # not signed in
