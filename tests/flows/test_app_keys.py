"""Signing keys: made on first start, a new one published before it signs, the old one
kept in JWKS until its tokens have expired; both algorithms verify against JWKS."""

from __future__ import annotations

from joserfc import jwt
from joserfc.jwk import KeySet

from entryway.flows.apps import keys
from tests.conftest import World


async def _sign(world: World, alg: str) -> str:
    async with world.deps.uow() as uow:
        return await keys.sign_jwt(world.deps, uow, {"x": 1}, alg=alg)


async def _kid(token: str) -> str:
    from joserfc import jws

    return str(jws.extract_compact(token.encode()).protected["kid"])


async def test_keys_are_made_once_and_both_algorithms_verify(world: World) -> None:
    await keys.ensure_keys(world.deps)
    await keys.ensure_keys(world.deps)  # idempotent
    published = await keys.jwks(world.deps)
    assert sorted(k["alg"] for k in published["keys"]) == ["ES256", "RS256"]
    key_set = KeySet.import_key_set(published)
    for alg in ("RS256", "ES256"):
        token = await _sign(world, alg)
        assert jwt.decode(token, key_set, algorithms=[alg]).claims == {"x": 1}


async def test_rotation_publishes_first_signs_later_and_keeps_the_old_key(world: World) -> None:
    await keys.ensure_keys(world.deps)
    old = await _kid(await _sign(world, "RS256"))
    new = await keys.rotate(world.deps, "RS256")
    kids = {k["kid"] for k in (await keys.jwks(world.deps))["keys"]}
    assert {old, new.kid} <= kids  # the new key is published at once...
    assert await _kid(await _sign(world, "RS256")) == old  # ...but does not sign yet
    world.clock.advance(minutes=61)
    assert await _kid(await _sign(world, "RS256")) == new.kid
    kids = {k["kid"] for k in (await keys.jwks(world.deps))["keys"]}
    assert old in kids  # tokens it signed may still be checked
    world.clock.advance(minutes=61)
    kids = {k["kid"] for k in (await keys.jwks(world.deps))["keys"]}
    assert old not in kids and new.kid in kids


async def test_rotation_at_once_after_a_leak(world: World) -> None:
    await keys.ensure_keys(world.deps)
    new = await keys.rotate(world.deps, "ES256", at_once=True)
    assert await _kid(await _sign(world, "ES256")) == new.kid


async def test_private_keys_are_stored_sealed(world: World) -> None:
    await keys.ensure_keys(world.deps)
    rows = await world.runtime.db.run_sql("SELECT private_sealed FROM oidc_keys")
    assert rows and all("PRIVATE KEY" not in r[0] for r in rows)
