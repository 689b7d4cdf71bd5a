"""The foundation journey over HTTP: create, verify, sign in, Login & security, sign out."""

from __future__ import annotations

import re

import httpx

from tests.conftest import World
from tests.web.helpers import csrf_of, register, sign_in, submit


async def test_create_verify_sign_in_and_out(client: httpx.AsyncClient, world: World) -> None:
    done = await register(client, world)
    assert done.status_code == 303 and done.headers["location"] == "/account"
    page = await client.get("/account")
    assert page.status_code == 200
    assert "Login &amp; security" in page.text and "ana@example.com" in page.text
    assert "Account verified" in page.text

    out = await submit(client, "/account", "/signout", {})
    assert out.status_code == 303
    assert (await client.get("/account")).status_code == 303

    r = await sign_in(client, "ANA@Example.com", "quiet-meadow-lantern")
    assert r.status_code == 303 and r.headers["location"] == "/account"
    assert (await client.get("/account")).status_code == 200


async def test_wrong_password_shows_generic_failure_and_other_sites(
    client: httpx.AsyncClient, world: World
) -> None:
    await register(client, world)
    await submit(client, "/account", "/signout", {})
    r = await sign_in(client, "ana@example.com", "not-the-password")
    assert r.status_code == 200
    assert "couldn&#39;t sign you in" in r.text
    assert "http://uk.localhost:8000/signin" in r.text
    assert "http://ca.localhost:8000/signin" in r.text


async def test_sign_out_everywhere_and_one_device_from_the_page(
    client: httpx.AsyncClient, world: World
) -> None:
    await register(client, world)
    other = httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url))
    async with other:
        assert (await sign_in(other, "ana@example.com", "quiet-meadow-lantern")).status_code == 303
        page = await client.get("/account")
        assert page.text.count("Sign out this device") == 2
        ids = re.findall(r'action="/account/devices/([^/]+)/sign-out"', page.text)
        current = re.search(r'data-current="([^"]+)"', page.text)
        assert current is not None
        target = next(i for i in ids if i != current.group(1))
        r = await client.post(
            f"/account/devices/{target}/sign-out", data={"csrf": csrf_of(page.text)}
        )
        assert r.status_code == 303 and r.headers["location"] == "/account?done=device"
        assert (await other.get("/account")).status_code == 303
        assert (await sign_in(other, "ana@example.com", "quiet-meadow-lantern")).status_code == 303
        r = await submit(client, "/account", "/account/sign-out-everywhere", {})
        assert r.status_code == 303 and r.headers["location"] == "/signin?signed_out=everywhere"
        assert (await client.get("/account")).status_code == 303
        assert (await other.get("/account")).status_code == 303
