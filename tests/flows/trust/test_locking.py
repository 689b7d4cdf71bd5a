"""A lock by our staff (flows/trust/locking): it ends sessions, remembered browsers and every
app's tokens at once (SECURITY.md 26), binds every device, recognised ones too, answers
sign-in as any lock does, and lasts until staff lift it: no unlock link, reset or agent on a
case lifts it. Audited on both logs; the owner is told."""

from __future__ import annotations

import pytest

from entryway.core.events import AuditAction, MessageKind
from entryway.core.lockout import LockReason
from entryway.core.staff import Actor, Role, StaffAction
from entryway.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    SignInLocked,
    Unauthenticated,
)
from entryway.flows.account import account
from entryway.flows.apps import grants
from entryway.flows.recovery import password_reset
from entryway.flows.signin import lockout, sign_in
from entryway.flows.support import agent, cases
from entryway.flows.trust import locking
from tests.conftest import World
from tests.flows.test_account import signed_in_with_token
from tests.flows.test_apps_ending import _app, _grant, _logout_tokens
from tests.flows.test_case_queue import US
from tests.flows.test_lockout import PW, attempt, lock_ana, who
from tests.flows.test_lockout import setup as lockout_setup
from tests.flows.test_support_cases import stored
from tests.flows.trust.helpers import TRUST, WHO

ANA = "ana@example.com"
NEW = "harbour-lights-at-dusk"
WHY = "Orders shipped to an address the owner never used; looking into a takeover."


async def _lock(world: World, account_id: str, actor: Actor | None = TRUST) -> locking.Held:
    return await locking.lock_account(
        world.deps, actor, site="us", account_id=account_id, reason=WHY, who=WHO
    )


async def _unlock(world: World, account_id: str, actor: Actor | None = TRUST) -> locking.Held:
    return await locking.unlock_account(
        world.deps, actor, site="us", account_id=account_id, reason="Owner confirmed", who=WHO
    )


async def _reset(world: World, new: str = NEW) -> None:
    progress = await password_reset.start(world.deps, "us", identifier=ANA, who=WHO)
    code = await world.code(ANA)
    await password_reset.verify(world.deps, "us", flow_token=progress.flow_token, code=code)
    await password_reset.complete(
        world.deps, "us", flow_token=progress.flow_token, password=new, password_again=new, who=WHO
    )


async def test_a_lock_ends_sessions_and_apps_tokens_and_is_audited(world: World) -> None:
    app = await _app(world)
    me, token = await signed_in_with_token(world, ANA)
    _, access, refresh = await _grant(
        world, app, me.account.id, me.session.public_id, ("openid", "offline_access")
    )
    held = await _lock(world, me.account.id)
    assert held.apps_revoked == 1 and held.by == TRUST.staff_id
    with pytest.raises(Unauthenticated):
        await account.current(world.deps, "us", token)
    # Offline access too: userinfo and introspection refuse the token, refresh is dead.
    assert await grants.holder(world.deps, "us", access) is None
    assert await grants.refresh_holder(world.deps, "us", refresh) is None
    assert len(await _logout_tokens(world)) == 1  # the app hears by back-channel logout
    async with world.deps.uow() as uow:
        entries = await uow.audit.recent("us", me.account.id, 50)
        staff_log = await uow.staff.audit_log()
        lock = await uow.locks.get("us", lockout.account_key(world.deps, me.account.id))
    (locked,) = [e for e in entries if e.action == AuditAction.ACCOUNT_LOCKED]
    assert locked.detail == {"reason": "operator", "why": WHY, "by": TRUST.staff_id}
    (revoked,) = [e for e in entries if e.action == AuditAction.APP_GRANT_REVOKED]
    assert revoked.detail["why"] == "locked"
    (staff_row,) = [e for e in staff_log if e.action == StaffAction.ACCOUNT_LOCKED]
    assert staff_row.actor_id == TRUST.staff_id and staff_row.detail["account"] == me.account.id
    assert lock is not None and lock.reason is LockReason.OPERATOR
    assert lock.until > world.clock.now() + world.deps.lock_policy.lock_for * 1000  # no end


async def test_the_owner_is_told_and_sent_no_unlock_link(world: World) -> None:
    me, _ = await signed_in_with_token(world, ANA)
    await world.deliver()
    before = len(world.mailer.sent)
    await _lock(world, me.account.id)
    await world.deliver()
    (mail,) = world.mailer.sent[before:]
    assert mail.to == ANA and "we locked your account" in mail.subject
    assert "Customer Service" in mail.body and "/unlock?token=" not in mail.body
    assert WHY not in mail.body  # the staff's reason stays on the logs
    async with world.deps.uow() as uow:
        kinds = [m.kind for m in await uow.outbox.for_account("us", me.account.id)]
    assert MessageKind.ACCOUNT_LOCKED in kinds


async def test_sign_in_is_refused_on_every_device_as_for_any_lock(world: World) -> None:
    s = await lockout_setup(world)
    laptop = who(7, device="ana-usual-laptop-cookie")
    assert isinstance(await attempt(s.deps, PW, laptop), sign_in.SignedIn)  # now recognised
    await lock_ana(s)  # a guessing lock: her recognised laptop still gets in (SECURITY.md 10)
    assert isinstance(await attempt(s.deps, PW, laptop), sign_in.SignedIn)
    guessing = await attempt(s.deps, PW, who(20))
    assert isinstance(guessing, SignInLocked)
    await locking.lock_account(
        s.deps, TRUST, site="us", account_id=s.account_id, reason=WHY, who=WHO
    )  # replaces the guessing lock
    hashes = s.hasher.checks
    for requester in (laptop, who(21)):
        refused = await attempt(s.deps, PW, requester)
        assert isinstance(refused, SignInLocked) and refused.template == guessing.template
    assert s.hasher.checks == hashes  # refused before any hash, like any lock


async def test_nothing_the_customer_does_lifts_it(world: World) -> None:
    me, _ = await signed_in_with_token(world, ANA)
    await _lock(world, me.account.id)
    await _reset(world)  # Forgot your password? still works, and unlocks a guessing lock
    with pytest.raises(SignInLocked):
        await sign_in.sign_in(
            world.deps, "us", identifier=ANA, password=NEW, remember=False, who=WHO
        )
    with pytest.raises(Conflict):  # ours holds already
        await _lock(world, me.account.id)
    await _unlock(world, me.account.id)
    signed = await sign_in.sign_in(
        world.deps, "us", identifier=ANA, password=NEW, remember=False, who=WHO
    )
    assert isinstance(signed, sign_in.SignedIn)


async def test_unlocking_lets_the_owner_in_and_tells_them(world: World) -> None:
    me, _ = await signed_in_with_token(world, ANA)
    await _lock(world, me.account.id)
    await world.deliver()
    before = len(world.mailer.sent)
    await _unlock(world, me.account.id)
    await world.deliver()
    (mail,) = world.mailer.sent[before:]
    assert "you can sign in again" in mail.subject
    signed = await sign_in.sign_in(
        world.deps, "us", identifier=ANA, password=PW, remember=False, who=WHO
    )
    assert isinstance(signed, sign_in.SignedIn)
    with pytest.raises(Conflict):  # nothing of ours left to lift
        await _unlock(world, me.account.id)
    async with world.deps.uow() as uow:
        actions = [e.action for e in await uow.audit.recent("us", me.account.id, 50)]
        staff = [e.action for e in await uow.staff.audit_log()]
    assert AuditAction.ACCOUNT_UNLOCKED in actions and StaffAction.ACCOUNT_UNLOCKED in staff


async def test_unlock_does_not_lift_a_guessing_lock(world: World) -> None:
    """Staff lift their own lock here; a guessing lock is the owner's to lift (or time's)."""
    s = await lockout_setup(world)
    await lock_ana(s)
    with pytest.raises(Conflict):
        await locking.unlock_account(
            s.deps, TRUST, site="us", account_id=s.account_id, reason="x", who=WHO
        )
    assert isinstance(await attempt(s.deps, PW, who(30)), SignInLocked)


async def test_only_trust_staff_of_the_site(world: World) -> None:
    me, token = await signed_in_with_token(world, ANA)
    agent_only = Actor("agent-1", "al@staff.example", frozenset({Role.AGENT}), frozenset({"us"}))
    uk_trust = Actor("trust-uk", "ula@staff.example", frozenset({Role.TRUST}), frozenset({"uk"}))
    with pytest.raises(Forbidden):
        await _lock(world, me.account.id, agent_only)
    with pytest.raises(NotFound):  # another site's staff: as if there were no such account
        await _lock(world, me.account.id, uk_trust)
    with pytest.raises(NotFound):  # the account is not on the uk site
        await locking.lock_account(
            world.deps, None, site="uk", account_id=me.account.id, reason=WHY, who=WHO
        )
    with pytest.raises(InvalidInput):
        await locking.lock_account(
            world.deps, TRUST, site="us", account_id=me.account.id, reason="  ", who=WHO
        )
    await account.current(world.deps, "us", token)  # none of that changed anything


async def test_the_operators_cli_path_writes_no_staff_row(world: World) -> None:
    me, _ = await signed_in_with_token(world, ANA)
    held = await _lock(world, me.account.id, None)
    assert held.by == "cli"
    assert await locking.held(world.deps, "us", me.account.id)
    async with world.deps.uow() as uow:
        assert not [e for e in await uow.staff.audit_log() if "account_" in e.action]


async def test_agents_on_a_case_cannot_lift_it_nor_send_an_unlock_link(world: World) -> None:
    me, session = await signed_in_with_token(world, ANA)
    number = await cases.open_signed_in(world.deps, "us", session, "locked", "Help", WHO)
    case_id = (await stored(world, number)).id
    await _lock(world, me.account.id)
    for tool in (agent.lift_lock, agent.send_unlock_link):
        with pytest.raises(InvalidInput, match="trust team"):
            await tool(world.deps, US, case_id, "Customer called")
    assert await locking.held(world.deps, "us", me.account.id)
