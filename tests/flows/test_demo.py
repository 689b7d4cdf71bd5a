"""The demo seed: idempotent, and it tells which fixed accounts still have the demo
password without spending a hash on the load-test shoppers."""

from __future__ import annotations

from typing import Any

import pytest

from entryway.flows import demo
from tests.conftest import World


def counting_verifies(world: World, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every hash checked against a password from now on."""
    checked: list[str] = []
    real = world.deps.hasher.verify

    async def verify(encoded: str, password: str, **kwargs: Any) -> bool:
        checked.append(encoded)
        return bool(await real(encoded, password, **kwargs))

    monkeypatch.setattr(world.deps.hasher, "verify", verify)
    return checked


async def new_password(world: World, site: str, identifier: str) -> None:
    """Change a demo account's password the way any password change ends: a new hash."""
    ident = world.deps.identifiers.parse(identifier, world.deps.site(site).phone_region)
    async with world.deps.uow() as uow:
        account = await uow.accounts.find(site, ident)
        assert account is not None
        encoded = await world.deps.hasher.hash("a-password-of-her-own-7")
        await uow.accounts.update(site, account.id, password_hash=encoded)
        await uow.commit()


async def test_a_fresh_seed_gives_every_fixed_account_the_demo_password(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked = counting_verifies(world, monkeypatch)
    seeded = await demo.seed(world.deps, 3)
    assert seeded.with_password == demo.DEMO_ACCOUNTS
    assert seeded.without_password == []
    assert seeded.shoppers == 3
    assert checked == []  # all were made just now: nothing to check


async def test_a_changed_password_is_seen_and_shoppers_are_never_checked(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await demo.seed(world.deps, 25)
    await new_password(world, "uk", "jane@example.com")
    checked = counting_verifies(world, monkeypatch)

    seeded = await demo.seed(world.deps, 25)

    jane_uk = next(a for a in demo.DEMO_ACCOUNTS if a.site == "uk" and a.name == "Jane Doe")
    assert seeded.without_password == [jane_uk]
    assert seeded.with_password == [a for a in demo.DEMO_ACCOUNTS if a != jane_uk]
    # One check per fixed account, none for the 25 shoppers.
    assert len(checked) == len(demo.DEMO_ACCOUNTS)
