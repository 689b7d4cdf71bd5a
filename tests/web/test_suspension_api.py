"""The suspension notice over the JSON API: 403 ``account_suspended`` with the notice token
from every endpoint that finishes a sign-in, the statement, the appeal, the site binding,
the notice token from a finished reset, and the OpenAPI document saying all of it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from entryway.core import totp
from tests.conftest import World
from tests.web.test_security_cases import make_account
from tests.web.test_suspension_pages import FACTS, appeal_link, suspend, world_with_reasons

PW = "quiet-meadow-lantern"
NEW = "harbour-lights-at-dusk"
ANA = "ana@example.com"
UK = "http://uk.localhost:8000"
NOTICE_URL = "http://us.localhost:8000/suspension"


@pytest.fixture
async def world(database_url: tuple[str, str | None]) -> AsyncIterator[World]:
    made = world_with_reasons(*database_url)
    yield made
    await made.runtime.close()


def refused(r: httpx.Response) -> str:
    """Check a 403 ``account_suspended`` answer; its notice token."""
    assert r.status_code == 403, r.text
    error = r.json()["error"]
    assert error["code"] == "account_suspended"
    assert error["message"] == "Your account is suspended."
    assert error["notice_url"] == NOTICE_URL and error["field"] is None
    assert "session_token" not in r.text and "partial_token" not in r.text
    token = error["notice_token"]
    assert isinstance(token, str) and len(token) >= 22
    return token


async def test_sign_in_answers_403_with_the_notice_and_the_notice_shows(
    client: httpx.AsyncClient, world: World
) -> None:
    await make_account(world, ANA)
    await suspend(world, ANA)
    token = refused(await client.post("/api/v1/sign-in", json={"identifier": ANA, "password": PW}))
    r = await client.post("/api/v1/suspension/notice", json={"notice_token": token})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["measure"] == "suspension" and body["scope"] == "account"
    assert body["reason_code"] == "payment_fraud" and body["terms_section"] == "7.1"
    assert body["title"] == "Payments we could not accept"
    assert body["facts"] == FACTS and body["automated"] is True
    assert body["until"] is None and body["applies"] is True and body["lifted_at"] is None
    assert body["can_appeal"] is True and body["why_not"] is None and body["appeal_until"]
    assert body["appeals"] == [] and "account_id" not in body
    bad = await client.post("/api/v1/suspension/notice", json={"notice_token": "x" * 43})
    assert bad.status_code == 410 and bad.json()["error"]["code"] == "flow_expired"
    uk = await client.post(UK + "/api/v1/suspension/notice", json={"notice_token": token})
    assert uk.status_code == 410  # a token of one site is unknown to another (SECURITY.md 28)


async def test_appeal_through_the_api(client: httpx.AsyncClient, world: World) -> None:
    await make_account(world, ANA)
    await suspend(world, ANA)
    token = refused(await client.post("/api/v1/sign-in", json={"identifier": ANA, "password": PW}))
    empty = await client.post("/api/v1/suspension/appeal", json={"notice_token": token, "text": ""})
    assert empty.status_code == 422
    too_long = await client.post(
        "/api/v1/suspension/appeal", json={"notice_token": token, "text": "x" * 4001}
    )
    assert too_long.status_code == 422 and too_long.json()["error"]["field"] == "text"
    r = await client.post(
        "/api/v1/suspension/appeal",
        json={"notice_token": token, "text": "Those orders were mine."},
    )
    assert r.status_code == 201, r.text
    assert r.json()["number"] == 1 and r.json()["case_number"]
    again = await client.post(
        "/api/v1/suspension/appeal", json={"notice_token": token, "text": "And again."}
    )
    assert again.status_code == 409
    shown = (await client.post("/api/v1/suspension/notice", json={"notice_token": token})).json()
    assert shown["can_appeal"] is False and "with our team" in shown["why_not"]
    assert [(a["number"], a["state"]) for a in shown["appeals"]] == [(1, "open")]
    assert shown["appeals"][0]["case_number"] == r.json()["case_number"]


async def test_emailed_link_token_is_not_a_notice_token(
    client: httpx.AsyncClient, world: World
) -> None:
    """The link's own token must go through its landing page; only view tokens open the
    notice in the API."""
    await make_account(world, ANA)
    await suspend(world, ANA)
    link_token = (await appeal_link(world, ANA)).rpartition("=")[2]
    r = await client.post("/api/v1/suspension/notice", json={"notice_token": link_token})
    assert r.status_code == 410


async def test_second_step_answers_403_after_the_code(
    client: httpx.AsyncClient, world: World
) -> None:
    r = await client.post(
        "/api/v1/registrations",
        json={"name": "Ana", "identifier": ANA, "password": PW, "password_again": PW},
    )
    r = await client.post(
        "/api/v1/registrations/verify",
        json={"flow_id": r.json()["flow_id"], "code": await world.code(ANA)},
    )
    auth = {"authorization": f"Bearer {r.json()['session_token']}"}
    r = await client.post("/api/v1/account/two-step/apps", headers=auth)
    key = totp.parse_key(r.json()["key"])
    r = await client.post(
        "/api/v1/account/two-step/apps/verify",
        headers=auth,
        json={
            "factor_id": r.json()["factor_id"],
            "code": totp.totp(key, totp.step_at(world.clock.now())),
        },
    )
    assert r.status_code == 200
    await suspend(world, ANA)
    assert (await client.get("/api/v1/session", headers=auth)).status_code == 401  # ended
    world.clock.advance(seconds=60)

    r = await client.post("/api/v1/sign-in", json={"identifier": ANA, "password": PW})
    assert r.status_code == 200 and r.json()["next"] == "two_step"  # asked as usual
    partial = {"authorization": f"Bearer {r.json()['partial_token']}"}
    r = await client.post(
        "/api/v1/sign-in/two-step",
        headers=partial,
        json={"code": totp.totp(key, totp.step_at(world.clock.now()))},
    )
    token = refused(r)
    assert (await client.get("/api/v1/session", headers=partial)).status_code == 401
    r = await client.post("/api/v1/suspension/notice", json={"notice_token": token})
    assert r.status_code == 200 and r.json()["facts"] == FACTS


@pytest.fixture
async def wary_world(database_url: tuple[str, str | None]) -> AsyncIterator[World]:
    made = world_with_reasons(*database_url, lock_after_failures=5, unusual_after_failures=2)
    yield made
    await made.runtime.close()


async def test_unusual_confirm_answers_403_after_the_code(wary_world: World) -> None:
    from entryway.bootstrap import app_for

    world = wary_world
    transport = httpx.ASGITransport(
        app=app_for(world.runtime, deliver=False), client=("203.0.113.7", 51000)
    )
    async with httpx.AsyncClient(
        transport=transport, base_url="http://us.localhost:8000"
    ) as client:
        await make_account(world, ANA)
        await suspend(world, ANA)
        for _ in range(2):
            wrong = await client.post(
                "/api/v1/sign-in", json={"identifier": ANA, "password": "wrong-guess-123"}
            )
            assert wrong.status_code == 401
        r = await client.post("/api/v1/sign-in", json={"identifier": ANA, "password": PW})
        assert r.status_code == 200 and r.json()["next"] == "confirm"
        r = await client.post(
            "/api/v1/sign-in/confirm",
            json={"flow_id": r.json()["flow_id"], "code": await world.code(ANA)},
        )
        refused(r)


async def test_reset_of_a_suspended_account_answers_with_a_notice_token(
    client: httpx.AsyncClient, world: World
) -> None:
    await make_account(world, ANA)
    await suspend(world, ANA)
    r = await client.post("/api/v1/password-resets", json={"identifier": ANA})
    flow = r.json()["flow_id"]
    r = await client.post(
        "/api/v1/password-resets/verify", json={"flow_id": flow, "code": await world.code(ANA)}
    )
    assert r.json()["next"] == "verified"
    r = await client.post(
        "/api/v1/password-resets/complete",
        json={"flow_id": flow, "password": NEW, "password_again": NEW},
    )
    assert r.status_code == 200, r.text
    assert r.json()["notice_url"] == NOTICE_URL
    shown = await client.post(
        "/api/v1/suspension/notice", json={"notice_token": r.json()["notice_token"]}
    )
    assert shown.status_code == 200 and shown.json()["facts"] == FACTS
    refused(await client.post("/api/v1/sign-in", json={"identifier": ANA, "password": NEW}))


async def test_openapi_describes_the_suspension(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    paths = spec["paths"]
    assert {"/api/v1/suspension/notice", "/api/v1/suspension/appeal"} <= set(paths)
    assert "201" in paths["/api/v1/suspension/appeal"]["post"]["responses"]
    for path in ("/api/v1/sign-in", "/api/v1/sign-in/two-step", "/api/v1/sign-in/confirm"):
        answer = paths[path]["post"]["responses"]["403"]
        ref = answer["content"]["application/json"]["schema"]["$ref"]
        # A password sign-in may also meet a closed account: its 403 is either error.
        shape = "/RefusedOut" if path == "/api/v1/sign-in" else "/SuspendedOut"
        assert ref.endswith(shape), path
        assert "account_suspended" in answer["description"]
    detail = spec["components"]["schemas"]["SuspendedDetail"]
    assert {"code", "message", "field", "notice_token", "notice_url"} <= set(detail["properties"])
    for path in (
        "/api/v1/password-resets/complete",
        "/api/v1/unlocks/complete",
        "/api/v1/recovery/finish",
    ):
        answers = paths[path]["post"]["responses"]
        assert "204" in answers and "200" in answers, path
