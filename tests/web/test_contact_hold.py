"""The hold after a recovery reaches the customer: the JSON API answers 409
``contacts_on_hold`` and the page shows when the hold ends beside the field."""

from __future__ import annotations

import html
from datetime import timedelta

import httpx

from entryway.core.identifiers import Identifier, IdentifierKind
from tests.conftest import World
from tests.web.helpers import register, submit
from tests.web.test_api import api_account


async def hold(world: World, identifier: str) -> None:
    """Put the hold a completed recovery leaves on the account of ``identifier``."""
    async with world.deps.uow() as uow:
        found = await uow.accounts.find("us", Identifier(IdentifierKind.EMAIL, identifier))
        assert found is not None
        await uow.accounts.update(
            "us", found.id, contacts_fixed_until=world.clock.now() + timedelta(hours=26)
        )
        await uow.commit()


async def test_api_answers_409_while_contacts_are_held(
    client: httpx.AsyncClient, world: World
) -> None:
    auth = await api_account(client, world)
    await hold(world, "ana@example.com")
    for path, value in (("email", "ana.new@example.org"), ("phone", "201 555 0123")):
        r = await client.post(f"/api/v1/account/{path}", headers=auth, json={"identifier": value})
        assert r.status_code == 409, r.text
        error = r.json()["error"]
        assert (
            error["code"] == "contacts_on_hold" and "16 Jan 2026, 9:00 AM EST" in error["message"]
        )


async def test_page_says_when_the_hold_ends(client: httpx.AsyncClient, world: World) -> None:
    await register(client, world)
    await hold(world, "ana@example.com")
    r = await submit(client, "/account/email", "/account/email", {"identifier": "x@example.org"})
    assert r.status_code == 422
    assert "16 Jan 2026, 9:00 AM EST" in html.unescape(r.text)
