"""Two-step verification over HTTP: settings pages, the challenge, the API, partial reach."""

from __future__ import annotations

import re

import httpx

from entryway.core import totp
from tests.conftest import World
from tests.web.helpers import csrf_of, register, sign_in, submit

PW = "quiet-meadow-lantern"


async def follow(client: httpx.AsyncClient, r: httpx.Response) -> httpx.Response:
    """The page a form's redirect leads to (forms that create something redirect)."""
    assert r.status_code == 303, r.text
    return await client.get(r.headers["location"])


async def turn_on(client: httpx.AsyncClient, world: World) -> tuple[bytes, list[str]]:
    """Enrol an authenticator app through the pages; returns its key and the backup codes."""
    page = await client.get("/account/two-step/app")
    assert page.status_code == 200, page.text
    assert "<svg" in page.text and "otpauth://totp/" in page.text
    key_text = re.search(r"<code>([A-Z2-7 ]+)</code>", page.text)
    assert key_text is not None
    key = totp.parse_key(key_text.group(1))
    factor = re.search(r'name="factor_id" value="([^"]+)"', page.text)
    assert factor is not None
    r = await client.post(
        "/account/two-step/app",
        data={
            "csrf": csrf_of(page.text),
            "factor_id": factor.group(1),
            "code": totp.totp(key, totp.step_at(world.clock.now())),
        },
    )
    r = await follow(client, r)
    assert r.status_code == 200 and "Your backup codes" in r.text
    codes = re.findall(r"<li><code>([0-9a-z-]+)</code></li>", r.text)
    assert len(codes) == 10
    return key, codes


async def test_enrol_then_sign_in_with_app_and_with_backup_code(
    client: httpx.AsyncClient, world: World
) -> None:
    await register(client, world)
    key, codes = await turn_on(client, world)
    assert "On:" in (await client.get("/account")).text
    await submit(client, "/account", "/signout", {})

    world.clock.advance(seconds=60)
    r = await sign_in(client, "ana@example.com", PW)
    assert r.headers["location"].startswith("/signin/two-step")
    assert "ew_session" not in r.cookies
    page = await client.get("/signin/two-step")
    assert "Use a backup method" in page.text and "Enter OTP" in page.text
    r = await client.post(
        "/signin/two-step",
        data={
            "csrf": csrf_of(page.text),
            "method": "app",
            "code": totp.totp(key, totp.step_at(world.clock.now())),
        },
    )
    assert r.status_code == 303 and r.headers["location"] == "/account"
    assert (await client.get("/account")).status_code == 200

    await submit(client, "/account", "/signout", {})
    await sign_in(client, "ana@example.com", PW)
    page = await client.get("/signin/two-step?method=backup")
    assert "Enter backup code" in page.text
    r = await client.post(
        "/signin/two-step",
        data={"csrf": csrf_of(page.text), "method": "backup", "code": codes[0].upper()},
    )
    assert r.status_code == 303
    assert (await client.get("/account")).status_code == 200


async def test_security_21_partial_session_reaches_only_the_second_step(
    client: httpx.AsyncClient, world: World
) -> None:
    await register(client, world)
    await turn_on(client, world)
    await submit(client, "/account", "/signout", {})
    await sign_in(client, "ana@example.com", PW)
    partial = client.cookies.get("ew_partial")
    assert partial
    for path in ("/account", "/account/messages", "/account/two-step", "/account/name"):
        r = await client.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/signin"), path
    client.cookies.set("ew_session", partial, domain="us.localhost")
    assert (await client.get("/account")).status_code == 303
    auth = {"authorization": f"Bearer {partial}"}
    assert (await client.get("/api/v1/account", headers=auth)).status_code == 401
    assert (await client.get("/api/v1/account/two-step", headers=auth)).status_code == 401
    page = await client.get("/signin/two-step")
    await client.post("/signin/two-step/cancel", data={"csrf": csrf_of(page.text)})
    assert (await client.get("/signin/two-step")).headers["location"] == "/signin"


async def test_api_two_step(client: httpx.AsyncClient, world: World) -> None:
    r = await client.post(
        "/api/v1/registrations",
        json={"name": "Ana", "identifier": "ana@example.com", "password": PW, "password_again": PW},
    )
    r = await client.post(
        "/api/v1/registrations/verify",
        json={"flow_id": r.json()["flow_id"], "code": await world.code("ana@example.com")},
    )
    auth = {"authorization": f"Bearer {r.json()['session_token']}"}
    r = await client.post("/api/v1/account/two-step/apps", headers=auth)
    assert r.status_code == 201 and r.json()["otpauth_uri"].startswith("otpauth://totp/")
    key = totp.parse_key(r.json()["key"])
    r = await client.post(
        "/api/v1/account/two-step/apps/verify",
        headers=auth,
        json={
            "factor_id": r.json()["factor_id"],
            "code": totp.totp(key, totp.step_at(world.clock.now())),
        },
    )
    assert r.status_code == 200 and len(r.json()["backup_codes"]) == 10
    backup = r.json()["backup_codes"]

    r = await client.post("/api/v1/sign-in", json={"identifier": "ana@example.com", "password": PW})
    assert r.json()["next"] == "two_step" and "session_token" not in r.json()
    partial = {"authorization": f"Bearer {r.json()['partial_token']}"}
    r = await client.post("/api/v1/sign-in/two-step", headers=partial, json={"code": "000000"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "code_rejected"
    r = await client.post(
        "/api/v1/sign-in/two-step",
        headers=partial,
        json={"code": backup[3], "method": "backup"},
    )
    assert r.status_code == 200
    new_auth = {"authorization": f"Bearer {r.json()['session_token']}"}
    info = (await client.get("/api/v1/account/two-step", headers=new_auth)).json()
    assert info["enabled"] and info["backup_codes_left"] == 9

    world.clock.advance(minutes=11)
    r = await client.post("/api/v1/account/two-step/off", headers=new_auth)
    assert r.status_code == 403
    r = await client.post("/api/v1/account/reauthenticate", headers=new_auth, json={"password": PW})
    assert r.status_code == 204
    assert (await client.post("/api/v1/account/two-step/off", headers=new_auth)).status_code == 204
    r = await client.post("/api/v1/sign-in", json={"identifier": "ana@example.com", "password": PW})
    assert "session_token" in r.json()


async def test_settings_ask_for_the_password_again_after_ten_minutes(
    client: httpx.AsyncClient, world: World
) -> None:
    await register(client, world)
    world.clock.advance(minutes=11)
    page = await client.get("/account/two-step")
    assert "Confirm your password" in page.text
    r = await client.post(
        "/account/reauth",
        data={
            "csrf": csrf_of(page.text),
            "password": "wrong-password-1",
            "back": "/account/two-step",
        },
    )
    assert r.status_code == 422
    r = await client.post(
        "/account/reauth",
        data={"csrf": csrf_of(page.text), "password": PW, "back": "/account/two-step"},
    )
    assert r.headers["location"] == "/account/two-step"
    page = await client.get("/account/two-step")
    assert "Two-Step Verification (2SV) Settings" in page.text and "is <strong>off" in page.text


async def test_backup_codes_download_is_a_text_file(
    client: httpx.AsyncClient, world: World
) -> None:
    await register(client, world)
    _, codes = await turn_on(client, world)
    page = await client.get("/account/two-step")
    r = await follow(
        client,
        await client.post("/account/two-step/backup-codes", data={"csrf": csrf_of(page.text)}),
    )
    fresh = re.findall(r"<li><code>([0-9a-z-]+)</code></li>", r.text)
    assert len(fresh) == 10 and set(fresh).isdisjoint(codes)
    r = await client.post(
        "/account/two-step/backup-codes.txt", data={"csrf": csrf_of(r.text), "codes": fresh}
    )
    assert r.headers["content-disposition"].startswith("attachment")
    assert all(c in r.text for c in fresh)


async def test_remembered_browser_and_contact_through_the_pages(
    client: httpx.AsyncClient, world: World
) -> None:
    await register(client, world)
    key, _ = await turn_on(client, world)
    await submit(client, "/account", "/signout", {})
    world.clock.advance(seconds=60)
    await sign_in(client, "ana@example.com", PW)
    page = await client.get("/signin/two-step")
    assert "Don't require OTP on this browser" in page.text
    assert "contact Customer Service" in page.text
    r = await client.post(
        "/signin/two-step",
        data={
            "csrf": csrf_of(page.text),
            "method": "app",
            "remember_browser": "yes",
            "code": totp.totp(key, totp.step_at(world.clock.now())),
        },
    )
    assert "ew_browser" in r.cookies
    account_page = await client.get("/account")
    assert "Remembered browsers" in account_page.text and "Forget all browsers" in account_page.text
    await submit(client, "/account", "/signout", {})
    r = await sign_in(client, "ana@example.com", PW)
    assert r.headers["location"] == "/account"  # no challenge on a remembered browser

    await submit(client, "/account", "/account/browsers/forget-all", {})
    await submit(client, "/account", "/signout", {})
    r = await sign_in(client, "ana@example.com", PW)
    assert r.headers["location"].startswith("/signin/two-step")
    form = await client.get("/signin/two-step/help")
    assert "Contact Customer Service" in form.text and "ana@example.com" not in form.text
    done = await follow(
        client,
        await client.post(
            "/signin/two-step/help",
            data={"csrf": csrf_of(form.text), "message": "My phone was stolen."},
        ),
    )
    assert re.search(r"Your case number is <strong>\d{8}</strong>", done.text)
    assert "ana@example.com" not in done.text


async def test_phone_method_through_the_pages_and_api(
    client: httpx.AsyncClient, world: World
) -> None:
    await register(client, world)
    page = await client.get("/account/two-step/phone")
    assert "Mobile phone number" in page.text
    r = await follow(
        client,
        await client.post(
            "/account/two-step/phone",
            data={"csrf": csrf_of(page.text), "identifier": "201 555 0147", "channel": "sms"},
        ),
    )
    assert "•••-•••-0147" in r.text and "Enter OTP" in r.text
    r = await follow(
        client,
        await client.post(
            "/account/two-step/phone/verify",
            data={"csrf": csrf_of(r.text), "code": await world.code("+12015550147")},
        ),
    )
    assert "Your backup codes" in r.text
    await submit(client, "/account", "/signout", {})

    await sign_in(client, "ana@example.com", PW)
    page = await client.get("/signin/two-step")
    assert "Text me a code" in page.text and "•••-•••-0147" in page.text
    phone_id = re.search(r'name="phone_id" value="([^"]+)"', page.text)
    assert phone_id is not None
    r = await follow(
        client,
        await client.post(
            "/signin/two-step/send",
            data={"csrf": csrf_of(page.text), "phone_id": phone_id.group(1), "channel": "sms"},
        ),
    )
    assert "We've texted" in r.text and "Enter OTP" in r.text
    r = await client.post(
        "/signin/two-step",
        data={"csrf": csrf_of(r.text), "method": "phone", "code": await world.code("+12015550147")},
    )
    assert r.status_code == 303 and (await client.get("/account")).status_code == 200

    r = await client.post("/api/v1/sign-in", json={"identifier": "ana@example.com", "password": PW})
    partial = {"authorization": f"Bearer {r.json()['partial_token']}"}
    options = (await client.get("/api/v1/sign-in/two-step/options", headers=partial)).json()
    assert options["phones"][0]["masked"] == "•••-•••-0147" and not options["app"]
    r = await client.post(
        "/api/v1/sign-in/two-step/send",
        headers=partial,
        json={"phone_id": options["phones"][0]["id"], "channel": "sms"},
    )
    assert r.json() == {"sent_to": "•••-•••-0147"}
    r = await client.post(
        "/api/v1/sign-in/two-step",
        headers=partial,
        json={
            "method": "phone",
            "code": await world.code("+12015550147"),
        },
    )
    assert r.status_code == 200 and r.json()["session_token"], r.text
    methods = await client.get("/signin/two-step/methods")
    assert methods.status_code == 303  # no partial session any more
