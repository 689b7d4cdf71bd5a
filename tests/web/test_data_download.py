"""Download your data over HTTP: the page, its button, the password asked again when the
last one is old, and the JSON API (SECURITY.md 25: a POST with its CSRF token)."""

from __future__ import annotations

import json

import httpx

from tests.conftest import World
from tests.web.helpers import csrf_of, register, submit
from tests.web.test_api import PW, api_account


async def test_the_page_downloads_a_file_after_a_recent_password(
    client: httpx.AsyncClient, world: World
) -> None:
    await register(client, world)
    account_page = await client.get("/account")
    assert 'href="/account/data"' in account_page.text
    page = await client.get("/account/data")
    assert page.status_code == 200 and "What it leaves out" in page.text
    refused = await client.post("/account/data", data={"csrf": "forged"})
    assert refused.status_code == 403  # no CSRF token, no file
    got = await client.post("/account/data", data={"csrf": csrf_of(page.text)})
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/json"
    assert got.headers["content-disposition"].startswith('attachment; filename="account-data-us-')
    assert got.headers["cache-control"] == "no-store"
    document = json.loads(got.text)
    assert document["account"]["email"] == "ana@example.com"
    world.clock.advance(seconds=11 * 60)  # the password given at sign-up is old now
    again = await submit(client, "/account/data", "/account/data", {})
    assert again.status_code == 200 and "before downloading your data" in again.text
    confirmed = await client.post(
        "/account/reauth",
        data={"csrf": csrf_of(again.text), "back": "/account/data", "password": PW},
    )
    assert confirmed.status_code == 303 and confirmed.headers["location"] == "/account/data"
    after = await submit(client, "/account/data", "/account/data", {})
    assert after.headers["content-disposition"].startswith("attachment;")
    activity = await client.get("/account")
    assert "Your data downloaded" in activity.text


async def test_the_api_gives_the_same_document(client: httpx.AsyncClient, world: World) -> None:
    auth = await api_account(client, world)
    got = await client.get("/api/v1/account/data", headers=auth)
    assert got.status_code == 200, got.text
    assert got.json()["account"]["name"] == "Ana Lopez"
    assert (await client.get("/api/v1/account/data")).status_code == 401
    world.clock.advance(seconds=11 * 60)
    old = await client.get("/api/v1/account/data", headers=auth)
    assert old.status_code == 403 and old.json()["error"]["code"] == "forbidden"
    spec = (await client.get("/openapi.json")).json()
    assert set(spec["paths"]["/api/v1/account/data"]["get"]["responses"]) >= {"200", "401", "403"}
