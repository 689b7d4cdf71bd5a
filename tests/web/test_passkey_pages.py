"""The passkey pages over HTTP: the ceremonies' options only for our own page (CSRF), the
ceremony's token in a cookie, a passkey sign-in that opens a session, and the page's
refusal in its own words."""

from __future__ import annotations

import httpx

from tests.conftest import World
from tests.passkey_device import Device
from tests.web.helpers import csrf_of, register

US = ("us.localhost", "http://us.localhost:8000")


async def _add(client: httpx.AsyncClient, device: Device) -> None:
    page = await client.get("/account/passkeys")
    assert page.status_code == 200 and 'id="passkey-add" hidden' in page.text
    csrf = csrf_of(page.text)
    options = await client.post("/account/passkeys/options", data={"csrf": csrf})
    assert options.status_code == 200 and options.headers["cache-control"] == "no-store"
    r = await client.post(
        "/account/passkeys",
        data={"csrf": csrf, "credential": device.create(options.text), "name": "Laptop"},
    )
    assert r.status_code == 303 and r.headers["location"] == "/account/passkeys?done=added"


async def test_a_passkey_added_on_the_page_signs_in_on_the_page(
    client: httpx.AsyncClient, world: World
) -> None:
    await register(client, world)
    device = Device(*US)
    await _add(client, device)
    assert "Laptop" in (await client.get("/account/passkeys")).text
    await client.post("/signout", data={"csrf": csrf_of((await client.get("/account")).text)})
    form = await client.get("/signin")
    assert (
        'id="passkey-sign-in" hidden' in form.text
        and 'autocomplete="username webauthn"' in form.text
    )
    csrf = csrf_of(form.text)
    assert (await client.post("/signin/passkey/options")).status_code == 403  # no CSRF token
    options = await client.post("/signin/passkey/options", data={"csrf": csrf})
    answer = device.get(options.text)
    done = await client.post("/signin/passkey", data={"csrf": csrf, "credential": answer})
    assert done.status_code == 303 and done.headers["location"] == "/account"
    assert (await client.get("/account")).status_code == 200
    # The same answer again is refused on the sign-in page, in words.
    await client.post("/signout", data={"csrf": csrf_of((await client.get("/account")).text)})
    csrf = csrf_of((await client.get("/signin")).text)
    again = await client.post("/signin/passkey", data={"csrf": csrf, "credential": answer})
    assert again.status_code == 422 and 'id="passkey-error"' in again.text


async def test_adding_needs_a_recent_password_and_removing_too(
    client: httpx.AsyncClient, world: World
) -> None:
    await register(client, world)
    await _add(client, Device(*US))
    world.clock.advance(minutes=11)
    csrf = csrf_of((await client.get("/account/passkeys")).text)
    late = await client.post("/account/passkeys/options", data={"csrf": csrf})
    assert late.status_code == 403 and late.json() == {"reauth": "/account/passkeys/confirm"}
    confirm = await client.get("/account/passkeys/confirm")
    assert confirm.status_code == 200 and 'name="password"' in confirm.text
    page = await client.get("/account/passkeys")
    action = page.text.split('action="/account/passkeys/')[1].split('"')[0]
    asked = await client.post(f"/account/passkeys/{action}", data={"csrf": csrf})
    assert asked.status_code == 200 and "password" in asked.text.lower()  # confirm it first
    assert "Laptop" in (await client.get("/account/passkeys")).text
