"""The JSON API answers errors in the request's language: ``Accept-Language`` among the
site's locales. Codes and fields never change; only ``message`` is translated."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from entryway.bootstrap import app_for
from entryway.core.identifiers import Identifier, IdentifierKind
from entryway.settings import demo_sites
from tests.conftest import World
from tests.web.test_api import PW

FRENCH = {"accept-language": "fr-CA,fr;q=0.9,en;q=0.5"}


@pytest.fixture
async def canada(world: World) -> AsyncIterator[httpx.AsyncClient]:
    """A client on the Canada site (English and French)."""
    app = app_for(world.runtime, deliver=False)
    origin = next(s.origin for s in demo_sites(8000) if s.code == "ca")
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 51000))
    async with httpx.AsyncClient(transport=transport, base_url=origin) as client:
        yield client


async def test_a_flow_error_in_french(canada: httpx.AsyncClient) -> None:
    body = {"name": "Ana", "identifier": "nope", "password": PW, "password_again": PW}
    r = await canada.post("/api/v1/registrations", json=body, headers=FRENCH)
    assert r.status_code == 422
    assert r.json()["error"] == {
        "code": "invalid_identifier",
        "message": "Entrez une adresse courriel ou un numéro de cellulaire valide.",
        "field": "identifier",
    }
    assert r.headers["content-language"] == "fr-CA"
    english = await canada.post("/api/v1/registrations", json=body)
    assert english.json()["error"]["message"] == (
        "Enter a valid email address or mobile phone number."
    )
    assert english.headers["content-language"] == "en-CA"


async def test_password_reasons_translate_with_their_numbers(canada: httpx.AsyncClient) -> None:
    body = {"name": "Ana", "identifier": "ana@example.com", "password": "short"}
    r = await canada.post(
        "/api/v1/registrations", json=body | {"password_again": "short"}, headers=FRENCH
    )
    assert r.json()["error"]["code"] == "password_rejected"
    assert r.json()["error"]["message"] == "Utilisez au moins 8 caractères."


async def test_validation_and_http_errors_in_french(canada: httpx.AsyncClient) -> None:
    r = await canada.post("/api/v1/registrations", json={"name": "Ana"}, headers=FRENCH)
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "invalid_input" and error["field"] == "identifier"
    assert error["message"] == "identifier\u00a0: Ce champ est obligatoire."
    r = await canada.post(
        "/api/v1/registrations", content=b"{", headers=FRENCH | {"content-type": "application/json"}
    )
    assert r.json()["error"] == {
        "code": "malformed_request",
        "message": "Le corps de la requête n’est pas du JSON lisible.",
        "field": None,
    }
    r = await canada.get("/api/v1/nothing-here", headers=FRENCH)
    assert r.status_code == 404
    assert r.json()["error"]["message"] == "Introuvable."


async def test_a_hold_says_its_end_as_french_readers_write_it(
    canada: httpx.AsyncClient, world: World
) -> None:
    r = await canada.post(
        "/api/v1/registrations",
        json={
            "name": "Ana Lopez",
            "identifier": "ana@example.com",
            "password": PW,
            "password_again": PW,
        },
    )
    flow = r.json()["flow_id"]
    r = await canada.post(
        "/api/v1/registrations/verify",
        json={"flow_id": flow, "code": await world.code("ana@example.com")},
    )
    auth = {"authorization": f"Bearer {r.json()['session_token']}"}
    async with world.deps.uow() as uow:
        found = await uow.accounts.find("ca", Identifier(IdentifierKind.EMAIL, "ana@example.com"))
        assert found is not None
        await uow.accounts.update(
            "ca", found.id, contacts_fixed_until=world.clock.now() + timedelta(hours=26)
        )
        await uow.commit()
    r = await canada.post(
        "/api/v1/account/email", headers=auth | FRENCH, json={"identifier": "x@example.org"}
    )
    assert r.status_code == 409
    message = r.json()["error"]["message"]
    assert message.startswith("Votre compte a été récupéré récemment")
    assert "16\u00a0janv.\u00a02026, 09\u00a0h\u00a000\u00a0HNE" in message, message
