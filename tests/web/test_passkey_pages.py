"""The passkey pages over HTTP: the ceremonies' options only for our own page (CSRF), the
ceremony's token in a cookie, a passkey sign-in that opens a session, and the page's
refusal in its own words."""

from __future__ import annotations

import httpx

from tests.conftest import World
from tests.passkey_device import Device, ceremony
from tests.web.helpers import csrf_of, register, sign_in, submit
from tests.web.test_two_step import PW, turn_on

US = ("us.localhost", "http://us.localhost:8000")


async def _add(client: httpx.AsyncClient, device: Device) -> None:
    page = await client.get("/account/passkeys")
    assert page.status_code == 200 and 'id="passkey-add" hidden' in page.text
    csrf = csrf_of(page.text)
    options = await client.post("/account/passkeys/options", data={"csrf": csrf})
    assert options.status_code == 200
    flow, asked = ceremony(options)
    r = await client.post(
        "/account/passkeys",
        data={"csrf": csrf, "flow": flow, "credential": device.create(asked), "name": "Laptop"},
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
    flow, asked = ceremony(await client.post("/signin/passkey/options", data={"csrf": csrf}))
    answer = device.get(asked)
    done = await client.post(
        "/signin/passkey", data={"csrf": csrf, "flow": flow, "credential": answer}
    )
    assert done.status_code == 303 and done.headers["location"] == "/account"
    assert (await client.get("/account")).status_code == 200
    # The same answer again is refused on the sign-in page, in words.
    await client.post("/signout", data={"csrf": csrf_of((await client.get("/account")).text)})
    csrf = csrf_of((await client.get("/signin")).text)
    again = await client.post(
        "/signin/passkey", data={"csrf": csrf, "flow": flow, "credential": answer}
    )
    assert again.status_code == 410 and 'id="passkey-error"' in again.text


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


async def test_a_passkey_passes_the_second_step_on_the_pages(
    client: httpx.AsyncClient, world: World
) -> None:
    await register(client, world)
    device = Device(*US)
    await _add(client, device)
    await turn_on(client, world)
    await submit(client, "/account", "/signout", {})
    world.clock.advance(seconds=60)
    await sign_in(client, "ana@example.com", PW)
    page = await client.get("/signin/two-step")
    # Offered beside the code, hidden until script shows the browser can use it.
    assert 'id="passkey-second-step" hidden' in page.text and "Enter OTP" in page.text
    methods = await client.get("/signin/two-step/methods")
    assert 'id="passkey-method" hidden' in methods.text and "Use a passkey" in methods.text
    own = await client.get("/signin/two-step?method=passkey")
    assert own.status_code == 200 and 'id="passkey-unsupported"' in own.text
    csrf = csrf_of(own.text)
    assert (await client.post("/signin/two-step/passkey/options")).status_code == 403  # CSRF
    options = await client.post("/signin/two-step/passkey/options", data={"csrf": csrf})
    assert options.status_code == 200
    flow, asked = ceremony(options)
    wrong = device.get(asked, verified=False)
    r = await client.post(
        "/signin/two-step/passkey",
        data={"csrf": csrf, "flow": flow, "credential": wrong, "method": "passkey"},
    )
    assert r.status_code == 422 and "check that passkey" in r.text
    flow, asked = ceremony(
        await client.post("/signin/two-step/passkey/options", data={"csrf": csrf})
    )
    r = await client.post(
        "/signin/two-step/passkey",
        data={"csrf": csrf, "flow": flow, "credential": device.get(asked), "method": "passkey"},
    )
    assert r.status_code == 303 and r.headers["location"] == "/account"
    assert (await client.get("/account")).status_code == 200


async def test_without_a_partial_session_the_passkey_step_sends_to_sign_in(
    client: httpx.AsyncClient,
) -> None:
    csrf = csrf_of((await client.get("/signin")).text)
    r = await client.post("/signin/two-step/passkey/options", data={"csrf": csrf})
    assert r.status_code == 401 and r.json() == {"reauth": "/signin"}
    r = await client.post("/signin/two-step/passkey", data={"csrf": csrf, "credential": "{}"})
    assert r.status_code == 303 and r.headers["location"] == "/signin"


async def test_a_passkey_is_renamed_on_its_own_page(
    client: httpx.AsyncClient, world: World
) -> None:
    await register(client, world)
    await _add(client, Device(*US))
    listed = await client.get("/account/passkeys")
    href = listed.text.split('href="/account/passkeys/')[1].split('"')[0]
    assert href.endswith("/rename")
    form = await client.get(f"/account/passkeys/{href}")
    assert form.status_code == 200 and 'value="Laptop"' in form.text
    csrf = csrf_of(form.text)
    empty = await client.post(f"/account/passkeys/{href}", data={"csrf": csrf, "name": "  "})
    assert empty.status_code == 422 and "Enter a name for this passkey." in empty.text
    r = await client.post(f"/account/passkeys/{href}", data={"csrf": csrf, "name": "Work laptop"})
    assert r.status_code == 303 and r.headers["location"] == "/account/passkeys?done=renamed"
    page = await client.get(r.headers["location"])
    assert "Work laptop" in page.text and "Your passkey was renamed." in page.text
    gone = await client.get("/account/passkeys/nothing-here/rename")
    assert gone.status_code == 303 and gone.headers["location"] == "/account/passkeys"


async def test_a_sign_in_ceremony_answers_only_the_browser_that_asked(
    client: httpx.AsyncClient, world: World
) -> None:
    """The ceremony's token travels in the page; the challenge is also bound to the
    browser's HttpOnly CSRF cookie, so script that carries both off gets nothing."""
    await register(client, world)
    device = Device(*US)
    await _add(client, device)
    await client.post("/signout", data={"csrf": csrf_of((await client.get("/account")).text)})
    csrf = csrf_of((await client.get("/signin")).text)
    flow, asked = ceremony(await client.post("/signin/passkey/options", data={"csrf": csrf}))
    answer = device.get(asked)
    async with httpx.AsyncClient(
        transport=client._transport, base_url="http://us.localhost:8000"
    ) as elsewhere:
        theirs = csrf_of((await elsewhere.get("/signin")).text)
        r = await elsewhere.post(
            "/signin/passkey", data={"csrf": theirs, "flow": flow, "credential": answer}
        )
        assert r.status_code == 410 and 'id="passkey-error"' in r.text
        assert (await elsewhere.get("/account")).status_code == 303


async def test_the_options_say_why_in_words(client: httpx.AsyncClient, world: World) -> None:
    """Too many passkeys, and no passkey at the second step: JSON with the sentence the
    page shows (static/passkeys.js), not a silent failure."""
    await register(client, world)
    for _ in range(20):
        await _add(client, Device(*US))
    csrf = csrf_of((await client.get("/account/passkeys")).text)
    r = await client.post("/account/passkeys/options", data={"csrf": csrf})
    assert r.status_code == 422 and "the most an account can have" in r.json()["message"]
