"""The console's sign-in refuses a client address after too many failures across staff
emails, with the sign-in form and one answer for known and unknown emails (SECURITY.md 5)."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from entryway.adapters.clock import FrozenClock
from entryway.adapters.mail import MemoryMailer
from entryway.adapters.sms import MemoryTexter
from entryway.bootstrap import app_for, build
from entryway.flows.staff import signin
from tests import conftest
from tests.conftest import World
from tests.flows.staff_helpers import CONSOLE, STAFF_PW, enrolled
from tests.web.test_console import post

LIMIT = 5


@dataclass
class Two:
    world: World
    busy: httpx.AsyncClient  # one address
    other: httpx.AsyncClient  # another address


@pytest.fixture
async def two(database_url: tuple[str, str | None]) -> AsyncIterator[Two]:
    url, schema = database_url
    settings = conftest.test_settings(
        url,
        console_url=CONSOLE,
        delay_after_failures=100,  # no progressive delay: the address is what refuses
        ip_unusual_after=LIMIT,
        ip_refuse_after=LIMIT,
    )
    clock, mailer, texter = FrozenClock(), MemoryMailer(), MemoryTexter()
    runtime = build(settings, clock=clock, mailer=mailer, texter=texter, schema=schema)
    world = World(runtime=runtime, clock=clock, mailer=mailer, texter=texter)
    app = app_for(runtime, deliver=False)
    busy = httpx.ASGITransport(app=app, client=("203.0.113.20", 1))
    other = httpx.ASGITransport(app=app, client=("203.0.113.21", 1))
    async with (
        httpx.AsyncClient(transport=busy, base_url=CONSOLE) as a,
        httpx.AsyncClient(transport=other, base_url=CONSOLE) as b,
    ):
        yield Two(world=world, busy=a, other=b)
    await runtime.close()


async def test_one_address_spraying_staff_emails_is_refused(two: Two) -> None:
    members = [await enrolled(two.world, f"s{n}@staff.example", sites=["us"]) for n in range(3)]
    for n in range(LIMIT):
        r = await post(
            two.busy,
            "/signin",
            "/signin",
            {"email": members[n % 3].email, "password": f"guess-{n}-wrong"},
        )
        assert r.status_code == 401, r.status_code
        assert signin.FAILED in html.unescape(r.text)
    answers = []
    for email in (members[0].email, "nobody@staff.example"):
        r = await post(two.busy, "/signin", "/signin", {"email": email, "password": STAFF_PW})
        assert r.status_code == 429, r.text
        assert signin.BUSY_NETWORK in html.unescape(r.text)
        assert 'name="password"' in r.text  # the form stays, to try again later
        answers.append(r.text.replace(email, "EMAIL"))
    assert answers[0] == answers[1]  # the same page whether the email is anyone's
    r = await post(
        two.other, "/signin", "/signin", {"email": members[0].email, "password": STAFF_PW}
    )
    assert r.status_code == 303 and r.headers["location"] == "/signin/otp"
