"""SECURITY.md cases 1-5, 12-13 and 24-28, probed over HTTP like an attacker would."""

from __future__ import annotations

import re

import httpx
import pytest

from entryway.core.throttle import FailureScope, window_start
from entryway.flows.account import registration
from entryway.flows.ports import Requester
from tests.conftest import World
from tests.web.helpers import csrf_of, register, sign_in, submit

PASSWORD = "quiet-meadow-lantern"


async def make_account(
    world: World, identifier: str = "ana@example.com", *, site: str = "us", verify: bool = True
) -> None:
    """An account created through the flow (no HTTP), verified unless told otherwise."""
    started = await registration.start(
        world.deps,
        site,
        name="Ana Lopez",
        identifier=identifier,
        password=PASSWORD,
        password_again=PASSWORD,
        who=Requester(),
    )
    if verify:
        code = await world.code(identifier)
        await registration.verify(
            world.deps, site, flow_token=started.flow_token, code=code, who=Requester()
        )


def scrub(html: str) -> str:
    """Remove what legitimately differs between two requests: the CSRF token."""
    return re.sub(r'name="csrf" value="[^"]+"', "", html)


def stable_headers(r: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in r.headers.items() if k not in ("date", "set-cookie", "content-length")}


# 1 ------------------------------------------------------------------------------------------
async def test_security_01_identifier_step_answers_the_same_for_every_account_state(
    client: httpx.AsyncClient, world: World
) -> None:
    await make_account(world, "active@example.com")
    await make_account(world, "pending@example.com", verify=False)
    answers = []
    for ident in ("active@example.com", "pending@example.com", "nobody@example.com"):
        client.cookies.clear()
        r = await submit(client, "/signin", "/signin", {"identifier": ident})
        page = await client.get(r.headers["location"])
        answers.append(
            (
                r.status_code,
                r.headers["location"],
                stable_headers(r),
                page.status_code,
                scrub(page.text).replace(ident, "IDENT"),
            )
        )
        api = await client.post("/api/v1/sign-in/identifier", json={"identifier": ident})
        answers.append((api.status_code, api.text))
    assert answers[0] == answers[2] == answers[4] and answers[1] == answers[3] == answers[5]
    assert "Authenticator" not in answers[0][4] and "backup" not in answers[0][4].lower()


# 2 ------------------------------------------------------------------------------------------
async def test_security_02_wrong_password_same_answer_known_or_unknown(
    client: httpx.AsyncClient, world: World
) -> None:
    await make_account(world, "active@example.com")
    await make_account(world, "pending@example.com", verify=False)
    pages = []
    for ident in ("active@example.com", "pending@example.com", "nobody@example.com"):
        client.cookies.clear()
        r = await sign_in(client, ident, "wrong-password-here")
        pages.append((r.status_code, scrub(r.text).replace(ident, "IDENT")))
        api = await client.post(
            "/api/v1/sign-in", json={"identifier": ident, "password": "wrong-password-here"}
        )
        pages.append((api.status_code, api.text))
    assert pages[0] == pages[2] == pages[4]
    assert pages[1] == pages[3] == pages[5]
    assert pages[1][0] == 401


# 3 ------------------------------------------------------------------------------------------
class CountingHasher:
    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.verifies = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    async def verify(self, encoded: str, password: str, *, urgent: bool = False) -> bool:
        self.verifies += 1
        return bool(await self.inner.verify(encoded, password))  # type: ignore[attr-defined]

    async def verify_dummy(self, password: str, *, urgent: bool = False) -> None:
        self.verifies += 1
        await self.inner.verify_dummy(password)  # type: ignore[attr-defined]


@pytest.mark.parametrize("ident", ["active@example.com", "nobody@example.com"])
async def test_security_03_unknown_identifiers_pay_exactly_one_hash(
    client: httpx.AsyncClient, world: World, ident: str
) -> None:
    from dataclasses import replace

    from entryway.flows.signin import sign_in as flow

    await make_account(world, "active@example.com")
    counting = CountingHasher(world.deps.hasher)
    deps = replace(world.deps, hasher=counting)
    with pytest.raises(Exception, match="couldn't sign you in"):
        await flow.sign_in(
            deps,
            "us",
            identifier=ident,
            password="wrong-password-here",
            remember=False,
            who=Requester(),
        )
    assert counting.verifies == 1


# 4 ------------------------------------------------------------------------------------------
async def test_security_04_registration_same_answer_for_taken_and_new_address(
    client: httpx.AsyncClient, world: World
) -> None:
    await make_account(world, "taken@example.com")
    shown = []
    for ident in ("taken@example.com", "fresh@example.com"):
        client.cookies.clear()
        r = await submit(
            client,
            "/register",
            "/register",
            {"name": "Eve", "identifier": ident, "password": PASSWORD, "password_again": PASSWORD},
        )
        page = await client.get("/register/verify")
        resend = await client.post(
            "/register/verify", data={"csrf": csrf_of(page.text), "action": "resend"}
        )
        wrong = await client.post(
            "/register/verify", data={"csrf": csrf_of(page.text), "code": "000000"}
        )
        masked = ident[0] + "***@example.com"
        shown.append(
            (
                r.status_code,
                r.headers["location"],
                page.status_code,
                scrub(page.text).replace(masked, "M"),
                resend.status_code,
                scrub(resend.text).replace(masked, "M"),
                wrong.status_code,
                scrub(wrong.text).replace(masked, "M"),
            )
        )
        api = await client.post(
            "/api/v1/registrations",
            json={
                "name": "Eve",
                "identifier": ident,
                "password": PASSWORD,
                "password_again": PASSWORD,
            },
        )
        shown.append((api.status_code, sorted(api.json())))
    assert shown[0] == shown[2] and shown[1] == shown[3]
    await world.deliver()
    to_taken = [m for m in world.mailer.sent if m.to == "taken@example.com"]
    assert to_taken and all(not re.search(r"\b\d{6}\b", m.body) for m in to_taken[1:])
    assert any("already has one" in m.body for m in to_taken)


async def test_security_04_delivery_failures_are_invisible(
    client: httpx.AsyncClient, world: World
) -> None:
    world.mailer.fail = True
    r = await submit(
        client,
        "/register",
        "/register",
        {
            "name": "Eve",
            "identifier": "eve@example.com",
            "password": PASSWORD,
            "password_again": PASSWORD,
        },
    )
    assert r.status_code == 303
    assert (await world.deliver()) == 0
    page = await client.get("/register/verify")
    assert "e***@example.com" in page.text and "error" not in page.text.lower()


async def test_security_04_add_email_same_answer_for_taken_address(
    client: httpx.AsyncClient, world: World
) -> None:
    await make_account(world, "taken@example.com")
    await register(client, world, identifier="+12015550123")
    answers = []
    for ident in ("taken@example.com", "fresh@example.com"):
        r = await submit(client, "/account/email", "/account/email", {"identifier": ident})
        page = await client.get("/account/email/verify")
        wrong = await client.post(
            "/account/email/verify", data={"csrf": csrf_of(page.text), "code": "000000"}
        )
        masked = ident[0] + "***@example.com"
        answers.append(
            (
                r.status_code,
                r.headers.get("location"),
                scrub(page.text).replace(masked, "M"),
                wrong.status_code,
            )
        )
    assert answers[0] == answers[1]


# 5 ------------------------------------------------------------------------------------------
async def test_security_05_failures_counted_per_account_ip_and_device_across_variants(
    world: World,
) -> None:
    from entryway.errors import SignInFailed
    from entryway.flows.signin import sign_in as flow

    await make_account(world, "ana@example.com")
    attempts = [
        ("ANA@example.com", "198.51.100.1", "dev-a"),
        ("ana@EXAMPLE.com", "198.51.100.2", "dev-a"),
        ("\uff41na@example.com", "198.51.100.3", "dev-b"),  # fullwidth a
        ("bob@example.com", "198.51.100.1", "dev-c"),
    ]
    for ident, ip, device in attempts:
        with pytest.raises(SignInFailed):
            await flow.sign_in(
                world.deps,
                "us",
                identifier=ident,
                password="wrong-password-x",
                remember=False,
                who=Requester(ip=ip, device=device),
            )
    from entryway.flows.signin import lockout, unusual

    ana = world.deps.identifiers.parse("ana@example.com", "US")
    window = window_start(world.clock.now())
    async with world.deps.uow() as uow:
        account = await uow.accounts.find("us", ana)
    keys = lockout.budget_for(
        world.deps, "us", Requester(ip="198.51.100.1", device="dev-a"), account=account
    )

    async def count(scope: FailureScope, key: str) -> int:
        async with world.deps.uow() as uow:
            site = "*" if scope == FailureScope.IP else "us"  # an address counts on every site
            return int(await uow.counters.count(site, scope, key, window))

    assert await count(FailureScope.ACCOUNT, keys.lock_key) == 3  # across IPs and variants
    assert await count(FailureScope.IP, keys.ip_key) == 2  # across accounts
    assert await count(FailureScope.DEVICE, keys.device_key) == 2
    world.clock.advance(seconds=2)  # past the progressive delay after three failures
    who = Requester(ip="198.51.100.1")
    result = await flow.sign_in(
        world.deps, "us", identifier="ana@example.com", password=PASSWORD, remember=False, who=who
    )
    assert isinstance(result, flow.MustConfirm)  # a new device after three failures
    code = await world.code("ana@example.com")
    await unusual.confirm(
        world.deps, "us", flow_token=result.flow_token, code=code, remember=False, who=who
    )
    assert await count(FailureScope.ACCOUNT, keys.lock_key) == 0
    assert await count(FailureScope.IP, keys.ip_key) == 2  # case 8


# 12 -----------------------------------------------------------------------------------------
async def test_security_12_unknown_host_gets_400(client: httpx.AsyncClient) -> None:
    for host in ("evil.example", "us.localhost:8000.evil.example", "us.localhost"):
        r = await client.get("/signin", headers={"host": host})
        assert r.status_code == 400, host


async def test_security_12_links_use_configured_origin_never_request_headers(
    client: httpx.AsyncClient, world: World
) -> None:
    await make_account(world, "ana@example.com", site="uk")
    evil = {
        "x-forwarded-host": "evil.example",
        "forwarded": "host=evil.example",
        "x-forwarded-proto": "https",
    }
    await sign_in(client, "ana@example.com", "any-password-123")
    r = await submit(
        client,
        "/register",
        "/register",
        {
            "name": "Ana",
            "identifier": "new@example.com",
            "password": PASSWORD,
            "password_again": PASSWORD,
        },
        headers=evil,
    )
    assert r.status_code == 303
    await world.deliver()
    bodies = [m.body for m in world.mailer.sent]
    assert any("http://uk.localhost:8000/signin" in b for b in bodies)
    assert all("evil" not in b for b in bodies)


# 13 -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "identifier",
    [
        ["a@example.com", "b@example.com"],
        "a@example.com,b@example.com",
        "a@example.com b@example.com",
        "a@example.com\r\nbcc: b@example.com",
    ],
)
async def test_security_13_one_recipient_only(
    client: httpx.AsyncClient, world: World, identifier: object
) -> None:
    r = await client.post(
        "/api/v1/registrations",
        json={
            "name": "Eve",
            "identifier": identifier,
            "password": PASSWORD,
            "password_again": PASSWORD,
        },
    )
    assert r.status_code == 422
    await world.deliver()
    assert world.mailer.sent == []


async def test_security_13_wrong_site_notice_goes_to_the_stored_address(
    client: httpx.AsyncClient, world: World
) -> None:
    await make_account(world, "ana@example.com", site="ca")
    await sign_in(client, "ANA@EXAMPLE.COM", "wrong-password-1")
    await sign_in(client, "ana@example.com", "wrong-password-2")  # same day: no second email
    await world.deliver()
    notices = [m for m in world.mailer.sent if "your account is on" in m.subject]
    assert [m.to for m in notices] == ["ana@example.com"]
    assert "http://ca.localhost:8000/signin" in notices[0].body
    world.clock.advance(days=1)
    await sign_in(client, "ana@example.com", "wrong-password-3")
    await world.deliver()
    assert len([m for m in world.mailer.sent if "your account is on" in m.subject]) == 2


# 24 -----------------------------------------------------------------------------------------
async def test_security_24_planted_session_cookie_is_worthless(
    client: httpx.AsyncClient, world: World
) -> None:
    await make_account(world)
    client.cookies.set("ew_session", "planted-by-attacker", domain="us.localhost")
    assert (await client.get("/account")).status_code == 303
    r = await sign_in(client, "ana@example.com", PASSWORD)
    new = r.cookies.get("ew_session")
    assert new and new != "planted-by-attacker"


async def test_security_24_new_session_id_at_every_step(
    client: httpx.AsyncClient, world: World
) -> None:
    first = await register(client, world)
    one = first.cookies["ew_session"]
    await submit(client, "/account", "/signout", {})
    two = (await sign_in(client, "ana@example.com", PASSWORD)).cookies["ew_session"]
    # Signed in, GET /signin leads on to the account; a sign-in posted anyway (a form left
    # open in another tab) still gets a new session id.
    page = await client.get("/account")
    await client.post("/signin", data={"csrf": csrf_of(page.text), "identifier": "ana@example.com"})
    password = await submit(client, "/signin/password", "/signin/password", {"password": PASSWORD})
    three = password.cookies["ew_session"]
    assert len({one, two, three}) == 3
    assert len(one) >= 43  # 256 bits, base64url


# 25 -----------------------------------------------------------------------------------------
async def test_security_25_cookie_flags(client: httpx.AsyncClient, world: World) -> None:
    await make_account(world)
    r = await sign_in(client, "ana@example.com", PASSWORD)
    cookie = next(
        v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith("ew_session=")
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie


def test_security_25_https_sites_use_host_prefixed_secure_cookies() -> None:
    from starlette.responses import Response

    from entryway.core.sites import Site
    from entryway.web.security import cookie_name, set_cookie

    site = Site("us", "United States", "https://shop.example")
    response = Response()
    set_cookie(response, site, "ew_session", "v")
    header = response.headers["set-cookie"]
    assert cookie_name(site, "ew_session") == "__Host-ew_session"
    assert header.startswith("__Host-ew_session=v") and "Secure" in header
    assert "Domain" not in header


@pytest.mark.parametrize(
    "path",
    ["/signin", "/signin/password", "/register", "/signout", "/register/verify", "/account/name"],
)
async def test_security_25_every_form_needs_a_csrf_token(
    client: httpx.AsyncClient, world: World, path: str
) -> None:
    await register(client, world)
    await client.get("/signin")  # the browser has its CSRF cookie
    for token in (None, "forged-token"):
        data = {"identifier": "ana@example.com", "name": "X", "password": PASSWORD}
        if token:
            data["csrf"] = token
        r = await client.post(path, data=data)
        assert r.status_code == 403, (path, token)
    assert (await client.get("/account")).status_code == 200  # still signed in, nothing changed


async def test_security_25_csrf_token_from_another_browser_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    page = await client.get("/signin")
    token = csrf_of(page.text)
    client.cookies.clear()
    r = await client.post("/signin", data={"csrf": token, "identifier": "ana@example.com"})
    assert r.status_code == 403


# 26 -----------------------------------------------------------------------------------------
async def test_security_26_sign_out_ends_the_session_at_once(
    client: httpx.AsyncClient, world: World
) -> None:
    await make_account(world)
    r = await sign_in(client, "ana@example.com", PASSWORD)
    stolen = r.cookies["ew_session"]
    await submit(client, "/account", "/signout", {})
    client.cookies.set("ew_session", stolen, domain="us.localhost")
    assert (await client.get("/account")).status_code == 303
    api = await client.post(
        "/api/v1/sign-in", json={"identifier": "ana@example.com", "password": PASSWORD}
    )
    token = api.json()["session_token"]
    auth = {"authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/account", headers=auth)).status_code == 200
    assert (await client.post("/api/v1/sign-out", headers=auth)).status_code == 204
    assert (await client.get("/api/v1/account", headers=auth)).status_code == 401


async def test_security_26_sessions_expire_on_the_server(
    client: httpx.AsyncClient, world: World
) -> None:
    await make_account(world)
    await sign_in(client, "ana@example.com", PASSWORD)
    world.clock.advance(minutes=31)
    assert (await client.get("/account")).status_code == 303
    await sign_in(client, "ana@example.com", PASSWORD, remember=True)
    world.clock.advance(days=2)
    assert (await client.get("/account")).status_code == 200
    world.clock.advance(days=29)
    assert (await client.get("/account")).status_code == 303


# 27 -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "/\\evil.example",
        "https:evil.example",
        "https://us.localhost:8000@evil.example/",
        "%2F%2Fevil.example",
        "javascript:alert(1)",
    ],
)
async def test_security_27_return_to_falls_back_home(
    client: httpx.AsyncClient, world: World, target: str
) -> None:
    await make_account(world)
    page = await client.get("/signin", params={"return_to": target})
    r = await client.post(
        "/signin",
        data={"csrf": csrf_of(page.text), "identifier": "ana@example.com", "return_to": target},
    )
    pw = await client.get(r.headers["location"])
    done = await client.post(
        "/signin/password",
        data={"csrf": csrf_of(pw.text), "password": PASSWORD, "return_to": target},
    )
    assert done.status_code == 303 and done.headers["location"] == "/account"


async def test_security_27_local_return_to_is_honoured(
    client: httpx.AsyncClient, world: World
) -> None:
    await make_account(world)
    r = await client.get("/account/messages")
    assert r.headers["location"] == "/signin?return_to=%2Faccount%2Fmessages"
    page = await client.get(r.headers["location"])
    r = await client.post(
        "/signin",
        data={
            "csrf": csrf_of(page.text),
            "identifier": "ana@example.com",
            "return_to": "/account/messages",
        },
    )
    pw = await client.get(r.headers["location"])
    done = await client.post(
        "/signin/password",
        data={"csrf": csrf_of(pw.text), "password": PASSWORD, "return_to": "/account/messages"},
    )
    assert done.headers["location"] == "/account/messages"


# 28 -----------------------------------------------------------------------------------------
async def test_security_28_sites_are_isolated(client: httpx.AsyncClient, world: World) -> None:
    await make_account(world, "ana@example.com", site="us")
    await make_account(world, "ana@example.com", site="uk")
    r = await sign_in(client, "ana@example.com", PASSWORD)
    us_cookie = r.cookies["ew_session"]
    uk = {"host": "uk.localhost:8000", "cookie": f"ew_session={us_cookie}"}
    assert (await client.get("/account", headers=uk)).status_code == 303
    api = await client.post(
        "/api/v1/sign-in", json={"identifier": "ana@example.com", "password": PASSWORD}
    )
    token = api.json()["session_token"]
    r = await client.get(
        "/api/v1/account", headers={"host": "uk.localhost:8000", "authorization": f"Bearer {token}"}
    )
    assert r.status_code == 401
    # A registration flow (and its code) from the US site is refused on the UK site.
    started = await client.post(
        "/api/v1/registrations",
        json={
            "name": "Ana",
            "identifier": "new@example.com",
            "password": PASSWORD,
            "password_again": PASSWORD,
        },
    )
    code = await world.code("new@example.com")
    r = await client.post(
        "/api/v1/registrations/verify",
        headers={"host": "uk.localhost:8000"},
        json={"flow_id": started.json()["flow_id"], "code": code},
    )
    assert r.status_code == 410
    r = await client.post(
        "/api/v1/registrations/verify", json={"flow_id": started.json()["flow_id"], "code": code}
    )
    assert r.status_code == 200


# From review: codes never readable in the Message Center, nor kept in plain text once sent.
async def test_message_center_never_shows_codes_or_pending_contacts(
    client: httpx.AsyncClient, world: World
) -> None:
    await make_account(world, "taken@example.com")
    await register(client, world, identifier="+12015550123")
    centers = []
    for victim in ("someone.else@example.org", "taken@example.com"):
        r = await submit(client, "/account/email", "/account/email", {"identifier": victim})
        assert r.status_code == 303
        page = await client.get("/account/messages")
        api_token = (
            await client.post(
                "/api/v1/sign-in", json={"identifier": "+12015550123", "password": PASSWORD}
            )
        ).json()["session_token"]
        api = await client.get(
            "/api/v1/account/messages", headers={"authorization": f"Bearer {api_token}"}
        )
        assert not re.search(r"\b\d{6}\b", page.text + api.text)
        assert victim not in page.text and victim[0] + "***" not in page.text
        centers.append([(m["kind"], m["to"]) for m in api.json()])
    assert centers[0] == centers[1]  # taken or free, the Message Center looks the same
    assert "Codes are never shown here" in page.text


async def test_code_text_is_not_kept_once_sent(world: World) -> None:
    await make_account(world, "ana@example.com")
    assert await world.deliver() == 0  # make_account already delivered everything
    rows = await world.runtime.db.run_sql("SELECT kind, body FROM messages")
    assert rows and all(not re.search(r"\b\d{6}\b", body) for _, body in rows)
    assert any("Codes are never shown here" in body for kind, body in rows)
