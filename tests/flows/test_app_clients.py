"""Client authentication: the right secret, or none for a public app; failures counted per
app and address and refused past the limit there only; the app itself never locked."""

from __future__ import annotations

import pytest

from entryway.flows.apps import clients
from tests.conftest import World

CB = "https://shop.example/callback"


async def test_secrets_and_public_apps(world: World) -> None:
    app, secret = await clients.register(world.deps, site="us", name="Shop", redirect_uris=[CB])
    assert secret and app.secret_hash and secret not in app.secret_hash
    ok = await clients.authenticate(
        world.deps, site="us", client_id=app.id, secret=secret, ip="192.0.2.1"
    )
    assert ok.app is not None and ok.app.id == app.id
    for wrong in ("nope", "", None):
        check = await clients.authenticate(
            world.deps, site="us", client_id=app.id, secret=wrong, ip="192.0.2.1"
        )
        assert check.app is None, wrong
    public, none = await clients.register(
        world.deps, site="us", name="App", redirect_uris=["com.acme.shop:/cb"], public=True
    )
    assert none is None
    assert (await clients.authenticate(
        world.deps, site="us", client_id=public.id, secret=None, ip="192.0.2.1"
    )).app is not None  # fmt: skip
    # A public app that sends a secret is confused or impersonated: refused.
    assert (await clients.authenticate(
        world.deps, site="us", client_id=public.id, secret="x", ip="192.0.2.1"
    )).app is None  # fmt: skip


async def test_a_client_of_one_site_is_unknown_on_another(world: World) -> None:
    app, secret = await clients.register(world.deps, site="us", name="Shop", redirect_uris=[CB])
    check = await clients.authenticate(
        world.deps, site="uk", client_id=app.id, secret=secret, ip="192.0.2.1"
    )
    assert check.app is None


async def test_failures_are_throttled_per_address_and_never_lock_the_app(world: World) -> None:
    app, secret = await clients.register(world.deps, site="us", name="Shop", redirect_uris=[CB])
    for _ in range(clients.MAX_FAILURES):
        await clients.authenticate(
            world.deps, site="us", client_id=app.id, secret="guess", ip="198.51.100.9"
        )
    there = await clients.authenticate(
        world.deps, site="us", client_id=app.id, secret=secret, ip="198.51.100.9"
    )
    assert there.app is None and there.throttled  # the guesser's address waits
    elsewhere = await clients.authenticate(
        world.deps, site="us", client_id=app.id, secret=secret, ip="192.0.2.1"
    )
    assert elsewhere.app is not None  # the shop's own servers keep working
    world.clock.advance(minutes=11)
    later = await clients.authenticate(
        world.deps, site="us", client_id=app.id, secret=secret, ip="198.51.100.9"
    )
    assert later.app is not None


async def test_registration_refuses_what_cannot_be_a_redirect(world: World) -> None:
    for uris in ([], ["http://shop.example/cb"], ["javascript:alert(1)"]):
        with pytest.raises(ValueError):
            await clients.register(world.deps, site="us", name="Shop", redirect_uris=uris)
    with pytest.raises(ValueError):
        await clients.register(world.deps, site="us", name="", redirect_uris=[CB])
    with pytest.raises(ValueError, match="unknown site"):
        await clients.register(world.deps, site="zz", name="Shop", redirect_uris=[CB])
