"""The console over HTTP: its own host, cookies and CSRF; enrolment; roles; settings
(SECURITY.md 15, 25, 30, 33)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from entryway.adapters.clock import FrozenClock
from entryway.adapters.mail import MemoryMailer
from entryway.adapters.sms import MemoryTexter
from entryway.bootstrap import app_for, build
from entryway.core import totp
from entryway.core.staff import Role
from entryway.flows.staff import accounts
from entryway.settings import redact_url
from tests import conftest
from tests.conftest import SECRET, World
from tests.flows.staff_helpers import CONSOLE, STAFF_PW, enrolled
from tests.web.helpers import csrf_of, register, sign_in

SMTP = "smtp://mailer:hunter2-smtp@mail.example:587"
SMS = "https://sms-user:pw-in-sms@sms.example/send?token=tok-in-query"


@dataclass
class Hosts:
    world: World
    console: httpx.AsyncClient
    site: httpx.AsyncClient


@pytest.fixture
async def hosts(database_url: tuple[str, str | None]) -> AsyncIterator[Hosts]:
    url, schema = database_url
    settings = conftest.test_settings(url, console_url=CONSOLE, smtp_url=SMTP, sms_webhook_url=SMS)
    clock, mailer, texter = FrozenClock(), MemoryMailer(), MemoryTexter()
    runtime = build(settings, clock=clock, mailer=mailer, texter=texter, schema=schema)
    world = World(runtime=runtime, clock=clock, mailer=mailer, texter=texter)
    transport = httpx.ASGITransport(app=app_for(runtime, deliver=False), client=("203.0.113.9", 1))
    async with (
        httpx.AsyncClient(transport=transport, base_url=CONSOLE) as console,
        httpx.AsyncClient(transport=transport, base_url="http://us.localhost:8000") as site,
    ):
        yield Hosts(world=world, console=console, site=site)
    await runtime.close()


async def post(
    client: httpx.AsyncClient, page: str, action: str, data: dict[str, str]
) -> httpx.Response:
    form = await client.get(page)
    assert form.status_code == 200, form.text
    return await client.post(action, data={"csrf": csrf_of(form.text), **data})


async def console_sign_in(hosts: Hosts, email: str, key: bytes) -> None:
    r = await post(hosts.console, "/signin", "/signin", {"email": email, "password": STAFF_PW})
    assert r.status_code == 303 and r.headers["location"] == "/signin/otp", r.text
    step = totp.step_at(hosts.world.clock.now()) + 1  # enrolment spent the current step
    r = await post(hosts.console, "/signin/otp", "/signin/otp", {"code": totp.totp(key, step)})
    assert r.status_code == 303 and r.headers["location"] == "/", r.text


async def test_security_30_the_console_answers_only_its_own_host(hosts: Hosts) -> None:
    r = await hosts.console.get("/")
    assert r.status_code == 303 and r.headers["location"] == "/signin"
    r = await hosts.console.get("/signin")
    assert "Sign in to the staff console" in r.text
    assert r.headers["x-frame-options"] == "DENY" and "content-security-policy" in r.headers
    for path in ("/admin/staff", "/admin/settings", "/enrol/password", "/signin/otp"):
        assert (await hosts.site.get(path)).status_code == 404, path
    assert "Email or mobile phone number" in (await hosts.site.get("/signin")).text
    assert (await hosts.console.get("/account")).status_code == 404
    assert (await hosts.console.get("/api/v1/session")).status_code == 404
    other = await hosts.console.get("/", headers={"host": "console.evil.example"})
    assert other.status_code == 400  # an unknown host is still refused


async def test_enrolment_over_http(hosts: Hosts) -> None:
    invited = await accounts.add(
        hosts.world.deps,
        email="kim@staff.example",
        roles=frozenset({Role.AGENT}),
        sites=["us"],
        all_sites=False,
        console_url=CONSOLE,
    )
    path = invited.link.removeprefix(CONSOLE)
    for _ in range(2):  # the landing never uses the link up
        landing = await hosts.console.get(path)
        assert landing.status_code == 303 and landing.headers["location"] == "/enrol/password"
        assert landing.headers["referrer-policy"] == "no-referrer"
        assert landing.headers["cache-control"] == "no-store"
    assert "httponly" in landing.headers["set-cookie"].lower()
    page = await hosts.console.get("/enrol/password")
    assert "Create password" in page.text and "kim@staff.example" in page.text
    assert page.headers["cache-control"] == "no-store"
    r = await post(
        hosts.console,
        "/enrol/password",
        "/enrol/password",
        {"password": STAFF_PW, "password_again": STAFF_PW},
    )
    assert r.status_code == 303 and r.headers["location"] == "/enrol/app"
    app_page = await hosts.console.get("/enrol/app")
    assert "<svg" in app_page.text
    key_text = re.search(r'<code id="key">([A-Z2-7 ]+)</code>', app_page.text)
    assert key_text and re.fullmatch(r"([A-Z2-7]{4} )+[A-Z2-7]{1,4}", key_text.group(1))
    key = totp.parse_key(key_text.group(1))
    code = totp.totp(key, totp.step_at(hosts.world.clock.now()))
    r = await post(hosts.console, "/enrol/app", "/enrol/app", {"code": code})
    assert r.status_code == 303 and r.headers["location"] == "/"
    home = await hosts.console.get("/")
    assert home.status_code == 200 and "kim@staff.example" in home.text
    assert 'href="/cases"' in home.text and 'href="/admin/staff"' not in home.text
    assert (await hosts.console.get(path)).status_code == 410  # used by Create password


async def test_security_30_cookies_are_refused_both_ways(hosts: Hosts) -> None:
    await register(hosts.site, hosts.world)
    hosts.site.cookies.clear()
    r = await sign_in(hosts.site, "ana@example.com", "quiet-meadow-lantern")
    assert r.status_code == 303
    customer_token = hosts.site.cookies["ew_session"]
    assert (await hosts.site.get("/account")).status_code == 200
    member = await enrolled(hosts.world, sites=["us"])
    staff_client = httpx.AsyncClient(transport=hosts.console._transport, base_url=CONSOLE)
    async with staff_client:
        staff_client.cookies.set("ew_staff", member.token)
        assert (await staff_client.get("/")).status_code == 200
        # A customer's session token, even under the console's cookie name, finds nothing.
        staff_client.cookies.set("ew_staff", customer_token)
        r = await staff_client.get("/")
        assert r.status_code == 303 and r.headers["location"] == "/signin"
    site_client = httpx.AsyncClient(
        transport=hosts.site._transport, base_url="http://us.localhost:8000"
    )
    async with site_client:
        site_client.cookies.set("ew_session", member.token)
        r = await site_client.get("/account")
        assert r.status_code == 303 and r.headers["location"].startswith("/signin")
        r = await site_client.get(
            "/api/v1/account", headers={"authorization": f"Bearer {member.token}"}
        )
        assert r.status_code == 401


async def test_an_agent_gets_404_on_admin_pages(hosts: Hosts) -> None:
    agent = await enrolled(hosts.world, "agent@staff.example", sites=["us"])
    await console_sign_in(hosts, agent.email, agent.key)
    for path in ("/admin/staff", "/admin/settings"):
        r = await hosts.console.get(path)
        assert r.status_code == 404 and "find that page" in r.text, path
    home = await hosts.console.get("/")
    r = await hosts.console.post(
        f"/admin/staff/{agent.staff_id}/disable",
        data={"csrf": csrf_of(home.text), "reason": "trying"},
    )
    assert r.status_code == 404


async def test_console_forms_need_the_consoles_own_csrf(hosts: Hosts) -> None:
    r = await hosts.console.post("/signin", data={"email": "a@b.example", "password": "x"})
    assert r.status_code == 403
    customer_form = await hosts.site.get("/signin")
    hosts.console.cookies.set("ew_staff_csrf", hosts.site.cookies["ew_csrf"])
    r = await hosts.console.post(
        "/signin",
        data={"csrf": csrf_of(customer_form.text), "email": "a@b.example", "password": "x"},
    )
    assert r.status_code == 403


async def test_settings_are_read_only_with_secrets_redacted(hosts: Hosts) -> None:
    boss = await enrolled(hosts.world, "boss@staff.example", frozenset({Role.ADMIN}))
    await console_sign_in(hosts, boss.email, boss.key)
    page = await hosts.console.get("/admin/settings")
    assert page.status_code == 200
    for secret in (SECRET, "hunter2-smtp", "pw-in-sms", "tok-in-query", "sms-user", "mailer"):
        assert secret not in page.text, secret
    assert "(redacted)" in page.text and "mail.example" in page.text
    # Read-only: the only form on the page is the header's Sign out.
    assert re.findall(r'<form[^>]*action="([^"]+)"', page.text) == ["/signout"]


def test_redact_url() -> None:
    assert redact_url("postgresql+asyncpg://app:s3cret@db.example:5432/entryway") == (
        "postgresql+asyncpg://(redacted)@db.example:5432/entryway"
    )
    assert redact_url("https://hooks.example/sms?key=abc") == "https://hooks.example/sms?(redacted)"
    assert "s3cret" not in redact_url("smtp://:s3cret@mail.example")
    assert redact_url("") == ""


async def test_admin_actions_need_a_reason_and_are_audited(hosts: Hosts) -> None:
    boss = await enrolled(hosts.world, "boss@staff.example", frozenset({Role.ADMIN}))
    agent = await enrolled(hosts.world, "agent@staff.example", sites=["us"])
    await console_sign_in(hosts, boss.email, boss.key)
    listing = await hosts.console.get("/admin/staff")
    assert "agent@staff.example" in listing.text and "Reason" in listing.text
    action = f"/admin/staff/{agent.staff_id}/roles"
    r = await post(hosts.console, "/admin/staff", action, {"roles": "reviewer", "reason": " "})
    assert r.status_code == 422 and "Give a reason." in r.text
    r = await hosts.console.post(
        action,
        data={
            "csrf": csrf_of(listing.text),
            "roles": ["agent", "trust"],
            "reason": "covers appeals",
        },
    )
    assert r.status_code == 303
    async with hosts.world.deps.uow() as uow:
        stored = await uow.staff.get(agent.staff_id)
        log = await uow.staff.audit_log()
    assert stored is not None and stored.roles == frozenset({Role.AGENT, Role.TRUST})
    changed = next(e for e in log if e.action.value == "staff.roles_changed")
    assert changed.actor_id == boss.staff_id and changed.detail["reason"] == "covers appeals"
    assert any(e.action.value == "staff.settings_viewed" for e in log) is False
    await hosts.console.get("/admin/settings")
    async with hosts.world.deps.uow() as uow:
        assert any(e.action.value == "staff.settings_viewed" for e in await uow.staff.audit_log())


async def test_a_locked_sign_in_says_so_and_an_admin_lifts_it(hosts: Hosts) -> None:
    agent = await enrolled(hosts.world, "agent@staff.example", sites=["us"])
    for _ in range(hosts.world.deps.lock_policy.lock_at):
        hosts.world.clock.advance(minutes=1)
        r = await post(
            hosts.console, "/signin", "/signin", {"email": agent.email, "password": "nope-nope-1"}
        )
        assert r.status_code in (401, 423)
    hosts.world.clock.advance(minutes=1)
    r = await post(
        hosts.console, "/signin", "/signin", {"email": agent.email, "password": STAFF_PW}
    )
    assert r.status_code == 423 and "Ask a console admin" in r.text
    boss = await enrolled(hosts.world, "boss@staff.example", frozenset({Role.ADMIN}))
    await console_sign_in(hosts, boss.email, boss.key)
    listing = await hosts.console.get("/admin/staff")
    assert "Lift lock" in listing.text
    r = await post(
        hosts.console,
        "/admin/staff",
        f"/admin/staff/{agent.staff_id}/unlock",
        {"reason": "phoned them"},
    )
    assert r.status_code == 303 and r.headers["location"] == "/admin/staff?done=unlocked"


@pytest.mark.parametrize(
    ("console_url", "problem"),
    [
        ("http://console.acme-market.example", "must use https://"),
        ("http://us.localhost:8000", "also a site's"),
        ("https://console.example/console", "must be an origin"),
        ("http://127.0.0.1:8000", "also a site's"),  # an alias of the US site
        # Another port of a site's host: cookies and passkeys' relying party ignore ports.
        ("http://us.localhost:9443", "also a site's"),
    ],
)
def test_unsafe_console_urls_refuse_to_start(console_url: str, problem: str) -> None:
    settings = conftest.test_settings("sqlite:///:memory:", console_url=console_url)
    assert any(problem in p for p in settings.problems()), settings.problems()
    if problem != "must use https://":  # wrong in demo mode too
        with pytest.raises(SystemExit, match=problem):
            build(settings.model_copy(update={"demo": True}))


def test_a_safe_console_url_is_accepted() -> None:
    for url in ("https://console.acme-market.example", "http://console.localhost:8000"):
        assert conftest.test_settings("sqlite:///:memory:", console_url=url).problems() == []
