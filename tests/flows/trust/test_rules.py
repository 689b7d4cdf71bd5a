"""Who may suspend, warn and lift, and what a measure must carry (issue 12)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from entryway.core.identifiers import Identifier, IdentifierKind
from entryway.core.staff import Actor, Role
from entryway.core.suspension import MAX_FACTS
from entryway.errors import Conflict, Forbidden, InvalidInput, NotFound
from entryway.flows.account import registration
from entryway.flows.trust import measures
from tests.conftest import World
from tests.flows.recovery_helpers import ANA
from tests.flows.test_account import PW, signed_in_with_token
from tests.flows.trust.helpers import TRUST, WHO, suspend, trust_deps

AGENT = Actor(staff_id="agent-1", email="al@staff.example", roles=frozenset({Role.AGENT}),
              sites=frozenset({"us"}))  # fmt: skip
UK_TRUST = Actor(staff_id="trust-uk", email="ute@staff.example", roles=frozenset({Role.TRUST}),
                 sites=frozenset({"uk"}))  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reason": "not_a_reason"}, "reason"),
        ({"reason": ""}, "reason"),
        ({"facts": "   "}, "facts"),
        ({"facts": "x" * (MAX_FACTS + 1)}, "facts"),
        ({"scope": "reviews"}, "scope"),
    ],
)
async def test_a_measure_needs_a_known_reason_facts_and_scope(
    world: World, changes: dict[str, str], field: str
) -> None:
    me, _token = await signed_in_with_token(world, ANA)
    with pytest.raises(InvalidInput) as caught:
        await suspend(trust_deps(world), me.account.id, **changes)
    assert caught.value.field == field
    async with world.deps.uow() as uow:
        assert await uow.suspensions.for_account("us", me.account.id) == []


async def test_an_end_must_be_in_the_future(world: World) -> None:
    me, _ = await signed_in_with_token(world, ANA)
    for until in (world.clock.now(), world.clock.now() - timedelta(days=1)):
        with pytest.raises(InvalidInput) as caught:
            await suspend(trust_deps(world), me.account.id, until=until)
        assert caught.value.field == "until"


async def test_an_empty_catalog_allows_no_suspension(world: World) -> None:
    me, _ = await signed_in_with_token(world, ANA)
    with pytest.raises(InvalidInput) as caught:
        await suspend(world.deps, me.account.id)  # no reasons configured
    assert caught.value.field == "reason"


async def test_a_second_suspension_while_one_applies_is_a_conflict(world: World) -> None:
    deps = trust_deps(world)
    me, _ = await signed_in_with_token(world, ANA)
    await suspend(deps, me.account.id)
    with pytest.raises(Conflict, match="already suspended"):
        await suspend(deps, me.account.id)


async def test_only_active_accounts(world: World) -> None:
    started = await registration.start(
        world.deps, "us", name="Una", identifier="una@example.com", password=PW,
        password_again=PW, who=WHO,
    )  # fmt: skip
    assert started.flow_token
    deps = trust_deps(world)
    async with deps.uow() as uow:
        una = await uow.accounts.find("us", Identifier(IdentifierKind.EMAIL, "una@example.com"))
    assert una is not None
    with pytest.raises(InvalidInput):
        await suspend(deps, una.id)
    with pytest.raises(NotFound):
        await suspend(deps, "no-such-account")


async def test_staff_need_the_trust_role_and_the_site(world: World) -> None:
    deps = trust_deps(world)
    me, _ = await signed_in_with_token(world, ANA)
    with pytest.raises(Forbidden):
        await suspend(deps, me.account.id, actor=AGENT)
    with pytest.raises(NotFound) as other_site:
        await suspend(deps, me.account.id, actor=UK_TRUST)
    with pytest.raises(NotFound) as unknown:
        await suspend(deps, "no-such-account")
    assert str(other_site.value) == str(unknown.value)  # another site's: as if unknown
    with pytest.raises(NotFound):
        await measures.account_file(deps, UK_TRUST, "us", me.account.id)
    with pytest.raises(NotFound):
        await measures.find_account(deps, UK_TRUST, "us", ANA, WHO)
    with pytest.raises(Forbidden):
        await measures.warn(
            deps, AGENT, site="us", account_id=me.account.id, reason="payment_fraud",
            facts="x", automated=False, who=WHO,
        )  # fmt: skip
    suspension = await suspend(deps, me.account.id)
    with pytest.raises(Forbidden):
        await measures.lift(
            deps, AGENT, site="us", suspension_id=suspension.id, reason="r", who=WHO
        )
    with pytest.raises(NotFound):
        await measures.lift(
            deps, UK_TRUST, site="us", suspension_id=suspension.id, reason="r", who=WHO
        )
    with pytest.raises(InvalidInput) as no_reason:
        await measures.lift(deps, TRUST, site="us", suspension_id=suspension.id, reason=" ",
                            who=WHO)  # fmt: skip
    assert no_reason.value.field == "reason"


async def test_the_cli_acts_without_an_actor_and_tokens_name_themselves(world: World) -> None:
    deps = trust_deps(world)
    me, _ = await signed_in_with_token(world, ANA)
    account_id = await measures.account_by_identifier(deps, "us", ANA)
    assert account_id == me.account.id
    with pytest.raises(NotFound):
        await measures.account_by_identifier(deps, "uk", ANA)
    by_cli = await suspend(deps, account_id, actor=None)
    assert by_cli.acted_by == "cli"
    lifted = await measures.lift(
        deps, TRUST, site="us", suspension_id=by_cli.id, reason="r", who=WHO, by="token:abc"
    )
    assert lifted.lifted_by == "token:abc"
    async with deps.uow() as uow:
        staff_log = await uow.staff.audit_log()
    assert all(e.actor_id == TRUST.staff_id for e in staff_log)  # the CLI wrote none


async def test_find_account_is_audited_and_shows_masked_contacts(world: World) -> None:
    deps = trust_deps(world)
    me, _ = await signed_in_with_token(world, ANA)
    file = await measures.find_account(deps, TRUST, "us", ANA, WHO)
    assert file.account_id == me.account.id and file.masked_contacts == ("a***@example.com",)
    assert not file.suspended and file.measures == ()
    with pytest.raises(NotFound):
        await measures.find_account(deps, TRUST, "us", "nobody@example.com", WHO)
    await suspend(deps, me.account.id)
    assert (await measures.account_file(deps, TRUST, "us", me.account.id)).suspended
    async with deps.uow() as uow:
        staff_log = await uow.staff.audit_log()
    assert any(e.action == "staff.account_looked_up" for e in staff_log)
