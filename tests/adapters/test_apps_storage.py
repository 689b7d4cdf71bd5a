"""The apps' storage (OIDC clients, grants, tokens, consents, signing keys) on SQLite and
(with --db=postgresql) PostgreSQL: every method of flows/apps/ports.Apps, site scoping
(SECURITY.md 40), single use of codes and refresh tokens under real races (SECURITY.md 38,
39), and the session's amr. Every task opens its own connection and transaction; values
have their real lengths, since PostgreSQL enforces String lengths and SQLite does not."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from entryway.adapters.sql.database import Database
from entryway.core.apps import TokenKind
from entryway.errors import Conflict
from entryway.flows.apps.records import App, Consent, Grant, SigningKey, Token
from entryway.flows.ports import Session
from tests.adapters.test_migrations import blank, execute, migrate
from tests.adapters.test_storage_contract import add_account, session_row
from tests.conftest import World

__all__ = ["blank"]  # the fixture, imported for the migration test

APP_ID = "Zm9vYmFyYmF6cXV4cXV1eHh4eXl5enp6MDEyMzQ1Njc"  # 43 characters, like token_urlsafe(32)
OTHER_APP = "acme-shop-us"


def h(name: str) -> str:
    """A keyed-hash-shaped value (64 hex characters)."""
    return hashlib.sha256(name.encode()).hexdigest()


def app(world: World, id: str = APP_ID, site: str = "us", name: str = "Acme Shop") -> App:
    return App(
        id=id,
        site=site,
        name=name,
        secret_hash=h("secret-" + id),
        redirect_uris=["https://shop.example.com/callback", "http://127.0.0.1/cb"],
        post_logout_redirect_uris=["https://shop.example.com/"],
        backchannel_logout_uri="https://shop.example.com/backchannel-logout",
        first_party=True,
        id_token_alg="ES256",
        created_at=world.clock.now(),
    )


def grant(
    world: World,
    id: str = "g1",
    site: str = "us",
    app_id: str = APP_ID,
    account_id: str = "a1",
    sid: str = "p" * 32,
    scopes: list[str] | None = None,
    age: timedelta = timedelta(0),
) -> Grant:
    now = world.clock.now()
    return Grant(
        id=id,
        site=site,
        app_id=app_id,
        account_id=account_id,
        scopes=scopes or ["openid", "profile", "email"],
        redirect_uri="https://shop.example.com/callback?x=" + "y" * 300,
        code_hash=h("code-" + id + site),
        code_expires_at=now + timedelta(seconds=60),
        code_challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        nonce="n-" + "0" * 200,
        sid=sid,
        auth_time=now - timedelta(minutes=5),
        amr=["pwd", "otp"],
        created_at=now - age,
        refresh_until=now + timedelta(days=30),
    )


def token(
    world: World,
    name: str,
    grant_id: str = "g1",
    kind: TokenKind = TokenKind.ACCESS,
    site: str = "us",
    life: timedelta = timedelta(minutes=10),
) -> Token:
    now = world.clock.now()
    return Token(
        hash=h(name), site=site, grant_id=grant_id, kind=kind, created_at=now, expires_at=now + life
    )


def key(world: World, kid: str, alg: str = "RS256", age: int = 0, **kw: Any) -> SigningKey:
    made = world.clock.now() - timedelta(hours=age)
    return SigningKey(
        kid=kid,
        alg=alg,
        private_sealed="sealed:" + "k" * 2000,
        public_jwk={"kty": "RSA", "n": "q" * 342, "e": "AQAB", "kid": kid},
        created_at=made,
        active_from=made,
        **kw,
    )


async def store(world: World, *records: Any) -> None:
    """Add records in one committed transaction, each with its own add method."""
    adders = {App: "add_app", Grant: "add_grant", Token: "add_token"}
    adders |= {Consent: "save_consent", SigningKey: "add_key"}
    async with world.deps.uow() as uow:
        for record in records:
            await getattr(uow.apps, adders[type(record)])(record)
        await uow.commit()


async def run(world: World, method: str, *args: Any, **kw: Any) -> Any:
    """One committed call of ``uow.apps.<method>``."""
    async with world.deps.uow() as uow:
        result = await getattr(uow.apps, method)(*args, **kw)
        await uow.commit()
    return result


async def with_grant(world: World) -> None:
    await store(world, app(world), grant(world))


# --- clients -------------------------------------------------------------------------------


async def test_an_app_round_trips_and_is_unknown_on_another_site(world: World) -> None:
    a = app(world)
    await store(world, a, app(world, OTHER_APP, name="Acme Outlet"))
    await store(world, app(world, "uk-app", site="uk", name="Acme UK"))
    assert await run(world, "get_app", "us", APP_ID) == a
    assert await run(world, "get_app", "uk", APP_ID) is None
    # By site, then name ("Acme Outlet" before "Acme Shop"), whatever the ids.
    assert [x.id for x in await run(world, "list_apps")] == ["uk-app", OTHER_APP, APP_ID]
    assert [x.id for x in await run(world, "list_apps", "us")] == [OTHER_APP, APP_ID]
    assert await run(world, "list_apps", "ca") == []


async def test_a_public_app_keeps_its_defaults(world: World) -> None:
    a = App(id="native", site="us", name="Acme app", secret_hash="", redirect_uris=["x:/cb"])
    a.public = True
    await store(world, a)
    assert await run(world, "get_app", "us", "native") == a


async def test_a_taken_client_id_is_a_conflict_and_the_transaction_goes_on(world: World) -> None:
    await store(world, app(world))
    async with world.deps.uow() as uow:
        with pytest.raises(Conflict):
            await uow.apps.add_app(app(world, name="Copy"))
        await uow.apps.add_app(app(world, OTHER_APP))  # still usable after the refusal
        await uow.commit()
    assert (await run(world, "get_app", "us", APP_ID)).name == "Acme Shop"
    assert await run(world, "get_app", "us", OTHER_APP) is not None


async def test_update_app_changes_one_app_of_its_site(world: World) -> None:
    await store(world, app(world))
    later = world.clock.now() + timedelta(days=1)
    assert await run(
        world, "update_app", "us", APP_ID, secret_hash=h("new"), secret_rotated_at=later
    )
    assert not await run(world, "update_app", "uk", APP_ID, secret_hash=h("x"))
    assert not await run(world, "update_app", "us", "nope", secret_hash=h("x"))
    got = await run(world, "get_app", "us", APP_ID)
    assert (got.secret_hash, got.secret_rotated_at) == (h("new"), later)
    assert await run(world, "update_app", "us", APP_ID, redirect_uris=["https://b.example/cb"])
    assert (await run(world, "get_app", "us", APP_ID)).redirect_uris == ["https://b.example/cb"]


async def test_remove_app_takes_its_grants_tokens_and_consents(world: World) -> None:
    now = world.clock.now()
    await with_grant(world)
    await store(world, app(world, OTHER_APP), grant(world, "g2", app_id=OTHER_APP))
    await store(world, token(world, "at1"), token(world, "rt1", kind=TokenKind.REFRESH))
    await store(world, token(world, "at2", grant_id="g2"))
    for app_id in (APP_ID, OTHER_APP):
        await store(world, Consent("us", "a1", app_id, ["openid"], now, now + timedelta(days=1)))
    assert not await run(world, "remove_app", "uk", APP_ID)  # another site's id: nothing
    assert await run(world, "remove_app", "us", APP_ID)
    assert not await run(world, "remove_app", "us", APP_ID)
    assert await run(world, "get_app", "us", APP_ID) is None
    assert await run(world, "get_grant", "us", "g1") is None
    assert await run(world, "find_token", "us", h("at1")) is None
    assert await run(world, "find_token", "us", h("rt1")) is None
    assert await run(world, "consent", "us", "a1", APP_ID, now) is None
    # The other app keeps everything.
    assert await run(world, "live_token", "us", h("at2"), TokenKind.ACCESS, now) is not None
    assert await run(world, "consent", "us", "a1", OTHER_APP, now) is not None


# --- grants and codes -----------------------------------------------------------------------


async def test_a_grant_round_trips_by_id_and_code_on_its_site_only(world: World) -> None:
    g = grant(world)
    await store(world, app(world), g)
    assert await run(world, "get_grant", "us", "g1") == g
    assert await run(world, "grant_by_code", "us", g.code_hash) == g
    assert await run(world, "get_grant", "uk", "g1") is None
    assert await run(world, "grant_by_code", "uk", g.code_hash) is None
    assert await run(world, "grant_by_code", "us", h("other")) is None


async def test_a_code_redeems_once_and_stays_readable(world: World) -> None:
    await with_grant(world)
    code, now = grant(world).code_hash, world.clock.now()
    assert not await run(world, "redeem_code", "uk", code, now)
    assert await run(world, "redeem_code", "us", code, now)
    assert not await run(world, "redeem_code", "us", code, now)
    used = await run(world, "grant_by_code", "us", code)
    assert used.code_used_at == now


async def test_an_expired_code_or_revoked_grant_does_not_redeem(world: World) -> None:
    await store(world, app(world), grant(world, "g1"), grant(world, "g2"))
    g1, g2 = grant(world, "g1").code_hash, grant(world, "g2").code_hash
    at_expiry = world.clock.now() + timedelta(seconds=60)
    assert not await run(world, "redeem_code", "us", g1, at_expiry)
    assert await run(world, "revoke_grant", "us", "g2", world.clock.now(), "replay")
    assert not await run(world, "redeem_code", "us", g2, world.clock.now())
    assert (await run(world, "grant_by_code", "us", g1)).code_used_at is None


async def test_security_38_20_parallel_redeems_of_one_code_exactly_one_wins(
    world: World,
) -> None:
    await with_grant(world)
    code, now = grant(world).code_hash, world.clock.now()
    results = await asyncio.gather(*(run(world, "redeem_code", "us", code, now) for _ in range(20)))
    assert results.count(True) == 1


async def test_revoke_grant_is_single_and_kills_its_tokens(world: World) -> None:
    now = world.clock.now()
    await store(world, app(world), grant(world, "g1"), grant(world, "g2"))
    await store(world, token(world, "at1"), token(world, "rt1", kind=TokenKind.REFRESH))
    await store(world, token(world, "at2", grant_id="g2"))
    assert await run(world, "live_token", "us", h("at1"), TokenKind.ACCESS, now) is not None
    assert not await run(world, "revoke_grant", "uk", "g1", now, "revoked")
    assert await run(world, "revoke_grant", "us", "g1", now, "revoked")
    assert not await run(world, "revoke_grant", "us", "g1", now, "again")
    assert await run(world, "live_token", "us", h("at1"), TokenKind.ACCESS, now) is None
    assert await run(world, "live_token", "us", h("rt1"), TokenKind.REFRESH, now) is None
    assert not await run(world, "rotate_refresh", "us", h("rt1"), now)
    g = await run(world, "get_grant", "us", "g1")
    assert (g.revoked_at, g.revoked_why) == (now, "revoked")  # the first reason stays
    found = await run(world, "find_token", "us", h("at1"))  # reuse detection still reads it
    assert found is not None and found[1].revoked_at == now
    assert await run(world, "live_token", "us", h("at2"), TokenKind.ACCESS, now) is not None


async def test_revoke_for_account_by_session_then_all(world: World) -> None:
    now = world.clock.now()
    other_sid = "q" * 32
    await store(
        world,
        app(world),
        app(world, "uk-app", site="uk"),
        grant(world, "g1", age=timedelta(hours=3)),
        grant(world, "g2", sid=other_sid, age=timedelta(hours=2)),
        grant(world, "g3", age=timedelta(hours=1)),
        grant(world, "g4", account_id="a2"),
        grant(world, "g5", site="uk", app_id="uk-app"),  # the same account id on another site
    )
    assert [x.id for x in await run(world, "live_grants", "us", "a1")] == ["g3", "g2", "g1"]
    ended = await run(world, "revoke_for_account", "us", "a1", now, "signed_out", sid="p" * 32)
    assert [x.id for x in ended] == ["g3", "g1"]
    assert all(x.revoked_at == now and x.revoked_why == "signed_out" for x in ended)
    assert [x.id for x in await run(world, "live_grants", "us", "a1")] == ["g2"]
    ended = await run(world, "revoke_for_account", "us", "a1", now, "reset")
    assert [(x.id, x.sid, x.revoked_why) for x in ended] == [("g2", other_sid, "reset")]
    assert await run(world, "revoke_for_account", "us", "a1", now, "reset") == []
    assert await run(world, "live_grants", "us", "a1") == []
    assert (await run(world, "get_grant", "us", "g1")).revoked_why == "signed_out"
    assert [x.id for x in await run(world, "live_grants", "us", "a2")] == ["g4"]
    assert [x.id for x in await run(world, "live_grants", "uk", "a1")] == ["g5"]


# --- tokens --------------------------------------------------------------------------------


async def test_a_token_round_trips_with_its_grant_and_app(world: World) -> None:
    now = world.clock.now()
    a, g, at = app(world), grant(world), token(world, "at1")
    await store(world, a, g, at)
    assert await run(world, "find_token", "us", h("at1")) == (at, g)
    assert await run(world, "find_token", "uk", h("at1")) is None
    live = await run(world, "live_token", "us", h("at1"), TokenKind.ACCESS, now)
    assert (live.token, live.grant, live.app) == (at, g, a)
    assert isinstance(live.token.kind, TokenKind)


async def test_live_token_refuses_wrong_kind_site_expiry_and_revocation(world: World) -> None:
    now = world.clock.now()
    await with_grant(world)
    await store(world, token(world, "at1"), token(world, "at2"))
    live = "live_token"
    assert await run(world, live, "us", h("at1"), TokenKind.REFRESH, now) is None
    assert await run(world, live, "uk", h("at1"), TokenKind.ACCESS, now) is None
    assert await run(world, live, "us", h("nope"), TokenKind.ACCESS, now) is None
    at_expiry = now + timedelta(minutes=10)
    assert await run(world, live, "us", h("at1"), TokenKind.ACCESS, at_expiry) is None
    assert not await run(world, "revoke_token", "uk", h("at1"), now)
    assert await run(world, "revoke_token", "us", h("at1"), now)
    assert not await run(world, "revoke_token", "us", h("at1"), now)
    assert await run(world, live, "us", h("at1"), TokenKind.ACCESS, now) is None
    assert await run(world, live, "us", h("at2"), TokenKind.ACCESS, now) is not None
    token_now, _ = await run(world, "find_token", "us", h("at1"))
    assert token_now.revoked_at == now


async def test_a_refresh_token_rotates_once_while_live(world: World) -> None:
    now = world.clock.now()
    await with_grant(world)
    refresh, day = TokenKind.REFRESH, timedelta(days=1)
    await store(world, token(world, "rt1", kind=refresh, life=day), token(world, "at1"))
    await store(world, token(world, "rt2", kind=refresh, life=day))
    assert not await run(world, "rotate_refresh", "us", h("at1"), now)  # not a refresh token
    assert not await run(world, "rotate_refresh", "uk", h("rt1"), now)
    assert not await run(world, "rotate_refresh", "us", h("rt1"), now + day)  # expired
    assert await run(world, "rotate_refresh", "us", h("rt1"), now)
    assert not await run(world, "rotate_refresh", "us", h("rt1"), now)
    used, _ = await run(world, "find_token", "us", h("rt1"))
    assert used.used_at == now
    assert await run(world, "revoke_token", "us", h("rt2"), now)
    assert not await run(world, "rotate_refresh", "us", h("rt2"), now)


async def test_security_39_20_parallel_rotations_of_one_refresh_token_one_wins(
    world: World,
) -> None:
    await with_grant(world)
    await store(world, token(world, "rt1", kind=TokenKind.REFRESH))
    now = world.clock.now()
    results = await asyncio.gather(
        *(run(world, "rotate_refresh", "us", h("rt1"), now) for _ in range(20))
    )
    assert results.count(True) == 1


# --- consents ------------------------------------------------------------------------------


async def test_a_consent_is_kept_replaced_expired_and_forgotten(world: World) -> None:
    now = world.clock.now()
    await store(world, app(world), app(world, OTHER_APP))
    first = Consent("us", "a1", APP_ID, ["openid"], now, now + timedelta(days=30))
    await store(
        world, first, Consent("us", "a1", OTHER_APP, ["openid"], now, now + timedelta(days=1))
    )
    assert await run(world, "consent", "us", "a1", APP_ID, now) == first
    assert await run(world, "consent", "uk", "a1", APP_ID, now) is None
    assert await run(world, "consent", "us", "a2", APP_ID, now) is None
    assert await run(world, "consent", "us", "a1", APP_ID, now + timedelta(days=30)) is None
    wider = replace(first, scopes=["openid", "email"], granted_at=now + timedelta(days=2))
    wider.expires_at = now + timedelta(days=60)
    await store(world, wider)
    assert await run(world, "consent", "us", "a1", APP_ID, now + timedelta(days=45)) == wider
    assert await run(world, "forget_consents", "uk", "a1") == 0
    assert await run(world, "forget_consents", "us", "a1") == 2
    assert await run(world, "consent", "us", "a1", APP_ID, now) is None


# --- signing keys ----------------------------------------------------------------------------


async def test_keys_newest_first_until_drop_after(world: World) -> None:
    now = world.clock.now()
    old = key(world, "k-old", age=30, retired_at=now - timedelta(hours=2), drop_after=now)
    leaving = key(world, "k-leaving", age=20, retired_at=now, drop_after=now + timedelta(hours=1))
    current = key(world, "k-rs", age=10)
    ec = key(world, "k-ec", alg="ES256", age=5)
    await store(world, old, leaving, current, ec)
    assert await run(world, "keys", now) == [ec, current, leaving]  # k-old dropped at ``now``
    assert [x.kid for x in await run(world, "keys", now - timedelta(seconds=1))] == [
        "k-ec",
        "k-rs",
        "k-leaving",
        "k-old",
    ]
    assert [x.kid for x in await run(world, "keys", now + timedelta(hours=1))] == ["k-ec", "k-rs"]


async def test_retire_keys_retires_the_others_of_that_alg(world: World) -> None:
    now = world.clock.now()
    gone = now + timedelta(hours=2)
    earlier = key(world, "k0", age=40, retired_at=now - timedelta(days=1), drop_after=gone)
    await store(world, earlier, key(world, "k1", age=30), key(world, "k2", age=20))
    await store(world, key(world, "k3", age=1), key(world, "e1", alg="ES256", age=30))
    assert await run(world, "retire_keys", "RS256", "k3", now, now + timedelta(hours=1)) == 2
    by_kid = {x.kid: x for x in await run(world, "keys", now)}
    assert (by_kid["k1"].retired_at, by_kid["k1"].drop_after) == (now, now + timedelta(hours=1))
    assert by_kid["k2"].retired_at == now
    assert by_kid["k3"].retired_at is None and by_kid["e1"].retired_at is None
    assert by_kid["k0"].retired_at == now - timedelta(days=1)  # retired before: left alone
    assert await run(world, "retire_keys", "RS256", "k3", now, now) == 0


# --- sessions.amr ----------------------------------------------------------------------------


def session(now: datetime, n: int, **kw: Any) -> Session:
    return session_row(now, h(f"s{n}"), public_id=f"{n}" * 32, ip="203.0.113.7", **kw)


async def test_a_sessions_amr_round_trips(world: World) -> None:
    await add_account(world)
    now = world.clock.now()
    async with world.deps.uow() as uow:
        await uow.sessions.add(session(now, 1, amr="pwd otp"))
        await uow.sessions.add(session(now, 2))
        await uow.commit()
    async with world.deps.uow() as uow:
        first = await uow.sessions.get("us", h("s1"))
        second = await uow.sessions.get("us", h("s2"))
        listed = {s.public_id: s.amr for s in await uow.sessions.list_for("us", "a1", now)}
    assert first is not None and first.amr == "pwd otp"
    assert second is not None and second.amr == "pwd"
    assert listed == {"1" * 32: "pwd otp", "2" * 32: "pwd"}


async def test_migration_0014_gives_older_sessions_pwd_and_goes_down(blank: Database) -> None:
    await migrate(blank, "0013")
    await execute(
        blank,
        "INSERT INTO accounts (id, site, name, password_hash, status, email_verified,"
        " phone_verified, created_at, two_step, locale) VALUES ('a1', 'us', 'Ana', 'x',"
        " 'active', false, false, '2025-01-01 00:00:00', false, '')",
    )
    await execute(
        blank,
        "INSERT INTO sessions (id_hash, public_id, site, account_id, level, created_at,"
        " idle_deadline, absolute_deadline, remember, ip, user_agent, client, last_seen_at)"
        " VALUES ('s1', 'p1', 'us', 'a1', 'full', '2025-01-01 00:00:00',"
        " '2025-01-01 00:30:00', '2025-01-01 01:00:00', false, '', '', 'web',"
        " '2025-01-01 00:00:00')",
    )
    await migrate(blank, "head")
    assert await blank.run_sql("SELECT amr FROM sessions") == [("pwd",)]
    assert await blank.run_sql("SELECT count(*) FROM oidc_apps") == [(0,)]
    await migrate(blank, "0013", down=True)
    await migrate(blank, "head")
    assert await blank.run_sql("SELECT id_hash, amr FROM sessions") == [("s1", "pwd")]
