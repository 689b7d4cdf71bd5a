"""An account's language: taken from the request at registration, changed on Login &
security, by the footer's choice or the JSON API, and every API answer says its language."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from entryway.bootstrap import app_for
from entryway.core.identifiers import Identifier, IdentifierKind
from tests.conftest import World
from tests.web.helpers import csrf_of, register, submit
from tests.web.test_api import PW, api_account

FRENCH = {"accept-language": "fr-CA,fr;q=0.9,en;q=0.5"}


@pytest.fixture
async def ca(world: World) -> AsyncIterator[httpx.AsyncClient]:
    """A client on the Canada site (English and French)."""
    transport = httpx.ASGITransport(app=app_for(world.runtime, deliver=False))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://ca.localhost:8000", follow_redirects=False
    ) as c:
        yield c


async def stored_locale(world: World, site: str, email: str) -> str:
    async with world.deps.uow() as uow:
        account = await uow.accounts.find(site, Identifier(IdentifierKind.EMAIL, email))
    assert account is not None
    return account.locale


async def api_register(
    client: httpx.AsyncClient, world: World, headers: dict[str, str]
) -> dict[str, str]:
    r = await client.post(
        "/api/v1/registrations",
        json={"name": "Zoé", "identifier": "zoe@example.com", "password": PW, "password_again": PW},
        headers=headers,
    )
    assert r.status_code == 202, r.text
    assert r.headers["content-language"] == headers.get("accept-language", "en-CA")[:5]
    code = await world.code("zoe@example.com")
    r = await client.post(
        "/api/v1/registrations/verify", json={"flow_id": r.json()["flow_id"], "code": code}
    )
    assert r.status_code == 200, r.text
    return {"authorization": f"Bearer {r.json()['session_token']}"}


async def test_api_registration_keeps_the_request_language(
    ca: httpx.AsyncClient, world: World
) -> None:
    auth = await api_register(ca, world, FRENCH)
    assert await stored_locale(world, "ca", "zoe@example.com") == "fr-CA"
    me = await ca.get("/api/v1/account", headers=auth)
    assert me.json()["locale"] == "fr-CA"
    assert me.headers["content-language"] == "en-CA"  # this request asked for no language


async def test_api_sets_the_language_among_the_site_s_locales(
    ca: httpx.AsyncClient, world: World
) -> None:
    auth = await api_register(ca, world, {})
    assert (await ca.get("/api/v1/account", headers=auth)).json()["locale"] == "en-CA"
    r = await ca.put("/api/v1/account/language", json={"locale": "fr-CA"}, headers=auth)
    assert r.status_code == 204
    assert (await ca.get("/api/v1/account", headers=auth)).json()["locale"] == "fr-CA"
    activity = (await ca.get("/api/v1/account/activity", headers=auth)).json()
    assert activity[0]["action"] == "account.language_changed"
    for wrong in ("en-US", "de-DE", "fr", ""):
        r = await ca.put("/api/v1/account/language", json={"locale": wrong}, headers=auth)
        assert r.status_code == 422, wrong
        assert r.json()["error"]["field"] == "locale"
    assert await stored_locale(world, "ca", "zoe@example.com") == "fr-CA"


async def test_us_site_offers_no_french(client: httpx.AsyncClient, world: World) -> None:
    auth = await api_account(client, world)
    r = await client.put("/api/v1/account/language", json={"locale": "fr-CA"}, headers=auth)
    assert r.status_code == 422
    assert (await client.get("/api/v1/account", headers=auth)).json()["locale"] == "en-US"


async def test_every_api_answer_says_its_language(ca: httpx.AsyncClient) -> None:
    for method, path in (
        ("GET", "/api/v1/account"),  # 401
        ("GET", "/api/v1/no-such-route"),  # 404
        ("POST", "/api/v1/sign-in/identifier"),  # 422, no body
    ):
        r = await ca.request(method, path, headers=FRENCH)
        assert r.status_code >= 400
        assert r.headers["content-language"] == "fr-CA", path
        assert r.headers["vary"] == "Accept-Language, Cookie", path
        r = await ca.request(method, path, headers={"accept-language": "en-GB,en;q=0.8"})
        assert r.headers["content-language"] == "en-CA", path
    ca.cookies.set("ew_lang", "fr-CA")  # the footer's choice counts for the API as well
    r = await ca.get("/api/v1/account", headers={"accept-language": "en"})
    assert r.headers["content-language"] == "fr-CA"


async def test_pages_registration_and_the_footer_choice(
    ca: httpx.AsyncClient, world: World
) -> None:
    ca.headers.update(FRENCH)
    r = await register(ca, world, identifier="zoe@example.com")
    assert r.status_code == 303, r.text
    assert await stored_locale(world, "ca", "zoe@example.com") == "fr-CA"
    page = await ca.get("/account")
    assert page.status_code == 200
    assert 'id="language-heading">Langue<' in page.text and "Français" in page.text
    assert 'aria-label="Choisir comme langue\u00a0: English"' in page.text
    assert 'name="lang" value="en-CA"' in page.text  # the other language, to change to
    r = await ca.post(
        "/language", data={"csrf": csrf_of(page.text), "lang": "en-CA", "back": "/account"}
    )
    assert r.status_code == 303 and r.headers["location"] == "/account"
    assert await stored_locale(world, "ca", "zoe@example.com") == "en-CA"
    page = await ca.get("/account")
    assert page.headers["content-language"] == "en-CA"
    assert 'id="language-heading">Language<' in page.text
    assert 'name="lang" value="fr-CA"' in page.text and "English" in page.text


async def test_footer_choice_signed_out_changes_no_account(
    ca: httpx.AsyncClient, world: World
) -> None:
    r = await submit(ca, "/signin", "/language", {"lang": "fr-CA", "back": "/signin"})
    assert r.status_code == 303
    assert (await ca.get("/signin")).headers["content-language"] == "fr-CA"


async def test_the_language_choice_comes_back_to_the_same_page_and_query(
    ca: httpx.AsyncClient,
) -> None:
    """A sign-in started for a page (or an app) keeps where it was going; a token never
    rides along, and every page says which request headers its language depends on."""
    page = await ca.get("/signin?return_to=/account/messages&token=secret123")
    assert 'name="back" value="/signin?return_to=%2Faccount%2Fmessages"' in page.text
    assert "secret123" not in page.text.split('name="back"')[1].split(">")[0]
    assert page.headers["vary"] == "Accept-Language, Cookie"
    back = page.text.split('name="back" value="')[1].split('"')[0]
    r = await ca.post("/language", data={"csrf": csrf_of(page.text), "lang": "fr-CA", "back": back})
    assert r.status_code == 303
    assert r.headers["location"] == "/signin?return_to=%2Faccount%2Fmessages"
