"""The authorization endpoint as the OpenID conformance suite's Basic and Config OP plans
probe it: redirects only to registered URIs, PKCE S256 required, iss on every redirect,
prompt and max_age, consent for third-party apps, the sign-in pages' CSP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.oidc.discovery import OpenIDProviderMetadata

from entryway.adapters.clock import FrozenClock
from entryway.adapters.mail import MemoryMailer
from entryway.adapters.sms import MemoryTexter
from entryway.bootstrap import app_for, build
from entryway.errors import Unauthenticated
from entryway.flows.account import account
from entryway.settings import demo_sites
from tests.conftest import World
from tests.conftest import test_settings as settings_for
from tests.web.helpers import csrf_of, register
from tests.web.oidc_helpers import (
    PASSWORD,
    REDIRECT,
    authorize_url,
    code_for,
    exchange,
    new_app,
    pkce,
    query_of,
    verified_claims,
)

ISS = "http://us.localhost:8000"


async def _customer(client: httpx.AsyncClient, world: object) -> None:
    await register(client, world, password=PASSWORD)
    me = await client.get("/account")
    assert me.status_code == 200, "the new customer is signed in"


async def test_discovery_names_this_sites_endpoints_and_only_s256(
    client, world, monkeypatch
) -> None:
    meta = (await client.get("/.well-known/openid-configuration")).json()
    assert meta["issuer"] == ISS
    assert meta["authorization_endpoint"] == ISS + "/oauth/authorize"
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["response_types_supported"] == ["code"]
    assert meta["authorization_response_iss_parameter_supported"] is True
    assert "implicit" not in meta["grant_types_supported"]
    # authlib's Discovery 1.0 §3 checks; the test sites are plain http, which it would refuse.
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    OpenIDProviderMetadata(meta).validate()
    uk = await client.get(
        "/.well-known/openid-configuration", headers={"host": "uk.localhost:8000"}
    )
    assert uk.json()["issuer"] == "http://uk.localhost:8000"


async def test_jwks_has_both_algorithms_and_no_private_part(client, world) -> None:
    await new_app(world)
    found = (await client.get("/oauth/jwks")).json()["keys"]
    assert {k["alg"] for k in found} >= {"RS256", "ES256"}
    for key in found:
        assert key["kid"] and key["use"] == "sig"
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)


async def test_unregistered_redirect_uri_gets_a_page_never_a_redirect(client, world) -> None:
    app, _ = await new_app(world)
    _, challenge = pkce()
    for uri in ("http://evil.example/cb", REDIRECT + "/more", REDIRECT + "?x=1"):
        r = await client.get(authorize_url(app, challenge, redirect_uri=uri))
        assert r.status_code == 400 and "location" not in r.headers, uri
        assert "registered for it" in r.text and "evil" not in r.text
    missing = await client.get(authorize_url(app, challenge, redirect_uri=None))
    assert missing.status_code == 400 and "location" not in missing.headers


async def test_unknown_client_gets_a_page(client, world) -> None:
    _, challenge = pkce()
    r = await client.get(
        "/oauth/authorize?response_type=code&client_id=nobody&scope=openid"
        f"&redirect_uri={REDIRECT}&code_challenge={challenge}&code_challenge_method=S256"
    )
    assert r.status_code == 400 and "location" not in r.headers


async def test_pkce_missing_or_plain_is_refused_with_iss_and_state(client, world) -> None:
    app, _ = await new_app(world)
    await _customer(client, world)
    verifier, challenge = pkce()
    for extra in (
        {"code_challenge": None, "code_challenge_method": None},
        {"code_challenge_method": "plain", "code_challenge": verifier},
        {"code_challenge_method": None},
    ):
        r = await client.get(authorize_url(app, challenge, **extra))
        assert r.status_code == 302, extra
        got = query_of(r.headers["location"])
        assert got["error"] == "invalid_request", got
        assert got["iss"] == ISS and got["state"] == "st-123"
        assert "code" not in got


async def test_implicit_and_hybrid_are_refused_with_iss(client, world) -> None:
    app, _ = await new_app(world)
    await _customer(client, world)
    _, challenge = pkce()
    for response_type in ("token", "id_token", "code id_token", "code token"):
        r = await client.get(authorize_url(app, challenge, response_type=response_type))
        assert r.status_code == 302, response_type
        got = query_of(r.headers["location"])
        assert got["error"] in ("unsupported_response_type", "unauthorized_client"), got
        assert got["iss"] == ISS
        assert "#" not in r.headers["location"]


async def test_signed_out_customer_signs_in_on_our_pages_and_comes_back(client, world) -> None:
    app, secret = await new_app(world)
    await register(client, world, password=PASSWORD)
    await client.post("/signout", data={"csrf": csrf_of((await client.get("/account")).text)})
    verifier, challenge = pkce()
    first = await client.get(authorize_url(app, challenge, login_hint="ana@example.com"))
    assert first.status_code == 303
    target = first.headers["location"]
    assert target.startswith("/signin?")
    form = await client.get(target)
    assert 'value="ana@example.com"' in form.text  # login_hint prefills, nothing more
    back = parse_qs(urlsplit(target).query)["return_to"][0]
    assert back.startswith("/oauth/authorize?") and "ew_t=" in back
    # The sign-in form's redirect chain ends at the app: its origin is in form-action.
    assert (
        "form-action 'self' http://shop.localhost:8000" in form.headers["content-security-policy"]
    )
    plain = await client.get("/signin")
    assert "shop.localhost" not in plain.headers["content-security-policy"]
    done = await sign_in_to(client, back)
    assert done.status_code == 303 and done.headers["location"] == back
    code = await code_for(client, app, challenge)
    r = await exchange(client, app, secret, code, verifier)
    assert r.status_code == 200, r.text
    claims = await verified_claims(client, r.json()["id_token"])
    assert claims["nonce"] == "n-456" and claims["iss"] == ISS and claims["aud"] == app.id
    assert claims["amr"] == ["pwd"] and claims["acr"] == "1" and claims["sid"]
    assert claims["email"] == "ana@example.com" and claims["name"] == "Ana Lopez"


async def sign_in_to(client: httpx.AsyncClient, back: str) -> httpx.Response:
    """Sign in through the pages carrying ``back`` as return_to."""
    page = await client.get("/signin", params={"return_to": back})
    r = await client.post(
        "/signin",
        data={"csrf": csrf_of(page.text), "identifier": "ana@example.com", "return_to": back},
    )
    assert r.status_code == 303, r.text
    pw = await client.get(r.headers["location"])
    return await client.post(
        "/signin/password",
        data={"csrf": csrf_of(pw.text), "password": PASSWORD, "return_to": back},
    )


async def test_prompt_none_signed_out_is_login_required_and_signed_in_is_a_code(
    client, world
) -> None:
    app, _ = await new_app(world)
    _, challenge = pkce()
    r = await client.get(authorize_url(app, challenge, prompt="none"))
    assert r.status_code == 302
    got = query_of(r.headers["location"])
    assert got["error"] == "login_required" and got["iss"] == ISS and got["state"] == "st-123"
    await _customer(client, world)
    assert await code_for(client, app, challenge, prompt="none")


async def test_max_age_forces_a_new_sign_in_once(client, world) -> None:
    app, secret = await new_app(world)
    await _customer(client, world)
    world.clock.advance(seconds=5)
    verifier, challenge = pkce()
    r = await client.get(authorize_url(app, challenge, max_age="1"))
    assert r.status_code == 303 and r.headers["location"].startswith("/signin?")
    back = parse_qs(urlsplit(r.headers["location"]).query)["return_to"][0]
    form = await client.get("/signin", params={"return_to": back})
    assert form.status_code == 200, "signed in, yet shown the form: a new sign-in is due"
    world.clock.advance(seconds=1)
    await sign_in_to(client, back)
    world.clock.advance(seconds=3)  # the sign-in for this request still counts
    again = await client.get(back)
    assert again.status_code == 302 and "code=" in again.headers["location"]
    code = query_of(again.headers["location"])["code"]
    token = (await exchange(client, app, secret, code, verifier)).json()
    claims = await verified_claims(client, token["id_token"])
    assert claims["auth_time"] == int(world.clock.now().timestamp()) - 3


async def test_prompt_login_asks_again_even_when_signed_in(client, world) -> None:
    app, secret = await new_app(world)
    await _customer(client, world)
    verifier, challenge = pkce()
    first = (
        await exchange(client, app, secret, await code_for(client, app, challenge), verifier)
    ).json()
    old_cookie = client.cookies["ew_session"]
    r = await client.get(authorize_url(app, challenge, prompt="login"))
    assert r.status_code == 303 and r.headers["location"].startswith("/signin?")
    back = parse_qs(urlsplit(r.headers["location"]).query)["return_to"][0]
    assert (await client.get("/signin", params={"return_to": back})).status_code == 200
    world.clock.advance(seconds=1)
    await sign_in_to(client, back)
    again = await client.get(back)
    assert again.status_code == 302 and "code=" in again.headers["location"]
    code = query_of(again.headers["location"])["code"]
    second = (await exchange(client, app, secret, code, verifier)).json()
    # The fresh sign-in replaced the browser's session: the same sid goes on, the old
    # cookie opens nothing, and signing out ends the tokens of both sign-ins.
    before = await verified_claims(client, first["id_token"])
    after = await verified_claims(client, second["id_token"])
    assert after["sid"] == before["sid"] and after["auth_time"] > before["auth_time"]
    with pytest.raises(Unauthenticated):
        await account.current(world.deps, "us", old_cookie)
    await client.post("/signout", data={"csrf": csrf_of((await client.get("/account")).text)})
    for tokens in (first, second):
        bearer = {"authorization": f"Bearer {tokens['access_token']}"}
        assert (await client.get("/oauth/userinfo", headers=bearer)).status_code == 401


@pytest.fixture
async def https_client(database_url: tuple[str, str | None]) -> AsyncIterator[tuple]:
    """The demo sites served over https, where cookies are ``__Host-`` prefixed."""
    url, schema = database_url
    clock, mailer, texter = FrozenClock(), MemoryMailer(), MemoryTexter()
    sites = [
        replace(s, base_url=s.base_url.replace("http://", "https://")) for s in demo_sites(8000)
    ]
    runtime = build(settings_for(url, sites=sites), clock=clock, mailer=mailer, texter=texter,
                    schema=schema)  # fmt: skip
    world = World(runtime=runtime, clock=clock, mailer=mailer, texter=texter)
    transport = httpx.ASGITransport(app=app_for(runtime, deliver=False), client=("203.0.113.7", 1))
    async with httpx.AsyncClient(
        transport=transport, base_url="https://us.localhost:8000", follow_redirects=False
    ) as client:
        yield client, world
    await runtime.close()


async def test_prompt_login_replaces_the_session_on_an_https_site_too(https_client) -> None:
    client, world = https_client
    app, secret = await new_app(world)
    await _customer(client, world)
    assert "__Host-ew_session" in client.cookies
    verifier, challenge = pkce()
    first = (
        await exchange(client, app, secret, await code_for(client, app, challenge), verifier)
    ).json()
    r = await client.get(authorize_url(app, challenge, prompt="login"))
    back = parse_qs(urlsplit(r.headers["location"]).query)["return_to"][0]
    world.clock.advance(seconds=1)
    await sign_in_to(client, back)
    full = await world.runtime.db.run_sql("SELECT public_id FROM sessions WHERE level = 'full'")
    assert len(full) == 1
    await client.post("/signout", data={"csrf": csrf_of((await client.get("/account")).text)})
    bearer = {"authorization": f"Bearer {first['access_token']}"}
    assert (await client.get("/oauth/userinfo", headers=bearer)).status_code == 401


async def test_a_forged_or_old_ticket_does_not_skip_prompt_login(client, world) -> None:
    app, _ = await new_app(world)
    await _customer(client, world)
    _, challenge = pkce()
    r = await client.get(authorize_url(app, challenge, prompt="login"))
    back = parse_qs(urlsplit(r.headers["location"]).query)["return_to"][0]
    forged = back.replace("ew_t=", "ew_t=1")
    assert (await client.get(forged)).status_code == 303  # to sign in again
    world.clock.advance(hours=2)
    assert (await client.get(back)).status_code == 303


async def test_unknown_parameters_are_ignored(client, world) -> None:
    app, _ = await new_app(world)
    await _customer(client, world)
    _, challenge = pkce()
    assert await code_for(client, app, challenge, foo="bar", ui_locales="xx", claims_x="1")


async def test_scope_without_openid_is_invalid_scope_with_iss(client, world) -> None:
    app, _ = await new_app(world)
    await _customer(client, world)
    _, challenge = pkce()
    r = await client.get(authorize_url(app, challenge, scope="email profile"))
    got = query_of(r.headers["location"])
    assert got["error"] == "invalid_scope" and got["iss"] == ISS


async def test_third_party_app_asks_once_and_cancel_is_access_denied(client, world) -> None:
    app, _ = await new_app(world, first_party=False, name="Coupon Pal")
    await _customer(client, world)
    _, challenge = pkce()
    ask = await client.get(authorize_url(app, challenge))
    assert ask.status_code == 200
    assert "Allow Coupon Pal to …" in ask.text and "see your email address" in ask.text
    assert "form-action 'self' http://shop.localhost:8000" in ask.headers["content-security-policy"]
    sealed = ask.text.split('name="request" value="')[1].split('"')[0].replace("&amp;", "&")
    no = await client.post(
        "/oauth/authorize/consent",
        data={"csrf": csrf_of(ask.text), "request": sealed, "decision": "cancel"},
    )
    got = query_of(no.headers["location"])
    assert got["error"] == "access_denied" and got["iss"] == ISS and got["state"] == "st-123"
    yes = await client.post(
        "/oauth/authorize/consent",
        data={"csrf": csrf_of(ask.text), "request": sealed, "decision": "allow"},
    )
    assert yes.status_code == 302 and "code=" in yes.headers["location"]
    # Remembered: the next request of the same scopes goes straight back with a code.
    assert await code_for(client, app, challenge)
    # A wider scope asks again; prompt=none then says consent_required.
    wider = await client.get(authorize_url(app, challenge, scope="openid phone", prompt="none"))
    assert query_of(wider.headers["location"])["error"] == "consent_required"


async def test_consent_post_without_csrf_or_with_a_tampered_request_is_refused(
    client, world
) -> None:
    app, _ = await new_app(world, first_party=False)
    await _customer(client, world)
    _, challenge = pkce()
    ask = await client.get(authorize_url(app, challenge))
    sealed = ask.text.split('name="request" value="')[1].split('"')[0].replace("&amp;", "&")
    no_csrf = await client.post(
        "/oauth/authorize/consent", data={"request": sealed, "decision": "allow"}
    )
    assert no_csrf.status_code == 403
    tampered = sealed.replace("scope=openid", "scope=openid+phone")
    bad = await client.post(
        "/oauth/authorize/consent",
        data={"csrf": csrf_of(ask.text), "request": tampered, "decision": "allow"},
    )
    assert bad.status_code == 400 and "location" not in bad.headers


async def test_a_client_of_one_site_is_unknown_on_another(client, world) -> None:
    app, _ = await new_app(world, site="us")
    _, challenge = pkce()
    r = await client.get(authorize_url(app, challenge), headers={"host": "uk.localhost:8000"})
    assert r.status_code == 400 and "location" not in r.headers


async def test_the_code_redirect_is_not_cached(client, world) -> None:
    app, _ = await new_app(world)
    await _customer(client, world)
    _, challenge = pkce()
    r = await client.get(authorize_url(app, challenge))
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["location"].startswith(REDIRECT)


async def test_request_objects_are_refused_by_name_with_iss(client, world) -> None:
    app, _ = await new_app(world)
    await _customer(client, world)
    _, challenge = pkce()
    for name, error in (("request", "request_not_supported"),
                        ("request_uri", "request_uri_not_supported")):  # fmt: skip
        r = await client.get(authorize_url(app, challenge, **{name: "x"}))
        got = query_of(r.headers["location"])
        assert got["error"] == error and got["iss"] == ISS and "code" not in got


async def test_an_apps_long_or_odd_state_survives_the_sign_in(client, world) -> None:
    """The sealed request goes back to /oauth/authorize whatever the app put in its state
    (a long JWT-like one, a backslash, an encoded newline): only our ticket is checked."""
    app, _ = await new_app(world)
    await register(client, world, password=PASSWORD)
    await client.post("/signout", data={"csrf": csrf_of((await client.get("/account")).text)})
    _, challenge = pkce()
    for state in ("a\\b%0Ac", "s" * 3000):
        r = await client.get(authorize_url(app, challenge, state=state))
        back = parse_qs(urlsplit(r.headers["location"]).query)["return_to"][0]
        done = await sign_in_to(client, back)
        assert done.headers["location"] == back
        again = await client.get(back)
        assert query_of(again.headers["location"])["state"] == state
        await client.post("/signout", data={"csrf": csrf_of((await client.get("/account")).text)})
    # A return_to that is not ours is still held to the plain rules.
    done = await sign_in_to(client, "/oauth/authorize?x=1\\y")
    assert done.headers["location"] == "/account"
