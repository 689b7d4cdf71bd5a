"""Lockout over HTTP: the pages and the JSON API share one set of counters and locks
(SECURITY.md 1, 2, 6, 9, 12, 15), with a tight policy so tests stay short."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest

from entryway.adapters.clock import FrozenClock
from entryway.adapters.mail import MemoryMailer
from entryway.adapters.sms import MemoryTexter
from entryway.bootstrap import app_for, build
from entryway.core.throttle import FailureScope, window_start
from entryway.flows.ports import Requester
from entryway.flows.signin import lockout
from tests.conftest import World
from tests.conftest import test_settings as settings_for
from tests.web.helpers import csrf_of, register, sign_in, submit
from tests.web.test_security_cases import scrub

PW = "quiet-meadow-lantern"
NEW = "harbour-lights-at-dusk"
ANA = "ana@example.com"
PEER = "203.0.113.7"  # the address the test transport connects from


@pytest.fixture
async def world(database_url: tuple[str, str | None]) -> AsyncIterator[World]:
    """Locks after three failures; no progressive delay unless a test moves the clock."""
    url, schema = database_url
    clock, mailer, texter = FrozenClock(), MemoryMailer(), MemoryTexter()
    settings = settings_for(
        url, lock_after_failures=3, delay_after_failures=50, unusual_after_failures=2
    )
    runtime = build(settings, clock=clock, mailer=mailer, texter=texter, schema=schema)
    yield World(runtime=runtime, clock=clock, mailer=mailer, texter=texter)
    await runtime.close()


def new_client(world: World, peer: str = PEER) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app_for(world.runtime, deliver=False), client=(peer, 51000))
    return httpx.AsyncClient(
        transport=transport, base_url="http://us.localhost:8000", follow_redirects=False
    )


@pytest.fixture
async def client(world: World) -> AsyncIterator[httpx.AsyncClient]:
    async with new_client(world) as c:
        yield c


async def api_sign_in(client: httpx.AsyncClient, password: str, ident: str = ANA) -> httpx.Response:
    return await client.post("/api/v1/sign-in", json={"identifier": ident, "password": password})


async def lock_over_api(client: httpx.AsyncClient, ident: str = ANA) -> None:
    answers = [(await api_sign_in(client, "wrong-guess-123", ident)).status_code for _ in range(3)]
    assert answers == [401, 401, 423]


async def unlock_link(world: World) -> str:
    await world.deliver()
    for message in reversed(world.mailer.sent):
        found = re.search(r"(http\S+/unlock\?token=[A-Za-z0-9_-]+)", message.body)
        if message.to == ANA and found:
            return found.group(1)
    raise AssertionError("no unlock link was sent")


async def test_security_02_locked_page_is_the_same_for_accounts_and_unknowns(
    client: httpx.AsyncClient, world: World
) -> None:
    await register(client, world)
    pages = {}
    for ident in (ANA, "nobody@example.com"):
        client.cookies.clear()
        answers = [await sign_in(client, ident, "wrong-guess-123") for _ in range(3)]
        assert "Your account is locked" not in answers[1].text
        right = await sign_in(client, ident, PW)
        assert "Your account is locked" in right.text and "Unlock your account" in right.text
        wrong = await sign_in(client, ident, "another-wrong-1")
        assert scrub(right.text) == scrub(wrong.text)  # the password typed changes nothing
        pages[ident] = scrub(right.text).replace(ident, "IDENT")
    assert pages[ANA] == pages["nobody@example.com"]


async def test_security_01_identifier_step_is_unchanged_by_a_lock(
    client: httpx.AsyncClient, world: World
) -> None:
    await register(client, world)
    client.cookies.clear()
    await lock_over_api(client)
    answers = []
    for ident in (ANA, "nobody@example.com"):
        client.cookies.clear()
        r = await submit(client, "/signin", "/signin", {"identifier": ident})
        page = await client.get(r.headers["location"])
        api = await client.post("/api/v1/sign-in/identifier", json={"identifier": ident})
        answers.append((r.status_code, r.headers["location"], scrub(page.text).replace(ident, "I")))
        answers.append((api.status_code, api.text))
    assert answers[0] == answers[2] and answers[1] == answers[3]


async def test_api_locked_answer_and_the_lock_lifting(
    client: httpx.AsyncClient, world: World
) -> None:
    await register(client, world)
    client.cookies.clear()
    await lock_over_api(client)
    locked = await api_sign_in(client, PW)
    assert locked.status_code == 423 and locked.json()["error"]["code"] == "account_locked"
    world.clock.advance(hours=2)  # the lock lifted and its failures slid out of the window
    signed = await api_sign_in(client, PW)
    assert signed.status_code == 200 and signed.json()["session_token"], signed.text


def delay_from_the_first_failure(world: World) -> None:
    """This module's policy, but with the progressive delay from the first failure."""
    deps = world.runtime.deps
    world.runtime.deps = replace(deps, lock_policy=replace(deps.lock_policy, delay_from=1))


async def test_api_progressive_delay_says_when_to_retry(world: World) -> None:
    delay_from_the_first_failure(world)
    async with new_client(world) as client:
        first = await api_sign_in(client, "wrong-guess-123", "bob@example.com")
        assert first.status_code == 401
        second = await api_sign_in(client, "wrong-guess-123", "bob@example.com")
        assert second.status_code == 429 and second.headers["retry-after"] == "1"
        assert second.json()["error"]["code"] == "sign_in_throttled"


async def test_security_09_forged_forwarded_for_is_counted_as_the_peer(
    client: httpx.AsyncClient, world: World
) -> None:
    for n in range(4):
        r = await client.post(
            "/api/v1/sign-in",
            json={"identifier": f"guess{n}@example.com", "password": "wrong-guess-123"},
            headers={"x-forwarded-for": f"198.51.100.{n}", "x-real-ip": "198.51.100.200"},
        )
        assert r.status_code == 401
    deps = world.runtime.deps
    window = window_start(world.clock.now())

    async def ip_count(ip: str) -> int:
        key = lockout.budget_for(
            deps, "us", Requester(ip=ip), account=None, ident=_ident(deps)
        ).ip_key
        async with deps.uow() as uow:
            return int(await uow.counters.count("*", FailureScope.IP, key, window))

    assert await ip_count(PEER) == 4
    assert [await ip_count(f"198.51.100.{n}") for n in range(4)] == [0, 0, 0, 0]


def _ident(deps: object) -> object:
    return deps.identifiers.parse("x@example.com", "US")  # type: ignore[attr-defined]


async def test_security_15_unlock_link_landing_swaps_the_token_and_is_not_used_up(
    client: httpx.AsyncClient, world: World
) -> None:
    await register(client, world)
    client.cookies.clear()
    await lock_over_api(client)
    link = await unlock_link(world)
    assert link.startswith("http://us.localhost:8000/unlock?token=")  # configured origin
    path = link.removeprefix("http://us.localhost:8000")
    for _ in range(2):  # a mail scanner opening it first spends nothing
        landing = await client.get(path)
        assert landing.status_code == 303 and landing.headers["location"] == "/unlock/choose"
        assert "token" not in landing.headers["location"]
        assert landing.headers["referrer-policy"] == "no-referrer"
        assert landing.headers["cache-control"] == "no-store"
    choose = await client.get("/unlock/choose")
    assert choose.status_code == 200 and "Unlock your account" in choose.text
    assert "a•••@example.com" in choose.text or "example.com" in choose.text
    code_step = await client.post(
        "/unlock/choose", data={"csrf": csrf_of(choose.text), "choice": "0:email"}
    )
    assert code_step.headers["location"] == "/unlock/code"
    again = await client.get(path)  # the pick used the link up
    assert again.headers["location"] == "/unlock/expired"
    expired = await client.get("/unlock/expired")
    assert expired.status_code == 410 and "used already" in expired.text
    code = await world.code(ANA)
    verified = await submit(client, "/unlock/code", "/unlock/code", {"code": code})
    assert verified.headers["location"] == "/unlock/new"
    form = await client.get("/unlock/new")
    assert "Create new password" in form.text and "Keep my current password" not in form.text
    kept = await client.post("/unlock/new", data={"csrf": csrf_of(form.text), "action": "keep"})
    assert kept.status_code == 422  # guessing locks need a new password
    done = await client.post(
        "/unlock/new",
        data={"csrf": csrf_of(form.text), "password": NEW, "password_again": NEW},
    )
    assert done.headers["location"] == "/signin?unlocked=new"
    notice = await client.get("/signin?unlocked=new")
    assert "Your account is unlocked" in notice.text
    client.cookies.clear()
    signed = await api_sign_in(client, NEW)
    assert signed.status_code == 200, signed.text  # unlocked; the lock's count was cleared


async def test_security_12_unlock_link_ignores_forwarded_host(
    client: httpx.AsyncClient, world: World
) -> None:
    await register(client, world)
    client.cookies.clear()
    for _ in range(3):
        await client.post(
            "/api/v1/sign-in",
            json={"identifier": ANA, "password": "wrong-guess-123"},
            headers={"x-forwarded-host": "evil.example", "forwarded": "host=evil.example"},
        )
    assert (await unlock_link(world)).startswith("http://us.localhost:8000/unlock?token=")


async def test_api_unlock_journey(client: httpx.AsyncClient, world: World) -> None:
    await register(client, world)
    client.cookies.clear()
    await lock_over_api(client)
    token = (await unlock_link(world)).split("token=")[1]
    bad = await client.post("/api/v1/unlocks", json={"token": "x" * 43})
    assert bad.status_code == 410 and bad.json()["error"]["code"] == "flow_expired"
    started = await client.post("/api/v1/unlocks", json={"token": token})
    assert started.status_code == 201, started.text
    body = started.json()
    assert body["next"] == "choose" and body["must_change_password"] is True
    flow = body["flow_id"]
    sent = await client.post(
        "/api/v1/unlocks/choose", json={"flow_id": flow, "index": 0, "channel": "email"}
    )
    assert sent.json()["next"] == "code"
    verified = await client.post(
        "/api/v1/unlocks/verify", json={"flow_id": flow, "code": await world.code(ANA)}
    )
    assert verified.json()["next"] == "verified"
    keep = await client.post(
        "/api/v1/unlocks/complete", json={"flow_id": flow, "keep_password": True}
    )
    assert keep.status_code == 422
    done = await client.post(
        "/api/v1/unlocks/complete",
        json={"flow_id": flow, "password": NEW, "password_again": NEW},
    )
    assert done.status_code == 204
    assert (await api_sign_in(client, NEW)).status_code == 200


async def test_api_unusual_sign_in_confirm(client: httpx.AsyncClient, world: World) -> None:
    await register(client, world)
    client.cookies.clear()
    for _ in range(2):
        assert (await api_sign_in(client, "wrong-guess-123")).status_code == 401
    device = "app-install-0123456789abcdef"
    answer = await client.post(
        "/api/v1/sign-in", json={"identifier": ANA, "password": PW, "device_id": device}
    )
    body = answer.json()
    assert answer.status_code == 200 and body["next"] == "confirm" and body["sent_to"]
    assert body["reason"] == "account_failures"  # the app can say what really happened
    # (one wrong code here would make the third failure of this module's policy: a lock)
    done = await client.post(
        "/api/v1/sign-in/confirm",
        json={"flow_id": body["flow_id"], "code": await world.code(ANA), "device_id": device},
    )
    assert done.status_code == 200 and done.json()["session_token"], done.text
    short = await client.post(
        "/api/v1/sign-in", json={"identifier": ANA, "password": PW, "device_id": "short"}
    )
    assert short.status_code == 422  # an install id must carry 128 bits


async def test_unusual_sign_in_page(client: httpx.AsyncClient, world: World) -> None:
    await register(client, world)
    client.cookies.clear()
    for _ in range(2):
        await sign_in(client, ANA, "wrong-guess-123")
    client.cookies.clear()  # a browser that never signed in here
    r = await sign_in(client, ANA, PW)
    assert r.status_code == 303 and r.headers["location"].startswith("/signin/confirm")
    page = await client.get(r.headers["location"])
    assert "Confirm it&#39;s you" in page.text and "Enter OTP" in page.text, page.text
    done = await submit(
        client, r.headers["location"], "/signin/confirm", {"code": await world.code(ANA)}
    )
    assert done.status_code == 303
    account = await client.get("/account")
    assert account.status_code == 200 and "Login &amp; security" in account.text


async def test_openapi_lists_the_lockout_endpoints(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    for path in (
        "/api/v1/sign-in/confirm",
        "/api/v1/sign-in/confirm/resend",
        "/api/v1/unlocks",
        "/api/v1/unlocks/choose",
        "/api/v1/unlocks/verify",
        "/api/v1/unlocks/complete",
    ):
        assert path in paths, path
    assert "423" in paths["/api/v1/sign-in"]["post"]["responses"]


async def test_too_soon_on_the_page_says_please_wait(world: World) -> None:
    delay_from_the_first_failure(world)
    async with new_client(world) as client:
        first = await sign_in(client, "bob@example.com", "wrong-guess-123")
        assert "There was a problem" in first.text
        second = await submit(
            client, "/signin/password", "/signin/password", {"password": "wrong-guess-123"}
        )
        assert second.status_code == 429
        words = re.sub(r"<[^>]+>", "", second.text)  # the number is in its own element
        assert "Please wait" in words and "wait 1 second before" in words
        assert 'data-countdown="1"' in second.text and "/static/countdown.js" in second.text
