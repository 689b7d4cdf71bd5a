"""Finishing a recovery (issue 11, journey step 8; SECURITY.md 35): the finish link, Create
new password, what completing replaces and ends, the race between completions, and the
48-hour hold on contact changes. Runs on SQLite and, with --db=postgresql, on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pytest

from entryway.adapters.i18n import load_catalogs
from entryway.adapters.messages import MessageTemplates
from entryway.core.events import AuditAction, Channel, FlowPurpose, MessageKind
from entryway.core.identifiers import Identifier, IdentifierKind
from entryway.core.local_time import site_time
from entryway.core.lockout import LockReason
from entryway.core.recovery import RecoveryState
from entryway.core.secrets import new_token
from entryway.core.throttle import FailureScope
from entryway.errors import (
    ContactsOnHold,
    ContactTaken,
    FlowExpired,
    PasswordRejected,
    SignInFailed,
    Unauthenticated,
)
from entryway.flows.account import account, registration, two_step
from entryway.flows.common import browser_hash, flow_hash
from entryway.flows.passkeys.records import Passkey
from entryway.flows.ports import Link, Lock, RememberedBrowser, Requester, SecondFactor
from entryway.flows.records import Recovery
from entryway.flows.recovery import finish, password_reset
from entryway.flows.signin import lockout, sign_in
from entryway.settings import demo_sites
from tests.conftest import World

PW = "quiet-meadow-lantern"
NEW = "harbour-lights-at-dusk"
ANA = "ana@example.com"
ANA_PHONE = "+12015550123"
NEW_EMAIL = "ana.new@example.net"
NEW_PHONE = "+12015550199"
WHO = Requester(ip="192.0.2.10", user_agent="pytest")
DEVICE = "device-cookie-of-the-old-browser"


@dataclass
class Setup:
    account_id: str
    recovery_id: str
    token: str  # the finish link's token, as mailed
    sessions: list[str]  # session tokens from before the recovery
    reset_flow: str  # a password reset started before it
    factor_id: str


async def signed_up(world: World, site: str = "us", identifier: str = ANA) -> str:
    """An active account with ``identifier`` verified (returns a session token)."""
    started = await registration.start(
        world.deps,
        site,
        name="Ana Lopez",
        identifier=identifier,
        password=PW,
        password_again=PW,
        who=WHO,
    )
    done = await registration.verify(
        world.deps, site, flow_token=started.flow_token, code=await world.code(identifier), who=WHO
    )
    return done.session_token


async def add_recovery(
    world: World,
    account_id: str,
    *,
    state: RecoveryState = RecoveryState.READY,
    kind: str = "email",
    contact: str = NEW_EMAIL,
    site: str = "us",
) -> tuple[str, str]:
    """A recovery row in ``state`` and its finish link (and a This wasn't me link), put in
    directly; returns (recovery id, finish token)."""
    deps = world.deps
    now = world.clock.now()
    recovery_id = new_token(deps.rng, 16)
    token = new_token(deps.rng)
    async with deps.uow() as uow:
        assert await uow.recoveries.add(
            Recovery(
                id=recovery_id,
                site=site,
                account_id=account_id,
                state=state,
                new_kind=kind,
                new_contact=contact,
                created_at=now - timedelta(days=3),
                questions_right=True,
                two_step=True,
                waiting_since=now - timedelta(days=3),
                wait_until=now,
            )
        )
        for purpose, secret in (
            (FlowPurpose.RECOVERY_FINISH, token),
            (FlowPurpose.RECOVERY_CANCEL, new_token(deps.rng)),
        ):
            await uow.links.add(
                Link(
                    id_hash=lockout.link_hash(deps, secret),
                    site=site,
                    account_id=account_id,
                    purpose=purpose,
                    reason=recovery_id,
                    created_at=now,
                    expires_at=now + deps.recovery_policy.finish_link_for,
                )
            )
        await uow.commit()
    return recovery_id, token


async def setup(world: World, *, kind: str = "email", contact: str = NEW_EMAIL) -> Setup:
    """Ana with an email and a phone, two sessions, a reset under way, 2SV with backup codes,
    a remembered browser, a known device, a lock and suspicion: everything a recovery ends.
    Then a ready recovery to ``contact``."""
    deps = world.deps
    first = await signed_up(world)
    me = await account.current(deps, "us", first)
    started = await account.start_contact_change(deps, me, IdentifierKind.PHONE, ANA_PHONE, WHO)
    await account.confirm_contact_change(
        deps, me, IdentifierKind.PHONE, started.flow_token, await world.code(ANA_PHONE), WHO
    )
    other = await sign_in.sign_in(deps, "us", identifier=ANA, password=PW, remember=True, who=WHO)
    assert isinstance(other, sign_in.SignedIn)
    reset = await password_reset.start(deps, "us", identifier=ANA, who=WHO)
    now = world.clock.now()
    account_id = me.account.id
    factor_id = new_token(deps.rng, 16)
    async with deps.uow() as uow:
        await uow.two_step.add_factor(
            SecondFactor(
                id=factor_id,
                site="us",
                account_id=account_id,
                kind="totp",
                label="Authenticator app",
                secret_sealed=deps.sealer.seal(b"k" * 20),
                phone="",
                created_at=now,
                confirmed_at=now,
            )
        )
        await uow.two_step.replace_backup_codes(
            "us", account_id, [f"backup-hash-{n}" for n in range(10)], now
        )
        await uow.accounts.update(
            "us", account_id, two_step=True, preferred_factor=factor_id, suspect_since=now
        )
        await uow.two_step.remember(
            RememberedBrowser(
                token_hash=browser_hash(deps, "remembered-browser-token"),
                public_id=new_token(deps.rng, 16),
                site="us",
                account_id=account_id,
                user_agent="pytest",
                created_at=now,
                expires_at=now + timedelta(days=30),
            )
        )
        await uow.accounts.remember_device(
            "us", account_id, lockout.known_device_hash(deps, DEVICE), now
        )
        assert await uow.locks.acquire(
            Lock(
                site="us",
                key_hash=lockout.account_key(deps, account_id),
                account_id=account_id,
                reason=LockReason.PASSWORD_GUESSING,
                locked_at=now,
                until=now + timedelta(hours=1),
            ),
            now,
            max_strikes=3,
            forever=now + timedelta(days=3650),
        )
        await uow.commit()
    recovery_id, token = await add_recovery(world, account_id, kind=kind, contact=contact)
    return Setup(
        account_id=account_id,
        recovery_id=recovery_id,
        token=token,
        sessions=[first, other.session_token],
        reset_flow=reset.flow_token,
        factor_id=factor_id,
    )


async def finish_with(world: World, flow: str, password: str = NEW, site: str = "us") -> None:
    await finish.complete(
        world.deps, site, flow_token=flow, password=password, password_again=password, who=WHO
    )


async def link_of(world: World, token: str) -> Link:
    async with world.deps.uow() as uow:
        link = await uow.links.get("us", lockout.link_hash(world.deps, token), finish.PURPOSE)
    assert link is not None
    return link


async def recovery_of(world: World, recovery_id: str) -> Recovery:
    async with world.deps.uow() as uow:
        found = await uow.recoveries.get("us", recovery_id)
    assert found is not None
    return found


async def assert_untouched(world: World, s: Setup) -> None:
    """Nothing of a refused completion was written."""
    assert (await link_of(world, s.token)).used_at is None
    assert (await recovery_of(world, s.recovery_id)).state == RecoveryState.READY
    async with world.deps.uow() as uow:
        ana = await uow.accounts.get("us", s.account_id)
    assert ana is not None
    assert ana.email == ANA and ana.phone == ANA_PHONE and ana.two_step
    assert ana.contacts_fixed_until is None
    assert await world.deps.hasher.verify(ana.password_hash, PW)


async def test_opening_the_link_does_not_use_it(world: World) -> None:
    s = await setup(world)
    first = await finish.open_link(world.deps, "us", s.token, WHO)
    second = await finish.open_link(world.deps, "us", s.token, WHO)  # a mail scanner, then Ana
    assert first != second and s.token not in (first, second)
    assert (await link_of(world, s.token)).used_at is None
    assert (await recovery_of(world, s.recovery_id)).state == RecoveryState.READY
    shown = await finish.status(world.deps, "us", second)
    assert (shown.new_kind, shown.new_contact) == ("email", "a***@example.net")
    async with world.deps.uow() as uow:
        state = await uow.flows.get("us", flow_hash(world.deps, first), finish.PURPOSE)
    assert state is not None and state.account_id == s.account_id
    assert state.target == lockout.link_hash(world.deps, s.token)  # the link, by hash only
    with pytest.raises(FlowExpired):
        await finish.open_link(world.deps, "us", "not-a-real-token", WHO)
    with pytest.raises(FlowExpired):
        await finish.open_link(world.deps, "us", "", WHO)


async def test_security_35_completing_replaces_contacts_and_ends_everything(world: World) -> None:
    s = await setup(world)
    async with world.deps.uow() as uow:  # a passkey whoever held the account had added
        await uow.passkeys.add(
            Passkey(credential_id="cred-1", site="us", account_id=s.account_id, public_key="k",
                    sign_count=0, name="Theirs", created_at=world.clock.now())
        )  # fmt: skip
        await uow.commit()
    flow = await finish.open_link(world.deps, "us", s.token, WHO)
    await finish_with(world, flow)
    now = world.clock.now()
    deps = world.deps
    async with deps.uow() as uow:
        ana = await uow.accounts.get("us", s.account_id)
        assert ana is not None
        assert await uow.passkeys.for_account("us", s.account_id) == []
        removed = [
            e.detail for e in await uow.audit.recent("us", s.account_id, 50)
            if e.action == AuditAction.PASSKEY_REMOVED
        ]  # fmt: skip
        assert removed == [{"count": 1, "by_recovery": True}]  # in the security activity
        # The new email replaces both lost contacts.
        assert (ana.email, ana.email_verified) == (NEW_EMAIL, True)
        assert (ana.phone, ana.phone_verified) == (None, False)
        assert await deps.hasher.verify(ana.password_hash, NEW)
        assert ana.password_changed_at == now
        # 2SV is gone: methods, backup codes, the flag and the preferred method.
        assert ana.two_step is False and ana.preferred_factor is None
        assert await uow.two_step.factors("us", s.account_id) == []
        assert await uow.two_step.backup_codes_left("us", s.account_id) == 0
        assert await uow.two_step.browsers("us", s.account_id, now) == []
        assert not await uow.accounts.knows_device(
            "us", s.account_id, lockout.known_device_hash(deps, DEVICE), lockout.known_since(deps)
        )
        assert ana.suspect_since is None
        assert ana.contacts_fixed_until == now + timedelta(hours=48)
        # Every session and flow ended; locks lifted with their count.
        assert await uow.sessions.list_for("us", s.account_id, now) == []
        for purpose in (finish.PURPOSE, password_reset.PURPOSE):
            for token in (flow, s.reset_flow):
                assert await uow.flows.get("us", flow_hash(deps, token), purpose) is None
        assert await uow.locks.get("us", lockout.account_key(deps, s.account_id)) is None
        assert (
            await uow.counters.count(
                "us", FailureScope.ACCOUNT, lockout.account_key(deps, s.account_id), now
            )
            == 0
        )
        recovery = await uow.recoveries.get("us", s.recovery_id)
        assert recovery is not None
        assert (recovery.state, recovery.ended_at) == (RecoveryState.COMPLETED, now)
        assert await uow.recoveries.live_for("us", s.account_id) is None
        audit = await uow.audit.recent("us", s.account_id, 50)
        messages = await uow.outbox.for_account("us", s.account_id)
    for token in s.sessions:
        with pytest.raises(Unauthenticated):
            await account.current(deps, "us", token)
    assert (await link_of(world, s.token)).used_at == now
    completed = [e for e in audit if e.action == AuditAction.RECOVERY_COMPLETED]
    assert len(completed) == 1
    assert completed[0].detail == {
        "recovery": s.recovery_id,
        "new_kind": "email",
        "two_step_removed": True,
    }
    assert AuditAction.ACCOUNT_UNLOCKED in {e.action for e in audit}
    # The old contacts were told at their old addresses, and the new one too.
    ended = {(m.channel, m.to) for m in messages if m.kind == MessageKind.RECOVERY_ENDED}
    assert ended == {(Channel.EMAIL, ANA), (Channel.SMS, ANA_PHONE), (Channel.EMAIL, NEW_EMAIL)}
    await world.deliver()
    to_new = [m for m in world.mailer.sent if m.to == NEW_EMAIL]
    assert len(to_new) == 1
    assert "new password" in to_new[0].body and "two-step verification" in to_new[0].body.lower()
    assert site_time(now + timedelta(hours=48), deps.site("us")) in to_new[0].body
    assert "17 Jan 2026, 7:00 AM EST" in to_new[0].body  # 48 h on, in the site's zone
    assert any(m.to == ANA and "no longer on the account" in m.body for m in world.mailer.sent)
    assert any(m.to == ANA_PHONE and "recovered" in m.body for m in world.texter.sent)
    # Nobody was signed in: the new password works, and asks for no second step.
    with pytest.raises(SignInFailed):
        await sign_in.sign_in(deps, "us", identifier=ANA, password=NEW, remember=False, who=WHO)
    signed = await sign_in.sign_in(
        deps, "us", identifier=NEW_EMAIL, password=NEW, remember=False, who=WHO
    )
    assert isinstance(signed, sign_in.SignedIn)
    with pytest.raises(FlowExpired):  # finished: the flow and the link are spent
        await finish_with(world, flow, NEW + "-again")
    with pytest.raises(FlowExpired):
        await finish.open_link(deps, "us", s.token, WHO)


async def test_a_new_phone_replaces_both_lost_contacts(world: World) -> None:
    s = await setup(world, kind="phone", contact=NEW_PHONE)
    flow = await finish.open_link(world.deps, "us", s.token, WHO)
    await finish_with(world, flow)
    async with world.deps.uow() as uow:
        ana = await uow.accounts.get("us", s.account_id)
    assert ana is not None
    assert (ana.phone, ana.phone_verified) == (NEW_PHONE, True)
    assert (ana.email, ana.email_verified) == (None, False)
    await world.deliver()
    to_new = [m for m in world.texter.sent if m.to == NEW_PHONE]
    assert len(to_new) == 1 and "two-step verification" in to_new[0].body.lower()
    assert any(m.to == ANA and "recovered" in m.subject for m in world.mailer.sent)
    signed = await sign_in.sign_in(
        world.deps, "us", identifier="(201) 555-0199", password=NEW, remember=False, who=WHO
    )
    assert isinstance(signed, sign_in.SignedIn)


def test_texts_fit_one_sms() -> None:
    sites = demo_sites(8443, "acme-market.example")  # an origin longer than the tests'
    messages = MessageTemplates(load_catalogs([tag for site in sites for tag in site.locales]))
    for site in sites:
        for locale in site.locales:
            for name in ("recovery_finished_old", "recovery_finished_new"):
                text = messages.sms(name, site, locale)
                assert len(text) <= 160, text


async def test_a_used_link_is_refused(world: World) -> None:
    s = await setup(world)
    flow = await finish.open_link(world.deps, "us", s.token, WHO)
    async with world.deps.uow() as uow:  # used meanwhile (by another completion)
        assert await uow.links.use(
            "us", lockout.link_hash(world.deps, s.token), finish.PURPOSE, world.clock.now()
        )
        await uow.commit()
    with pytest.raises(FlowExpired):
        await finish.open_link(world.deps, "us", s.token, WHO)
    with pytest.raises(FlowExpired):
        await finish.status(world.deps, "us", flow)
    with pytest.raises(FlowExpired):
        await finish_with(world, flow)
    async with world.deps.uow() as uow:
        ana = await uow.accounts.get("us", s.account_id)
    assert ana is not None and await world.deps.hasher.verify(ana.password_hash, PW)
    assert (await recovery_of(world, s.recovery_id)).state == RecoveryState.READY


async def test_an_expired_link_is_refused(world: World) -> None:
    s = await setup(world)
    flow = await finish.open_link(world.deps, "us", s.token, WHO)
    world.clock.advance(minutes=31)  # the flow's own half hour
    with pytest.raises(FlowExpired):
        await finish_with(world, flow)
    world.clock.advance(hours=24)
    with pytest.raises(FlowExpired):
        await finish.open_link(world.deps, "us", s.token, WHO)
    await assert_untouched(world, s)


@pytest.mark.parametrize("state", [RecoveryState.CANCELLED, RecoveryState.WAITING])
async def test_a_recovery_that_is_not_ready_is_refused(world: World, state: RecoveryState) -> None:
    token = await signed_up(world)
    me = await account.current(world.deps, "us", token)
    _recovery_id, finish_token = await add_recovery(world, me.account.id, state=state)
    with pytest.raises(FlowExpired):
        await finish.open_link(world.deps, "us", finish_token, WHO)


async def test_a_recovery_cancelled_after_the_link_opened_is_refused(world: World) -> None:
    s = await setup(world)
    flow = await finish.open_link(world.deps, "us", s.token, WHO)
    async with world.deps.uow() as uow:  # This wasn't me, meanwhile
        assert await uow.recoveries.move(
            "us", s.recovery_id, RecoveryState.READY, state=RecoveryState.CANCELLED
        )
        await uow.commit()
    with pytest.raises(FlowExpired):
        await finish_with(world, flow)
    assert (await link_of(world, s.token)).used_at is None
    async with world.deps.uow() as uow:
        ana = await uow.accounts.get("us", s.account_id)
    assert ana is not None and ana.email == ANA and ana.contacts_fixed_until is None


async def test_security_28_another_sites_link_is_refused(world: World) -> None:
    s = await setup(world)
    with pytest.raises(FlowExpired):
        await finish.open_link(world.deps, "uk", s.token, WHO)
    flow = await finish.open_link(world.deps, "us", s.token, WHO)
    with pytest.raises(FlowExpired):
        await finish.status(world.deps, "uk", flow)
    with pytest.raises(FlowExpired):
        await finish_with(world, flow, site="uk")
    await assert_untouched(world, s)


async def test_a_cancel_link_of_the_same_recovery_is_not_a_finish_link(world: World) -> None:
    s = await setup(world)
    async with world.deps.uow() as uow:
        link = await uow.links.get("us", lockout.link_hash(world.deps, s.token), finish.PURPOSE)
        assert link is not None
        other = new_token(world.deps.rng)
        await uow.links.add(
            Link(
                id_hash=lockout.link_hash(world.deps, other),
                site="us",
                account_id=s.account_id,
                purpose=FlowPurpose.RECOVERY_CANCEL,  # This wasn't me, same recovery
                reason=s.recovery_id,
                created_at=link.created_at,
                expires_at=link.expires_at,
            )
        )
        await uow.commit()
    with pytest.raises(FlowExpired):
        await finish.open_link(world.deps, "us", other, WHO)


async def test_twenty_parallel_completions_change_the_password_once(world: World) -> None:
    s = await setup(world)
    # Twenty tabs opened from the one link, each with a flow of its own.
    flows = [await finish.open_link(world.deps, "us", s.token, WHO) for _ in range(20)]

    async def attempt(n: int) -> object:
        try:
            await finish_with(world, flows[n], f"{NEW}-{n:02d}")
        except FlowExpired as exc:
            return exc
        return n

    results = await asyncio.gather(*(attempt(n) for n in range(20)))
    winners = [r for r in results if isinstance(r, int)]
    assert len(winners) == 1, results
    assert sum(isinstance(r, FlowExpired) for r in results) == 19
    async with world.deps.uow() as uow:
        ana = await uow.accounts.get("us", s.account_id)
        audit = await uow.audit.recent("us", s.account_id, 100)
        messages = await uow.outbox.for_account("us", s.account_id)
    assert ana is not None
    assert await world.deps.hasher.verify(ana.password_hash, f"{NEW}-{winners[0]:02d}")
    assert sum(e.action == AuditAction.RECOVERY_COMPLETED for e in audit) == 1
    assert sum(m.kind == MessageKind.RECOVERY_ENDED for m in messages) == 3
    assert (await recovery_of(world, s.recovery_id)).state == RecoveryState.COMPLETED


class MeanwhileHasher:
    """The real hasher, running ``meanwhile`` while it hashes the new password: the moment
    between the checks and the transaction that writes, where another server may act."""

    def __init__(self, inner: Any, meanwhile: Callable[[], Awaitable[None]]) -> None:
        self.inner = inner
        self.meanwhile = meanwhile

    async def hash(self, password: str) -> str:
        await self.meanwhile()
        return str(await self.inner.hash(password))

    async def verify(self, encoded: str, password: str, *, urgent: bool = False) -> bool:
        return bool(await self.inner.verify(encoded, password))

    async def verify_dummy(self, password: str, *, urgent: bool = False) -> None:
        await self.inner.verify_dummy(password)

    def needs_rehash(self, encoded: str) -> bool:
        return bool(self.inner.needs_rehash(encoded))


@pytest.mark.parametrize("what", ["link used", "recovery cancelled"])
async def test_each_guard_holds_on_its_own(world: World, what: str) -> None:
    """The link's use and the recovery's move are each a conditional write: whichever of
    them another server got to first, this completion writes nothing."""
    s = await setup(world)
    flow = await finish.open_link(world.deps, "us", s.token, WHO)

    async def meanwhile() -> None:
        async with world.deps.uow() as uow:
            if what == "link used":
                assert await uow.links.use(
                    "us", lockout.link_hash(world.deps, s.token), finish.PURPOSE, world.clock.now()
                )
            else:
                assert await uow.recoveries.move(
                    "us", s.recovery_id, RecoveryState.READY, state=RecoveryState.CANCELLED
                )
            await uow.commit()

    deps = replace(world.deps, hasher=MeanwhileHasher(world.deps.hasher, meanwhile))
    with pytest.raises(FlowExpired):
        await finish.complete(
            deps, "us", flow_token=flow, password=NEW, password_again=NEW, who=WHO
        )
    link = await link_of(world, s.token)
    recovery = await recovery_of(world, s.recovery_id)
    if what == "link used":  # the recovery's move was undone with the rest
        assert recovery.state == RecoveryState.READY
    else:
        assert link.used_at is None and recovery.state == RecoveryState.CANCELLED
    async with world.deps.uow() as uow:
        ana = await uow.accounts.get("us", s.account_id)
        sessions = await uow.sessions.list_for("us", s.account_id, world.clock.now())
    assert ana is not None and ana.email == ANA and ana.two_step
    assert await world.deps.hasher.verify(ana.password_hash, PW)
    assert len(sessions) == 2


async def test_the_new_password_is_checked_like_any_new_password(world: World) -> None:
    s = await setup(world)
    flow = await finish.open_link(world.deps, "us", s.token, WHO)
    with pytest.raises(PasswordRejected):
        await finish_with(world, flow, "short1")
    with pytest.raises(PasswordRejected, match="haven't used"):
        await finish_with(world, flow, PW)
    with pytest.raises(PasswordRejected) as mismatch:
        await finish.complete(
            world.deps, "us", flow_token=flow, password=NEW, password_again=NEW + "x", who=WHO
        )
    assert mismatch.value.field == "password_again"
    await assert_untouched(world, s)  # a refused password spends neither link nor recovery
    await finish_with(world, flow)
    assert (await recovery_of(world, s.recovery_id)).state == RecoveryState.COMPLETED


async def test_a_new_contact_taken_meanwhile_changes_nothing(world: World) -> None:
    s = await setup(world)
    flow = await finish.open_link(world.deps, "us", s.token, WHO)
    await signed_up(world, identifier=NEW_EMAIL)  # another account on this site took it
    with pytest.raises(ContactTaken, match="email address"):
        await finish_with(world, flow)
    await assert_untouched(world, s)
    async with world.deps.uow() as uow:
        assert await uow.sessions.list_for("us", s.account_id, world.clock.now()) != []


async def test_an_unverified_holder_or_another_site_does_not_block(world: World) -> None:
    s = await setup(world)
    await signed_up(world, site="uk", identifier=NEW_EMAIL)  # a separate account, elsewhere
    await registration.start(
        world.deps,
        "us",
        name="Someone",
        identifier=NEW_EMAIL,
        password=PW + "-2",
        password_again=PW + "-2",
        who=WHO,
    )  # registered here and never verified: not theirs
    flow = await finish.open_link(world.deps, "us", s.token, WHO)
    await finish_with(world, flow)
    async with world.deps.uow() as uow:
        holder = await uow.accounts.find("us", Identifier(IdentifierKind.EMAIL, NEW_EMAIL))
        elsewhere = await uow.accounts.find("uk", Identifier(IdentifierKind.EMAIL, NEW_EMAIL))
    assert holder is not None and holder.id == s.account_id
    assert elsewhere is not None and elsewhere.id != s.account_id


async def recovered_and_signed_in(world: World) -> account.Current:
    s = await setup(world)
    await finish_with(world, await finish.open_link(world.deps, "us", s.token, WHO))
    return await signed_in_again(world)


async def signed_in_again(world: World) -> account.Current:
    signed = await sign_in.sign_in(
        world.deps, "us", identifier=NEW_EMAIL, password=NEW, remember=False, who=WHO
    )
    assert isinstance(signed, sign_in.SignedIn)
    return await account.current(world.deps, "us", signed.session_token)


async def test_security_35_no_contact_change_for_48_hours(world: World) -> None:
    me = await recovered_and_signed_in(world)
    ends = world.clock.now() + timedelta(hours=48)
    for kind, value in (
        (IdentifierKind.EMAIL, "ana.third@example.org"),
        (IdentifierKind.PHONE, NEW_PHONE),
    ):
        with pytest.raises(ContactsOnHold) as refused:
            await account.start_contact_change(world.deps, me, kind, value, WHO)
        assert refused.value.until == ends
        assert refused.value.code == "contacts_on_hold" and refused.value.status == 409
        assert "17 Jan 2026, 7:00 AM EST" in refused.value.message
    # A phone as a second step is not a contact of the account: setting 2SV up again works.
    flow, sent_to = await two_step.start_phone(world.deps, me, "+12015550177", "sms", WHO)
    assert flow and sent_to.endswith("0177")
    world.clock.advance(hours=47, minutes=59)
    me = await signed_in_again(world)
    with pytest.raises(ContactsOnHold):
        await account.start_contact_change(world.deps, me, IdentifierKind.PHONE, NEW_PHONE, WHO)
    world.clock.advance(minutes=1)  # 48 hours on: the hold has lifted
    me = await signed_in_again(world)
    for kind, value in (
        (IdentifierKind.EMAIL, "ana.third@example.org"),
        (IdentifierKind.PHONE, NEW_PHONE),
    ):
        started = await account.start_contact_change(world.deps, me, kind, value, WHO)
        assert started.flow_token
    await account.confirm_contact_change(
        world.deps, me, IdentifierKind.PHONE, started.flow_token, await world.code(NEW_PHONE), WHO
    )
    async with world.deps.uow() as uow:
        ana = await uow.accounts.get("us", me.account.id)
    assert ana is not None and (ana.phone, ana.phone_verified) == (NEW_PHONE, True)


async def test_confirming_a_change_is_refused_while_the_contacts_are_held(world: World) -> None:
    me = await recovered_and_signed_in(world)
    world.clock.advance(hours=48)
    me = await signed_in_again(world)
    started = await account.start_contact_change(
        world.deps, me, IdentifierKind.PHONE, NEW_PHONE, WHO
    )
    code = await world.code(NEW_PHONE)
    # A hold that began after the code went out (a change racing a recovery's completion).
    held = account.Current(
        session=me.session,
        account=replace(me.account, contacts_fixed_until=world.clock.now() + timedelta(hours=1)),
    )
    with pytest.raises(ContactsOnHold):
        await account.confirm_contact_change(
            world.deps, held, IdentifierKind.PHONE, started.flow_token, code, WHO
        )
    async with world.deps.uow() as uow:
        ana = await uow.accounts.get("us", me.account.id)
    assert ana is not None and ana.phone is None
