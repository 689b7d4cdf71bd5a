"""What ends a customer's sessions ends the apps' tokens (SECURITY.md 26), and tells the
apps that listen by back-channel logout; a guessing lock does not (SECURITY.md 10)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from entryway.core.apps import TokenKind
from entryway.core.events import Channel, MessageKind
from entryway.core.lockout import LockReason
from entryway.core.secrets import new_token
from entryway.errors import SignInLocked, Unauthenticated
from entryway.flows.account import account
from entryway.flows.apps import clients, grants, keys
from entryway.flows.apps.records import App, Grant, Token
from entryway.flows.common import open_session
from entryway.flows.recovery import password_reset
from entryway.flows.signin import lockout, sign_in
from tests.conftest import World
from tests.flows.test_password_reset import NEW, PW, WHO, make
from tests.flows.trust.helpers import suspend, trust_deps


async def _app(world: World, backchannel: bool = True) -> App:
    await keys.ensure_keys(world.deps)
    app, _ = await clients.register(
        world.deps,
        site="us",
        name="Acme Shop",
        redirect_uris=["http://shop.localhost:8000/callback"],
        backchannel_logout_uri="http://shop.localhost:8000/backchannel-logout"
        if backchannel
        else "",
        first_party=True,
    )
    return app


async def _grant(
    world: World, app: App, account_id: str, sid: str, scopes: tuple[str, ...] = ("openid",)
) -> tuple[Grant, str, str]:
    """A redeemed grant with a live access and refresh token (their clear values)."""
    deps, now = world.deps, world.clock.now()
    grant = Grant(
        id=new_token(deps.rng, 16), site="us", app_id=app.id, account_id=account_id,
        scopes=list(scopes), redirect_uri=app.redirect_uris[0],
        code_hash=clients.code_hash(deps, new_token(deps.rng)), code_expires_at=now,
        code_challenge="x" * 43, nonce="", sid=sid, auth_time=now, amr=["pwd"],
        created_at=now, refresh_until=now + timedelta(days=365), code_used_at=now,
    )  # fmt: skip
    access, refresh = new_token(deps.rng), new_token(deps.rng)
    async with deps.uow() as uow:
        await uow.apps.add_grant(grant)
        for raw, kind in ((access, TokenKind.ACCESS), (refresh, TokenKind.REFRESH)):
            await uow.apps.add_token(
                Token(hash=clients.token_hash(deps, raw), site="us", grant_id=grant.id,
                      kind=kind, created_at=now, expires_at=now + timedelta(hours=1))
            )  # fmt: skip
        await uow.commit()
    return grant, access, refresh


async def _live(world: World, access: str) -> bool:
    return await grants.holder(world.deps, "us", access) is not None


async def _logout_tokens(world: World) -> list[str]:
    async with world.deps.uow() as uow:
        latest = await uow.outbox.latest()
    return [m.body for m in latest if m.kind == MessageKind.BACKCHANNEL_LOGOUT]


async def _signed_in(world: World) -> tuple[account.Current, str]:
    token = await make(world)
    return await account.current(world.deps, "us", token), token


async def test_sign_out_everywhere_ends_every_grant_and_tells_the_app(world: World) -> None:
    app = await _app(world)
    me, _ = await _signed_in(world)
    _, a1, _ = await _grant(world, app, me.account.id, me.session.public_id)
    _, a2, _ = await _grant(world, app, me.account.id, "other-device", ("openid", "offline_access"))
    await account.end_all_sessions(world.deps, me, WHO)
    assert not await _live(world, a1) and not await _live(world, a2)
    assert len(await _logout_tokens(world)) == 2
    # Logout tokens are for the app: the customer's Message Center never lists them.
    async with world.deps.uow() as uow:
        mine = await uow.outbox.for_account("us", me.account.id)
    assert all(m.channel != Channel.APP for m in mine)


async def test_signing_out_one_device_keeps_offline_access_and_other_devices(
    world: World,
) -> None:
    app = await _app(world)
    me, token = await _signed_in(world)
    sid = me.session.public_id
    _, online, _ = await _grant(world, app, me.account.id, sid)
    _, offline, _ = await _grant(world, app, me.account.id, sid, ("openid", "offline_access"))
    _, elsewhere, _ = await _grant(world, app, me.account.id, "another-session")
    await account.sign_out(world.deps, "us", token, WHO)
    assert not await _live(world, online)
    assert await _live(world, offline) and await _live(world, elsewhere)
    assert len(await _logout_tokens(world)) == 1  # one app, one session: one token


async def test_a_password_reset_ends_the_apps_tokens(world: World) -> None:
    app = await _app(world)
    me, _ = await _signed_in(world)
    _, access, refresh = await _grant(world, app, me.account.id, me.session.public_id)
    progress = await password_reset.start(world.deps, "us", identifier="ana@example.com", who=WHO)
    code = await world.code("ana@example.com")
    await password_reset.verify(world.deps, "us", flow_token=progress.flow_token, code=code)
    await password_reset.complete(
        world.deps, "us", flow_token=progress.flow_token, password=NEW, password_again=NEW, who=WHO
    )
    assert not await _live(world, access)
    assert await grants.refresh_holder(world.deps, "us", refresh) is None


async def test_a_password_change_ends_the_other_sessions_apps_offline_access_too(
    world: World,
) -> None:
    """Whoever knew the old password may have signed an app of theirs in: its tokens end with
    their session; the apps of the session that changed the password keep working."""
    app = await _app(world)
    me, _ = await _signed_in(world)
    _, mine, _ = await _grant(world, app, me.account.id, me.session.public_id)
    _, theirs, their_refresh = await _grant(
        world, app, me.account.id, "the-thiefs-session", ("openid", "offline_access")
    )
    await account.change_password(
        world.deps, me, current_password=PW, new=NEW, new_again=NEW, who=WHO
    )
    assert not await _live(world, theirs)
    assert await grants.refresh_holder(world.deps, "us", their_refresh) is None
    assert await _live(world, mine)
    assert len(await _logout_tokens(world)) == 1  # the other session's, told to its app


async def test_a_suspension_ends_the_apps_tokens(world: World) -> None:
    app = await _app(world)
    me, _ = await _signed_in(world)
    _, access, _ = await _grant(world, app, me.account.id, me.session.public_id)
    await suspend(trust_deps(world), me.account.id)
    assert not await _live(world, access)
    assert await _logout_tokens(world)


async def test_a_guessing_lock_leaves_the_owners_apps_alone(world: World) -> None:
    app = await _app(world, backchannel=False)
    me, _ = await _signed_in(world)
    _, access, refresh = await _grant(world, app, me.account.id, me.session.public_id)
    async with world.deps.uow() as uow:  # what ten wrong passwords from elsewhere do
        budget = lockout.budget_for(world.deps, "us", WHO, account=me.account)
        assert await lockout.lock(world.deps, uow, budget, LockReason.PASSWORD_GUESSING, WHO)
        await uow.commit()
    with pytest.raises(SignInLocked):  # the lock holds for sign-in
        await sign_in.sign_in(
            world.deps, "us", identifier="ana@example.com", password=PW, remember=False, who=WHO
        )
    assert await _live(world, access)
    assert await grants.refresh_holder(world.deps, "us", refresh) is not None


@pytest.mark.parametrize("why", ["signed_out_all"])
async def test_the_audit_says_how_many_grants_ended(world: World, why: str) -> None:
    app = await _app(world, backchannel=False)
    me, _ = await _signed_in(world)
    await _grant(world, app, me.account.id, me.session.public_id)
    await account.end_all_sessions(world.deps, me, WHO)
    async with world.deps.uow() as uow:
        recent = await uow.audit.recent("us", me.account.id)
    ended = [e for e in recent if e.action == "app.grant_revoked"]
    assert ended and ended[0].detail == {"count": 1, "why": why}


async def _another_session(world: World, account_id: str) -> str:
    async with world.deps.uow() as uow:
        found = await uow.accounts.get("us", account_id)
        assert found is not None
        opened = await open_session(world.deps, uow, found, remember=False, who=WHO, client="web")
        await uow.commit()
    return opened.token


async def test_signing_in_again_in_the_same_browser_goes_on_under_the_same_sid(
    world: World,
) -> None:
    """An app asked for a fresh sign-in: the browser's old session ends, and the new one is
    the session the apps know (their sid), so signing out still ends their tokens."""
    app = await _app(world)
    me, old = await _signed_in(world)
    sid = me.session.public_id
    _, access, _ = await _grant(world, app, me.account.id, sid)
    new = await _another_session(world, me.account.id)
    await account.replace_session(world.deps, "us", old, new, WHO)
    with pytest.raises(Unauthenticated):
        await account.current(world.deps, "us", old)
    again = await account.current(world.deps, "us", new)
    assert again.session.public_id == sid
    assert await _live(world, access) and not await _logout_tokens(world)
    await account.sign_out(world.deps, "us", new, WHO)
    assert not await _live(world, access)
    assert len(await _logout_tokens(world)) == 1


async def test_someone_else_signing_in_in_that_browser_signs_the_old_session_out(
    world: World,
) -> None:
    app = await _app(world)
    me, old = await _signed_in(world)
    _, access, _ = await _grant(world, app, me.account.id, me.session.public_id)
    other = await make(world, "bo@example.com")
    await account.replace_session(world.deps, "us", old, other, WHO)
    with pytest.raises(Unauthenticated):
        await account.current(world.deps, "us", old)
    assert not await _live(world, access) and len(await _logout_tokens(world)) == 1
    assert (await account.current(world.deps, "us", other)).session.public_id != (
        me.session.public_id
    )
