"""Login & security flows: name, password, contacts, devices, activity, Message Center."""

from __future__ import annotations

import pytest

from entryway.core.events import AuditAction, MessageKind
from entryway.core.identifiers import IdentifierKind
from entryway.errors import CodeRejected, InvalidInput, PasswordRejected, Unauthenticated
from entryway.flows.account import account, registration
from entryway.flows.ports import Requester
from entryway.flows.signin import sign_in
from tests.conftest import World

PW = "quiet-meadow-lantern"
WHO = Requester(ip="192.0.2.10", user_agent="pytest")


async def signed_in(world: World, identifier: str = "ana@example.com") -> account.Current:
    return (await signed_in_with_token(world, identifier))[0]


async def signed_in_with_token(
    world: World, identifier: str = "ana@example.com"
) -> tuple[account.Current, str]:
    started = await registration.start(
        world.deps,
        "us",
        name="Ana Lopez",
        identifier=identifier,
        password=PW,
        password_again=PW,
        who=WHO,
    )
    code = await world.code(identifier)
    done = await registration.verify(
        world.deps, "us", flow_token=started.flow_token, code=code, who=WHO
    )
    return await account.current(world.deps, "us", done.session_token), done.session_token


async def second_device(world: World) -> str:
    result = await sign_in.sign_in(
        world.deps,
        "us",
        identifier="ana@example.com",
        password=PW,
        remember=False,
        who=Requester(ip="192.0.2.99"),
    )
    assert isinstance(result, sign_in.SignedIn)
    return result.session_token


async def test_password_change_needs_current_ends_others_and_notifies(world: World) -> None:
    me, mine = await signed_in_with_token(world)
    other = await second_device(world)
    with pytest.raises(PasswordRejected, match="current password"):
        await account.change_password(
            world.deps,
            me,
            current_password="wrong-one-1",
            new="brand-new-phrase-7",
            new_again="brand-new-phrase-7",
            who=WHO,
        )
    with pytest.raises(PasswordRejected, match="haven't used"):
        await account.change_password(
            world.deps, me, current_password=PW, new=PW, new_again=PW, who=WHO
        )
    await account.change_password(
        world.deps,
        me,
        current_password=PW,
        new="brand-new-phrase-7",
        new_again="brand-new-phrase-7",
        who=WHO,
    )
    with pytest.raises(Unauthenticated):
        await account.current(world.deps, "us", other)
    still = await account.current(world.deps, "us", mine)  # this device stays signed in
    assert still.account.id == me.account.id
    await world.deliver()
    assert world.mailer.sent[-1].subject.endswith("your password was changed")
    ok = await sign_in.sign_in(
        world.deps,
        "us",
        identifier="ana@example.com",
        password="brand-new-phrase-7",
        remember=False,
        who=WHO,
    )
    assert isinstance(ok, sign_in.SignedIn)


async def test_email_change_verified_by_code_and_old_address_told(world: World) -> None:
    me = await signed_in(world)
    with pytest.raises(InvalidInput):
        await account.start_contact_change(
            world.deps, me, IdentifierKind.EMAIL, "+12015550123", WHO
        )
    started = await account.start_contact_change(
        world.deps, me, IdentifierKind.EMAIL, "Ana.New@Example.com", WHO
    )
    assert started.sent_to == "a***@example.com"
    with pytest.raises(CodeRejected):
        await account.confirm_contact_change(
            world.deps, me, IdentifierKind.EMAIL, started.flow_token, "000000", WHO
        )
    code = await world.code("ana.new@example.com")
    await account.confirm_contact_change(
        world.deps, me, IdentifierKind.EMAIL, started.flow_token, code, WHO
    )
    await world.deliver()
    told = [m for m in world.mailer.sent if m.to == "ana@example.com"]
    assert "was changed" in told[-1].subject and "a***@example.com" in told[-1].body
    with pytest.raises(Exception, match="couldn't sign you in"):
        await sign_in.sign_in(
            world.deps, "us", identifier="ana@example.com", password=PW, remember=False, who=WHO
        )
    ok = await sign_in.sign_in(
        world.deps, "us", identifier="ana.new@example.com", password=PW, remember=False, who=WHO
    )
    assert isinstance(ok, sign_in.SignedIn)


async def test_adding_a_phone_by_sms(world: World) -> None:
    me = await signed_in(world)
    started = await account.start_contact_change(
        world.deps, me, IdentifierKind.PHONE, "(201) 555-0123", WHO
    )
    code = await world.code("+12015550123")
    await account.confirm_contact_change(
        world.deps, me, IdentifierKind.PHONE, started.flow_token, code, WHO
    )
    ok = await sign_in.sign_in(
        world.deps, "us", identifier="201-555-0123", password=PW, remember=False, who=WHO
    )
    assert isinstance(ok, sign_in.SignedIn)


async def test_devices_sign_out_one_and_everywhere(world: World) -> None:
    me = await signed_in(world)
    other = await second_device(world)
    overview = await account.overview(world.deps, me)
    assert len(overview.sessions) == 2
    target = next(s for s in overview.sessions if s.public_id != me.session.public_id)
    await account.end_session(world.deps, me, target.public_id, WHO)
    with pytest.raises(Unauthenticated):
        await account.current(world.deps, "us", other)
    assert await account.end_all_sessions(world.deps, me, WHO) == 1
    actions = [e.action for e in (await account.overview(world.deps, me)).activity]
    assert AuditAction.SESSIONS_ENDED_ALL in actions and AuditAction.SESSION_ENDED in actions


async def test_message_center_lists_what_we_sent_to_this_account_only(world: World) -> None:
    me = await signed_in(world)
    await registration.start(
        world.deps,
        "us",
        name="Bo",
        identifier="bo@example.com",
        password=PW,
        password_again=PW,
        who=WHO,
    )
    kinds = [m.kind for m in await account.messages(world.deps, me)]
    assert kinds == [MessageKind.VERIFY_ACCOUNT]


async def test_name_change_is_audited(world: World) -> None:
    me = await signed_in(world)
    await account.change_name(world.deps, me, "  Ana   María  ", WHO)
    fresh = (await account.overview(world.deps, me)).account
    async with world.deps.uow() as uow:
        stored = await uow.accounts.get("us", fresh.id)
    assert stored is not None and stored.name == "Ana María"
    with pytest.raises(InvalidInput):
        await account.change_name(world.deps, me, "x" * 101, WHO)


async def test_an_unverified_sign_up_cannot_squat_an_address(world: World) -> None:
    squatter = await registration.start(
        world.deps,
        "us",
        name="Eve",
        identifier="ana@example.com",
        password=PW,
        password_again=PW,
        who=WHO,
    )
    assert squatter.flow_token  # never verified
    me = await signed_in(world, "+12015550123")
    started = await account.start_contact_change(
        world.deps, me, IdentifierKind.EMAIL, "ana@example.com", WHO
    )
    await account.confirm_contact_change(
        world.deps,
        me,
        IdentifierKind.EMAIL,
        started.flow_token,
        await world.code("ana@example.com"),
        WHO,
    )
    ok = await sign_in.sign_in(
        world.deps, "us", identifier="ana@example.com", password=PW, remember=False, who=WHO
    )
    assert isinstance(ok, sign_in.SignedIn) and ok.account_id == me.account.id


async def test_security_06_wrong_current_passwords_count(world: World) -> None:
    me = await signed_in(world)
    for n in range(1, 11):
        # The tenth wrong one locks the account, and says so (SECURITY.md 6).
        world.clock.advance(seconds=31)  # past the progressive delay, which applies here too
        with pytest.raises(PasswordRejected, match="incorrect" if n < 10 else "locked"):
            await account.change_password(
                world.deps,
                me,
                current_password="wrong-one-1",
                new="brand-new-phrase-7",
                new_again="brand-new-phrase-7",
                who=WHO,
            )
    with pytest.raises(PasswordRejected, match="locked"):
        await account.change_password(
            world.deps,
            me,
            current_password=PW,
            new="brand-new-phrase-7",
            new_again="brand-new-phrase-7",
            who=WHO,
        )
