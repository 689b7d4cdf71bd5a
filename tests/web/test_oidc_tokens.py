"""The token, userinfo, revocation and introspection endpoints: single-use codes, refresh
rotation with its grace period, tokens stored only as hashes, sites kept apart."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx

from entryway.flows.apps import grants
from entryway.flows.apps.records import Consent
from tests.web.helpers import register
from tests.web.oidc_helpers import (
    PASSWORD,
    code_for,
    exchange,
    new_app,
    pkce,
    refresh,
    verified_claims,
)


async def _tokens(client: httpx.AsyncClient, world: object, **app_extra: object) -> tuple:
    app, secret = await new_app(world, **app_extra)
    await register(client, world, password=PASSWORD)
    verifier, challenge = pkce()
    code = await code_for(client, app, challenge)
    r = await exchange(client, app, secret, code, verifier)
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    return app, secret, r.json(), code, verifier


async def test_wrong_verifier_is_invalid_grant(client, world) -> None:
    app, secret = await new_app(world)
    await register(client, world, password=PASSWORD)
    _, challenge = pkce()
    code = await code_for(client, app, challenge)
    other, _ = pkce()
    r = await exchange(client, app, secret, code, other)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    missing = await client.post(
        "/oauth/token",
        data={"grant_type": "authorization_code", "code": code,
              "redirect_uri": "http://shop.localhost:8000/callback"},
        auth=(app.id, secret),
    )  # fmt: skip
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"


async def test_code_replay_is_refused_and_revokes_the_first_tokens(client, world) -> None:
    app, secret, first, code, verifier = await _tokens(client, world)
    auth = {"authorization": "Bearer " + first["access_token"]}
    assert (await client.get("/oauth/userinfo", headers=auth)).status_code == 200
    again = await exchange(client, app, secret, code, verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert (await client.get("/oauth/userinfo", headers=auth)).status_code == 401
    assert (await refresh(client, app, secret, first["refresh_token"])).status_code == 400


async def test_an_expired_code_is_refused(client, world) -> None:
    app, secret = await new_app(world)
    await register(client, world, password=PASSWORD)
    verifier, challenge = pkce()
    code = await code_for(client, app, challenge)
    world.clock.advance(seconds=61)
    r = await exchange(client, app, secret, code, verifier)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


async def test_client_authentication_methods(client, world) -> None:
    app, secret = await new_app(world)
    await register(client, world, password=PASSWORD)
    verifier, challenge = pkce()
    code = await code_for(client, app, challenge)
    data = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier,
            "redirect_uri": "http://shop.localhost:8000/callback", "client_id": app.id}  # fmt: skip
    wrong = await client.post("/oauth/token", data={**data, "client_secret": "nope"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    none = await client.post("/oauth/token", data=data)  # a confidential app must authenticate
    assert none.status_code == 401
    posted = await client.post("/oauth/token", data={**data, "client_secret": secret})
    assert posted.status_code == 200, posted.text


async def test_a_public_app_uses_pkce_without_a_secret(client, world) -> None:
    app, secret = await new_app(world, public=True)
    assert secret is None
    await register(client, world, password=PASSWORD)
    verifier, challenge = pkce()
    code = await code_for(client, app, challenge)
    r = await exchange(client, app, None, code, verifier)
    assert r.status_code == 200, r.text


async def test_userinfo_by_header_by_post_and_by_body(client, world) -> None:
    _, _, tokens, _, _ = await _tokens(client, world)
    access = tokens["access_token"]
    auth = {"authorization": "Bearer " + access}
    by_get = await client.get("/oauth/userinfo", headers=auth)
    by_post = await client.post("/oauth/userinfo", headers=auth)
    by_body = await client.post("/oauth/userinfo", data={"access_token": access})
    assert by_get.json() == by_post.json() == by_body.json()
    claims = by_get.json()
    assert claims["email"] == "ana@example.com" and claims["email_verified"] is True
    assert "phone_number" not in claims  # the phone scope was not asked for
    assert len(claims["sub"]) == 32 and "ana" not in claims["sub"]
    both = await client.post("/oauth/userinfo", headers=auth, data={"access_token": access})
    assert both.status_code == 400
    none = await client.get("/oauth/userinfo")
    assert none.status_code == 401 and none.headers["www-authenticate"] == "Bearer"


async def test_a_token_of_one_site_is_refused_by_another(client, world) -> None:
    _, _, tokens, _, _ = await _tokens(client, world)
    r = await client.get(
        "/oauth/userinfo",
        headers={"authorization": "Bearer " + tokens["access_token"], "host": "uk.localhost:8000"},
    )
    assert r.status_code == 401


async def test_refresh_rotates_and_reuse_after_the_grace_revokes_the_grant(client, world) -> None:
    app, secret, tokens, _, _ = await _tokens(client, world)
    first = tokens["refresh_token"]
    r1 = await refresh(client, app, secret, first)
    assert r1.status_code == 200, r1.text
    second = r1.json()["refresh_token"]
    assert second != first
    claims = await verified_claims(client, r1.json()["id_token"])
    assert "nonce" not in claims
    retry = await refresh(client, app, secret, first)  # within the grace: a sibling
    assert retry.status_code == 200 and retry.json()["refresh_token"] not in (first, second)
    world.clock.advance(seconds=6)
    late = await refresh(client, app, secret, first)
    assert late.status_code == 400 and late.json()["error"] == "invalid_grant"
    # The whole grant is gone: the newest tokens too.
    assert (await refresh(client, app, secret, second)).status_code == 400
    auth = {"authorization": "Bearer " + r1.json()["access_token"]}
    assert (await client.get("/oauth/userinfo", headers=auth)).status_code == 401


async def test_twenty_parallel_refreshes_stay_one_family(client, world) -> None:
    app, secret, tokens, _, _ = await _tokens(client, world)
    answers = await asyncio.gather(
        *(refresh(client, app, secret, tokens["refresh_token"]) for _ in range(20))
    )
    ok = [a.json() for a in answers if a.status_code == 200]
    assert ok, [a.text for a in answers]
    assert len({a["refresh_token"] for a in ok}) == len(ok)  # never the same token twice
    grants = await world.runtime.db.run_sql("SELECT id, revoked_at FROM oidc_grants")
    assert len(grants) == 1 and grants[0][1] is None  # one family, still live
    families = await world.runtime.db.run_sql(
        "SELECT COUNT(DISTINCT grant_id) FROM oidc_tokens WHERE kind = 'refresh'"
    )
    assert families[0][0] == 1


async def test_a_first_party_refresh_without_offline_access_lasts_as_long_as_its_session(
    client, world
) -> None:
    app, secret, tokens, _, _ = await _tokens(client, world)
    current = tokens["refresh_token"]
    for _ in range(3):  # the customer still uses the site now and then
        world.clock.advance(minutes=20)
        assert (await client.get("/account")).status_code == 200
        r = await refresh(client, app, secret, current)
        assert r.status_code == 200, r.text
        current = r.json()["refresh_token"]
    world.clock.advance(minutes=31)  # the app refreshes, the customer is gone: idle timeout
    assert await grants.refresh_holder(world.deps, "us", current) is None  # introspection
    over = await refresh(client, app, secret, current)
    assert over.status_code == 400 and over.json()["error"] == "invalid_grant"
    assert (await client.get("/account")).status_code == 303  # the app kept nothing alive
    revoked = await world.runtime.db.run_sql("SELECT revoked_at FROM oidc_grants")
    assert revoked[0][0] is not None


async def test_refresh_tokens_come_with_offline_access_for_third_party_apps(client, world) -> None:
    app, secret = await new_app(world, first_party=False)
    await register(client, world, password=PASSWORD)
    account_id = str((await world.runtime.db.run_sql("SELECT id FROM accounts LIMIT 1"))[0][0])
    async with world.deps.uow() as uow:  # allowed before, so no consent page
        now = world.clock.now()
        await uow.apps.save_consent(
            Consent(site="us", account_id=account_id, app_id=app.id,
                    scopes=["email", "offline_access", "openid", "profile"],
                    granted_at=now, expires_at=now + timedelta(days=1))
        )  # fmt: skip
        await uow.commit()
    verifier, challenge = pkce()
    code = await code_for(client, app, challenge)
    without = (await exchange(client, app, secret, code, verifier)).json()
    assert "refresh_token" not in without
    verifier, challenge = pkce()
    code = await code_for(client, app, challenge, scope="openid email offline_access")
    with_offline = (await exchange(client, app, secret, code, verifier)).json()
    assert with_offline["refresh_token"]


async def test_revocation_of_refresh_ends_the_grant_and_of_access_only_itself(
    client, world
) -> None:
    app, secret, tokens, _, _ = await _tokens(client, world)
    auth = {"authorization": "Bearer " + tokens["access_token"]}
    unknown = await client.post("/oauth/revoke", data={"token": "nope"}, auth=(app.id, secret))
    assert unknown.status_code == 200
    r = await client.post(
        "/oauth/revoke", data={"token": tokens["access_token"]}, auth=(app.id, secret)
    )
    assert r.status_code == 200
    assert (await client.get("/oauth/userinfo", headers=auth)).status_code == 401
    fresh = await refresh(client, app, secret, tokens["refresh_token"])
    assert fresh.status_code == 200
    await client.post(
        "/oauth/revoke", data={"token": fresh.json()["refresh_token"]}, auth=(app.id, secret)
    )
    auth2 = {"authorization": "Bearer " + fresh.json()["access_token"]}
    assert (await client.get("/oauth/userinfo", headers=auth2)).status_code == 401


async def test_introspection_is_for_confidential_apps_about_their_own_tokens(client, world) -> None:
    app, secret, tokens, _, _ = await _tokens(client, world)
    r = await client.post(
        "/oauth/introspect", data={"token": tokens["access_token"]}, auth=(app.id, secret)
    )
    body = r.json()
    assert body["active"] is True and body["client_id"] == app.id and body["sid"]
    other, other_secret = await new_app(world, name="Other")
    theirs = await client.post(
        "/oauth/introspect", data={"token": tokens["access_token"]}, auth=(other.id, other_secret)
    )
    assert theirs.json() == {"active": False}
    public, _ = await new_app(world, public=True, name="Phone")
    refused = await client.post(
        "/oauth/introspect", data={"token": tokens["access_token"], "client_id": public.id}
    )
    assert refused.status_code == 401


async def test_tokens_and_codes_are_stored_only_as_hashes(client, world) -> None:
    _, _, tokens, code, _ = await _tokens(client, world)
    db = world.runtime.db
    for table in ("oidc_tokens", "oidc_grants", "oidc_apps"):
        rows = await db.run_sql(f"SELECT * FROM {table}")
        dump = repr(rows)
        for secret in (tokens["access_token"], tokens["refresh_token"], code):
            assert secret not in dump, table
