"""Appeals against a suspension (SECURITY.md 37, DSA Art. 20): one open at a time, two
decided at most, inside the window, the second by another person, trust staff of the
site only, and what reinstating and upholding do."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, replace

import pytest

from entryway.core.cases import Author, CaseState, Origin, Topic
from entryway.core.events import AuditAction, MessageKind
from entryway.core.local_time import site_time
from entryway.core.staff import Actor, Role, StaffAction
from entryway.core.suspension import DEMO_REASONS, AppealState, ReasonCatalog, SuspensionState
from entryway.errors import (
    AccountSuspended,
    Conflict,
    FlowExpired,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthenticated,
)
from entryway.flows.account import account
from entryway.flows.ports import Appeal, Deps, Message, Requester
from entryway.flows.signin import sign_in
from entryway.flows.support import cases, queue
from entryway.flows.trust import appeals, measures, notice
from tests.conftest import World
from tests.flows.test_account import PW, signed_in_with_token

TRUST = Actor("s-trust1", "t1@staff.example", frozenset({Role.TRUST}), frozenset({"us"}))
TRUST_2 = Actor("s-trust2", "t2@staff.example", frozenset({Role.TRUST}), frozenset({"us"}))
UK_TRUST = Actor("s-trustuk", "tuk@staff.example", frozenset({Role.TRUST}), frozenset({"uk"}))
AGENT = Actor("s-agent", "agent@staff.example", frozenset({Role.AGENT}), frozenset({"us"}))
REVIEWER = Actor("s-rev", "rev@staff.example", frozenset({Role.REVIEWER}), frozenset({"us"}))
WHO = Requester(ip="192.0.2.77", user_agent="pytest")
ELSEWHERE = Requester(ip="192.0.2.99")
ANA = "ana@example.com"
LINK = re.compile(r"/suspension/appeal\?token=([A-Za-z0-9_-]+)")
APPEAL = "I paid for every order myself with my own card; please look again."


@dataclass
class Suspended:
    deps: Deps
    account_id: str
    session: str  # the session Ana had before the suspension
    suspension_id: str
    world: World | None = None  # whose mailer twin received the emails
    email: str = ANA


def with_reasons(world: World) -> Deps:
    return replace(world.deps, suspension_reasons=ReasonCatalog(DEMO_REASONS))


async def suspended(world: World, identifier: str = ANA) -> Suspended:
    """Ana, signed in, then suspended (indefinitely, payment_fraud) by trust staff."""
    deps = with_reasons(world)
    me, session = await signed_in_with_token(world, identifier)
    done = await measures.suspend(
        deps,
        TRUST,
        site="us",
        account_id=me.account.id,
        reason="payment_fraud",
        facts="Three orders in March were paid with a card reported stolen.",
        until=None,
        automated=False,
        who=WHO,
    )
    return Suspended(deps, me.account.id, session, done.id, world, identifier)


async def messages(s: Suspended, kind: MessageKind) -> list[Message]:
    async with s.deps.uow() as uow:
        found = await uow.outbox.for_account("us", s.account_id)
    return [m for m in found if m.kind is kind]


async def link_view(s: Suspended) -> str:
    """A view token from the newest emailed notice link."""
    bodies = [m.body for m in await messages(s, MessageKind.SUSPENSION_NOTICE)]
    bodies += [m.body for m in await messages(s, MessageKind.APPEAL_DECIDED)]
    if s.world is not None:  # once delivered, the stored copy keeps no token: read the email
        await s.world.deliver()
        bodies += [m.body for m in s.world.mailer.sent if m.to == s.email]
    tokens = [t for b in bodies for t in LINK.findall(b) if t != "hidden"]
    assert tokens, "no notice link was sent"
    return await notice.open_link(s.deps, "us", tokens[-1])


async def password_view(s: Suspended, identifier: str = ANA) -> str:
    """The view token a right password's refusal hands out."""
    with pytest.raises(AccountSuspended) as raised:
        await sign_in.sign_in(
            s.deps, "us", identifier=identifier, password=PW, remember=False, who=ELSEWHERE
        )
    return raised.value.notice_token


async def direct_view(s: Suspended) -> str:
    """A view token naming ``s.suspension_id`` made directly (a warning refuses no sign-in,
    so no refusal would hand one out: this is the strongest view there can be)."""
    async with s.deps.uow() as uow:
        found = await uow.accounts.get("us", s.account_id)
        assert found is not None
        token = await notice.new_view(s.deps, uow, found, s.suspension_id)
        await uow.commit()
    return token


async def case_id(s: Suspended, number: str) -> str:
    hits = await queue.search(s.deps, TRUST, number)
    assert [h.number for h in hits] == [number]
    return hits[0].id


async def appeal_rows(s: Suspended) -> list[Appeal]:
    async with s.deps.uow() as uow:
        return await uow.suspensions.appeals("us", s.suspension_id)


async def test_submit_makes_a_case_for_trust_staff_of_the_site_only(world: World) -> None:
    s = await suspended(world)
    with pytest.raises(InvalidInput):
        await appeals.submit(s.deps, "us", await link_view(s), text="   ", who=WHO)
    sent = await appeals.submit(s.deps, "us", await link_view(s), text=APPEAL, who=WHO)
    assert sent.number == 1 and re.fullmatch(r"\d{8}", sent.case_number)
    cid = await case_id(s, sent.case_number)
    assert [i.id for i in await queue.queue(s.deps, TRUST)] == [cid]
    for actor in (AGENT, REVIEWER, UK_TRUST):
        assert await queue.queue(s.deps, actor) == []
    opened = await queue.open_case(s.deps, TRUST, cid)
    assert opened.case.topic is Topic.APPEAL and opened.case.origin is Origin.SIGNED_OUT
    assert opened.account_id == s.account_id
    first = opened.entries[0]
    assert (first.author, first.body) == (Author.CUSTOMER, APPEAL)
    assert opened.entries[1].author is Author.SYSTEM
    assert "Payments we could not accept" in opened.entries[1].body
    [row] = await appeal_rows(s)
    assert row.state is AppealState.OPEN and row.case_id == cid and row.text == APPEAL
    [received] = await messages(s, MessageKind.APPEAL_RECEIVED)
    assert received.to == ANA and sent.case_number in received.body
    async with s.deps.uow() as uow:
        log = await uow.audit.recent("us", s.account_id)
    opened_row = next(e for e in log if e.action is AuditAction.APPEAL_OPENED)
    assert opened_row.detail["case"] == sent.case_number
    panel = await appeals.panel_for_case(s.deps, TRUST, cid)
    assert panel is not None and panel.appeal.id == row.id and panel.can_decide
    assert panel.earlier == () and panel.statement.suspension_id == s.suspension_id


async def test_a_view_after_a_right_password_opens_a_password_passed_case(world: World) -> None:
    s = await suspended(world)
    sent = await appeals.submit(s.deps, "us", await password_view(s), text=APPEAL, who=WHO)
    opened = await queue.open_case(s.deps, TRUST, await case_id(s, sent.case_number))
    assert opened.case.origin is Origin.PASSWORD_PASSED


async def test_a_second_open_appeal_is_refused(world: World) -> None:
    s = await suspended(world)
    view = await link_view(s)
    await appeals.submit(s.deps, "us", view, text=APPEAL, who=WHO)
    with pytest.raises(Conflict) as raised:
        await appeals.submit(s.deps, "us", view, text="Again, please.", who=WHO)
    assert raised.value.message == appeals.ALREADY_OPEN
    assert len(await appeal_rows(s)) == 1
    assert len(await queue.queue(s.deps, TRUST)) == 1  # the refused one left no case


async def test_two_appeals_at_once_keep_one(world: World) -> None:
    s = await suspended(world)
    views = [await link_view(s), await password_view(s)]
    results = await asyncio.gather(
        *(appeals.submit(s.deps, "us", v, text=APPEAL, who=WHO) for v in views),
        return_exceptions=True,
    )
    sent = [r for r in results if isinstance(r, appeals.AppealSent)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(sent) == 1 and len(refused) == 1, results
    assert refused[0].message == appeals.ALREADY_OPEN
    assert len(await appeal_rows(s)) == 1
    assert [i.number for i in await queue.queue(s.deps, TRUST)] == [sent[0].case_number]


async def test_uphold_then_a_second_appeal_decided_by_someone_else(world: World) -> None:
    s = await suspended(world)
    first = await appeals.submit(s.deps, "us", await link_view(s), text=APPEAL, who=WHO)
    cid = await case_id(s, first.case_number)
    with pytest.raises(InvalidInput):
        await appeals.decide(s.deps, TRUST, cid, decision="uphold", reason="  ")
    with pytest.raises(InvalidInput):
        await appeals.decide(s.deps, TRUST, cid, decision="maybe", reason="No.")
    decided = await appeals.decide(
        s.deps, TRUST, cid, decision="uphold", reason="The card's owner confirmed the report."
    )
    assert decided.state is AppealState.UPHELD and decided.decided_by == TRUST.staff_id
    with pytest.raises(FlowExpired):  # decided once only
        await appeals.decide(s.deps, TRUST_2, cid, decision="reinstate", reason="Changed mind.")
    solved = await queue.open_case(s.deps, TRUST, cid)
    assert solved.case.state is CaseState.SOLVED
    assert (Author.AGENT, "The card's owner confirmed the report.") in [
        (e.author, e.body) for e in solved.entries
    ]
    [upheld] = await messages(s, MessageKind.APPEAL_DECIDED)
    assert "The card's owner confirmed the report." in upheld.body
    assert "appeal once more" in upheld.body and LINK.search(upheld.body)
    async with s.deps.uow() as uow:
        row = await uow.suspensions.get("us", s.suspension_id)
    assert row is not None and row.appeal_until is not None
    assert f"until {site_time(row.appeal_until, s.deps.site('us'))}" in upheld.body

    # The second appeal, through the fresh link the decision sent.
    second = await appeals.submit(s.deps, "us", await link_view(s), text="Look again.", who=WHO)
    assert second.number == 2
    cid2 = await case_id(s, second.case_number)
    panel = await appeals.panel_for_case(s.deps, TRUST, cid2)
    assert panel is not None and not panel.can_decide
    assert panel.why_not == appeals.SECOND_BY_OTHER
    assert [a.number for a in panel.earlier] == [1]
    with pytest.raises(Forbidden) as raised:
        await appeals.decide(s.deps, TRUST, cid2, decision="reinstate", reason="On reflection.")
    assert raised.value.message == appeals.SECOND_BY_OTHER
    assert [a.state for a in await appeal_rows(s)] == [AppealState.UPHELD, AppealState.OPEN]
    other = await appeals.panel_for_case(s.deps, TRUST_2, cid2)
    assert other is not None and other.can_decide and other.why_not is None
    await appeals.decide(s.deps, TRUST_2, cid2, decision="uphold", reason="Same finding.")
    [last] = [m for m in await messages(s, MessageKind.APPEAL_DECIDED) if "Same" in m.body]
    assert "Same finding." in last.body and not LINK.search(last.body)
    assert "reviewed twice" in last.body

    # A third appeal is refused, whatever view it comes from.
    with pytest.raises(Forbidden) as third:
        await appeals.submit(s.deps, "us", await password_view(s), text="Third.", who=WHO)
    assert "twice" in third.value.message
    async with s.deps.uow() as uow:
        log = await uow.audit.recent("us", s.account_id)
        staff_log = await uow.staff.audit_log()
    upholds = [e for e in log if e.action is AuditAction.APPEAL_UPHELD]
    assert {(e.detail["staff"], e.detail["reason"]) for e in upholds} == {
        (TRUST.staff_id, "The card's owner confirmed the report."),
        (TRUST_2.staff_id, "Same finding."),
    }
    assert {e.detail["case"] for e in upholds} == {first.case_number, second.case_number}
    decided_rows = [e for e in staff_log if e.action is StaffAction.APPEAL_DECIDED]
    assert {e.actor_id for e in decided_rows} == {TRUST.staff_id, TRUST_2.staff_id}


async def test_reinstating_lets_the_customer_sign_in_and_old_sessions_stay_ended(
    world: World,
) -> None:
    s = await suspended(world)
    await password_view(s)  # suspended: the right password opens no session
    sent = await appeals.submit(s.deps, "us", await link_view(s), text=APPEAL, who=WHO)
    cid = await case_id(s, sent.case_number)
    reason = "Your bank confirmed the payments were yours. Sorry for the trouble."
    decided = await appeals.decide(s.deps, TRUST, cid, decision="reinstate", reason=reason)
    assert decided.state is AppealState.REINSTATED
    async with s.deps.uow() as uow:
        lifted = await uow.suspensions.get("us", s.suspension_id)
        found = await uow.accounts.get("us", s.account_id)
        assert found is not None
        assert await notice.suspended_now(s.deps, uow, found) is None
        log = await uow.audit.recent("us", s.account_id)
    assert lifted is not None and lifted.state is SuspensionState.LIFTED
    assert lifted.lift_reason == reason and lifted.lifted_by == TRUST.staff_id
    assert found.suspension_id is None
    actions = [e.action for e in log]
    assert AuditAction.APPEAL_REINSTATED in actions and AuditAction.SUSPENSION_LIFTED in actions
    [told] = await messages(s, MessageKind.APPEAL_DECIDED)
    assert reason in told.body and "sign in again" in told.body
    with pytest.raises(Unauthenticated):  # the session from before the suspension
        await account.current(s.deps, "us", s.session)
    again = await sign_in.sign_in(
        s.deps, "us", identifier=ANA, password=PW, remember=False, who=ELSEWHERE
    )
    assert isinstance(again, sign_in.SignedIn)
    assert (await account.current(s.deps, "us", again.session_token)).account.id == s.account_id
    # Lifted: nothing left to appeal.
    with pytest.raises(Forbidden) as raised:
        await appeals.submit(s.deps, "us", await link_view(s), text="More.", who=WHO)
    assert "no longer applies" in raised.value.message


async def test_an_appeal_after_the_window_is_refused(world: World) -> None:
    s = await suspended(world)
    world.clock.advance(days=181)  # payment_fraud: 180 days to appeal
    with pytest.raises(Forbidden) as raised:
        await appeals.submit(s.deps, "us", await password_view(s), text=APPEAL, who=WHO)
    assert raised.value.message == "The time to appeal this decision has ended."
    assert await appeal_rows(s) == []


async def test_a_warning_cannot_be_appealed(world: World) -> None:
    deps = with_reasons(world)
    me, session = await signed_in_with_token(world)
    warning = await measures.warn(
        deps,
        TRUST,
        site="us",
        account_id=me.account.id,
        reason="abusive_reviews",
        facts="A review on 3 March insulted another customer.",
        automated=False,
        who=WHO,
    )
    s = Suspended(deps, me.account.id, session, warning.id)
    with pytest.raises(Forbidden):
        await appeals.submit(deps, "us", await direct_view(s), text=APPEAL, who=WHO)
    assert await appeal_rows(s) == []


async def test_staff_without_trust_cannot_see_the_panel_or_decide(world: World) -> None:
    s = await suspended(world)
    sent = await appeals.submit(s.deps, "us", await link_view(s), text=APPEAL, who=WHO)
    cid = await case_id(s, sent.case_number)
    for actor in (AGENT, REVIEWER):
        with pytest.raises(NotFound):
            await appeals.panel_for_case(s.deps, actor, cid)
        with pytest.raises(Forbidden):
            await appeals.decide(s.deps, actor, cid, decision="reinstate", reason="Looks fine.")
    both = Actor(
        "s-both", "b@staff.example", frozenset({Role.AGENT, Role.TRUST}), frozenset({"us"})
    )
    number = await _signed_out_case(s)
    other = await queue.search(s.deps, both, number)
    assert await appeals.panel_for_case(s.deps, both, other[0].id) is None  # not an appeal
    assert [a.state for a in await appeal_rows(s)] == [AppealState.OPEN]


async def _signed_out_case(s: Suspended) -> str:
    return await cases.open_signed_out(s.deps, "us", "Sam", "sam@example.com", "other", "Hi", WHO)


async def test_another_sites_case_is_not_found(world: World) -> None:
    s = await suspended(world)
    sent = await appeals.submit(s.deps, "us", await link_view(s), text=APPEAL, who=WHO)
    cid = await case_id(s, sent.case_number)
    for call in (
        appeals.panel_for_case(s.deps, UK_TRUST, cid),
        appeals.decide(s.deps, UK_TRUST, cid, decision="reinstate", reason="Fine."),
        appeals.panel_for_case(s.deps, TRUST, "no-such-case"),
    ):
        with pytest.raises(NotFound) as raised:
            await call
        assert raised.value.message == queue.NO_SUCH_CASE
    assert [a.state for a in await appeal_rows(s)] == [AppealState.OPEN]


async def test_a_notice_token_appeals_its_own_account_and_site_only(world: World) -> None:
    ana = await suspended(world)
    bob = await suspended(world, "bob@example.com")
    view = await link_view(ana)
    with pytest.raises(FlowExpired):  # bound to its site
        await appeals.submit(ana.deps, "uk", view, text=APPEAL, who=WHO)
    sent = await appeals.submit(ana.deps, "us", view, text=APPEAL, who=WHO)
    assert [a.account_id for a in await appeal_rows(ana)] == [ana.account_id]
    assert await appeal_rows(bob) == []
    # Bob's own view still appeals Bob's suspension, as his own first appeal.
    bobs = await appeals.submit(bob.deps, "us", await link_view(bob), text=APPEAL, who=WHO)
    assert bobs.number == 1 and bobs.case_number != sent.case_number
    assert [a.account_id for a in await appeal_rows(bob)] == [bob.account_id]
    with pytest.raises(FlowExpired):
        await appeals.submit(ana.deps, "us", "not-a-token", text=APPEAL, who=WHO)


async def test_an_appeal_case_is_not_solved_by_hand_while_its_appeal_is_open(
    world: World,
) -> None:
    """Solved by hand, the case would close unanswered and its open appeal would bar every
    later one: only the decision solves it."""
    s = await suspended(world)
    sent = await appeals.submit(s.deps, "us", await link_view(s), text=APPEAL, who=WHO)
    cid = await case_id(s, sent.case_number)
    with pytest.raises(InvalidInput) as raised:
        await queue.set_state(s.deps, TRUST, cid, CaseState.SOLVED)
    assert raised.value.field == "state"
    assert (await queue.open_case(s.deps, TRUST, cid)).case.state is not CaseState.SOLVED
    await appeals.decide(s.deps, TRUST, cid, decision="uphold", reason="Checked again.", who=WHO)
    assert (await queue.open_case(s.deps, TRUST, cid)).case.state is CaseState.SOLVED


async def test_a_view_from_a_reset_is_not_a_password_passed_case(world: World) -> None:
    """A reset or recovery that ended on the notice proved a contact, not the password."""
    s = await suspended(world)
    async with s.deps.uow() as uow:
        found = await uow.accounts.get("us", s.account_id)
        assert found is not None
        view = await notice.refusal(s.deps, uow, found)
        await uow.commit()
    assert view is not None
    sent = await appeals.submit(s.deps, "us", view, text=APPEAL, who=WHO)
    opened = await queue.open_case(s.deps, TRUST, await case_id(s, sent.case_number))
    assert opened.case.origin is Origin.SIGNED_OUT
