"""The foundation journey over HTTP: create, verify, sign in, Login & security, sign out."""

from __future__ import annotations

import httpx

from tests.conftest import World
from tests.web.helpers import register, sign_in, submit


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
