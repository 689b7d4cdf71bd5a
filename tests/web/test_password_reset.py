"""Password assistance over HTTP: pages and API, enumeration, host poisoning, skipping steps."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.conftest import World
from tests.web.helpers import csrf_of, register, sign_in, submit
from tests.web.test_security_cases import make_account, scrub

PW = "quiet-meadow-lantern"
NEW = "harbour-lights-at-dusk"


async def test_reset_journey_through_the_pages(client: httpx.AsyncClient, world: World) -> None:
    await register(client, world)
    other = await client.get("/account")
    assert other.status_code == 200
    r = await submit(
        client, "/password/forgot", "/password/forgot", {"identifier": "ana@example.com"}
    )
    assert r.status_code == 303 and r.headers["location"] == "/password/forgot/code"
    assert "ew_reset" in r.cookies and "ew_reset" not in r.headers["location"]
    page = await client.get("/password/forgot/code")
    assert "a***@example.com" in page.text and "Resend OTP" in page.text
    assert ">I no longer have access to this email</a>" in page.text  # no phone on file
    assert (await client.get("/password/new")).headers["location"] == "/password/forgot"
    r = await client.post(
        "/password/forgot/code",
        data={"csrf": csrf_of(page.text), "code": await world.code("ana@example.com")},
    )
    assert r.headers["location"] == "/password/new"
    r = await submit(
        client, "/password/new", "/password/new", {"password": NEW, "password_again": NEW}
    )
    assert r.status_code == 303 and r.headers["location"] == "/signin/password?reset=done"
    assert "every device was signed out" in (await client.get(r.headers["location"])).text
    assert (await client.get("/account")).status_code == 303  # this session ended too
    assert (await sign_in(client, "ana@example.com", NEW)).headers["location"] == "/account"


def unknown_with(world: World, contacts: int) -> str:
    """An unknown address whose decoy shows ``contacts`` contacts (decoys vary, like accounts)."""
    from entryway.core.identifiers import Identifier, IdentifierKind
    from entryway.flows.recovery.password_reset import _contacts

    for i in range(100):
        email = f"nobody{i}@example.com"
        ident = Identifier(IdentifierKind.EMAIL, email)
        if len(_contacts(world.deps, None, ident)) == contacts:
            return email
    raise AssertionError("no such decoy in 100 tries")


async def test_security_04_reset_answers_the_same_for_known_and_unknown(
    client: httpx.AsyncClient, world: World
) -> None:
    await make_account(world, "known@example.com")
    seen = []
    for ident in ("known@example.com", unknown_with(world, 1)):
        client.cookies.clear()
        r = await submit(client, "/password/forgot", "/password/forgot", {"identifier": ident})
        step = await client.get(r.headers["location"])
        wrong = await client.post(
            r.headers["location"], data={"csrf": csrf_of(step.text), "code": "000000"}
        )
        masked = ident[0] + "***@example.com"
        seen.append(
            (
                r.status_code,
                r.headers["location"],
                scrub(step.text).replace(masked, "M"),
                wrong.status_code,
                scrub(wrong.text).replace(masked, "M"),
            )
        )
        api = await client.post("/api/v1/password-resets", json={"identifier": ident})
        seen.append(
            (
                api.status_code,
                {k: v for k, v in api.json().items() if k not in ("flow_id", "sent_to")},
            )
        )
    assert seen[0] == seen[2] and seen[1] == seen[3]


async def test_security_04_unknown_addresses_sometimes_offer_a_phone_too(
    client: httpx.AsyncClient, world: World
) -> None:
    """Real accounts with an email and a phone get a choice page; so do some unknown
    addresses, always the same ones, so the choice page alone proves nothing."""
    ident = unknown_with(world, 2)
    for _ in range(2):
        r = await submit(client, "/password/forgot", "/password/forgot", {"identifier": ident})
        assert r.headers["location"] == "/password/forgot/choose"
        page = await client.get(r.headers["location"])
        assert re.findall(r'value="(\d:\w+)"', page.text) == ["0:email", "1:sms", "1:voice"]
    r = await client.post(
        "/password/forgot/choose", data={"csrf": csrf_of(page.text), "choice": "1:sms"}
    )
    assert r.headers["location"] == "/password/forgot/code"
    assert await world.deliver() == 0


@pytest.mark.parametrize(
    "headers",
    [
        {"x-forwarded-host": "evil.example"},
        {"forwarded": "host=evil.example;proto=https"},
        {
            "x-forwarded-host": "evil.example",
            "x-forwarded-proto": "https",
            "x-original-url": "http://evil.example/",
        },
    ],
)
async def test_security_12_host_headers_never_reach_a_message(
    client: httpx.AsyncClient, world: World, headers: dict[str, str]
) -> None:
    await make_account(world, "ana@example.com")
    r = await submit(
        client,
        "/password/forgot",
        "/password/forgot",
        {"identifier": "ana@example.com"},
        headers=headers,
    )
    assert r.status_code == 303
    page = await client.get("/password/forgot/code", headers=headers)
    await client.post(
        "/password/forgot/code",
        headers=headers,
        data={"csrf": csrf_of(page.text), "code": await world.code("ana@example.com")},
    )
    await submit(
        client,
        "/password/new",
        "/password/new",
        {"password": NEW, "password_again": NEW},
        headers=headers,
    )
    await world.deliver()
    bodies = " ".join(m.body for m in world.mailer.sent)
    assert "evil" not in bodies and "http://us.localhost:8000/" in bodies
    assert (
        await client.get("/password/forgot", headers={"host": "evil.example"})
    ).status_code == 400


async def test_reset_forms_need_csrf(client: httpx.AsyncClient, world: World) -> None:
    await client.get("/password/forgot")
    for path in (
        "/password/forgot",
        "/password/forgot/choose",
        "/password/forgot/code",
        "/password/new",
    ):
        r = await client.post(path, data={"identifier": "ana@example.com", "code": "123456"})
        assert r.status_code == 403, path


async def test_security_13_choice_is_by_index_among_masked_stored_contacts(
    client: httpx.AsyncClient, world: World
) -> None:
    await register(client, world, identifier="+12015550123")
    r = await submit(client, "/account/email", "/account/email", {"identifier": "ana@example.com"})
    page = await client.get(r.headers["location"])
    await client.post(
        r.headers["location"],
        data={"csrf": csrf_of(page.text), "code": await world.code("ana@example.com")},
    )
    client.cookies.clear()
    r = await submit(client, "/password/forgot", "/password/forgot", {"identifier": "201 555 0123"})
    assert r.headers["location"] == "/password/forgot/choose"
    page = await client.get("/password/forgot/choose")
    assert re.findall(r'value="(\d:\w+)"', page.text) == ["0:email", "1:sms", "1:voice"]
    assert "a***@example.com" in page.text and "•••-•••-0123" in page.text
    assert "ana@example.com" not in page.text and "5550123" not in page.text
    r = await client.post(
        "/password/forgot/choose", data={"csrf": csrf_of(page.text), "choice": "1:sms"}
    )
    assert r.headers["location"] == "/password/forgot/code"
    code_page = await client.get("/password/forgot/code")
    assert "texted" in code_page.text
    await world.deliver()
    assert world.texter.sent[-1].to == "+12015550123"


async def test_api_reset_journey(client: httpx.AsyncClient, world: World) -> None:
    await make_account(world, "ana@example.com")
    r = await client.post("/api/v1/password-resets", json={"identifier": "ana@example.com"})
    assert r.status_code == 202 and r.json()["next"] == "code"
    flow = r.json()["flow_id"]
    r = await client.post(
        "/api/v1/password-resets/complete",
        json={"flow_id": flow, "password": NEW, "password_again": NEW},
    )
    assert r.status_code == 410
    r = await client.post(
        "/api/v1/password-resets/verify",
        json={"flow_id": flow, "code": await world.code("ana@example.com")},
    )
    assert r.status_code == 200 and r.json()["next"] == "verified"
    r = await client.post(
        "/api/v1/password-resets/complete",
        json={"flow_id": flow, "password": NEW, "password_again": NEW},
    )
    assert r.status_code == 204
    r = await client.post(
        "/api/v1/sign-in", json={"identifier": "ana@example.com", "password": NEW}
    )
    assert r.status_code == 200
    spec = (await client.get("/openapi.json")).json()
    assert {
        "/api/v1/password-resets",
        "/api/v1/password-resets/choose",
        "/api/v1/password-resets/verify",
        "/api/v1/password-resets/complete",
        "/api/v1/password-resets/resend",
    } <= set(spec["paths"])


async def test_security_13_api_refuses_typed_or_multiple_destinations(
    client: httpx.AsyncClient, world: World
) -> None:
    await make_account(world, "ana@example.com")
    for body in (
        {"identifier": ["ana@example.com", "eve@example.com"]},
        {"identifier": "ana@example.com,eve@example.com"},
    ):
        assert (await client.post("/api/v1/password-resets", json=body)).status_code == 422
    r = await client.post("/api/v1/password-resets", json={"identifier": "ana@example.com"})
    flow = r.json()["flow_id"]
    for choice in (
        {"index": 1, "channel": "email"},
        {"index": -1, "channel": "email"},
        {"index": 0, "channel": "email", "to": "eve@example.com"},
    ):
        r = await client.post("/api/v1/password-resets/choose", json={"flow_id": flow, **choice})
        assert r.status_code in (410, 422)
    await world.deliver()
    assert {m.to for m in world.mailer.sent} == {"ana@example.com"}


async def test_security_15_reset_urls_carry_no_token_and_pages_are_not_stored(
    client: httpx.AsyncClient, world: World
) -> None:
    await make_account(world, "ana@example.com")
    r = await submit(
        client, "/password/forgot", "/password/forgot", {"identifier": "ana@example.com"}
    )
    token = r.cookies["ew_reset"]
    for path in ("/password/forgot", r.headers["location"]):
        page = await client.get(path)
        assert token not in page.text and token not in str(page.url)
        assert page.headers["cache-control"] == "no-store"
        assert page.headers["referrer-policy"] == "no-referrer"


async def test_security_24_no_session_survives_a_reset(
    client: httpx.AsyncClient, world: World
) -> None:
    done = await register(client, world)
    before = done.cookies["ew_session"]
    r = await submit(
        client, "/password/forgot", "/password/forgot", {"identifier": "ana@example.com"}
    )
    page = await client.get(r.headers["location"])
    await client.post(
        r.headers["location"],
        data={"csrf": csrf_of(page.text), "code": await world.code("ana@example.com")},
    )
    await submit(client, "/password/new", "/password/new", {"password": NEW, "password_again": NEW})
    assert (await client.get("/account")).status_code == 303
    after = (await sign_in(client, "ana@example.com", NEW)).cookies["ew_session"]
    assert after != before


async def test_security_28_reset_flow_from_one_site_is_refused_on_another(
    client: httpx.AsyncClient, world: World
) -> None:
    await make_account(world, "ana@example.com", site="us")
    await make_account(world, "ana@example.com", site="uk")
    r = await client.post("/api/v1/password-resets", json={"identifier": "ana@example.com"})
    flow = r.json()["flow_id"]
    code = await world.code("ana@example.com")
    r = await client.post(
        "/api/v1/password-resets/verify",
        headers={"host": "uk.localhost:8000"},
        json={"flow_id": flow, "code": code},
    )
    assert r.status_code == 410
