"""The agents' side of a case: the queue, search, the case with its whole thread, replies,
internal notes, assignment, states and the sweep that closes solved cases.

Every lookup is scoped by the staff member's sites and roles (``visible``): a case outside
them answers NotFound, exactly like a case that does not exist (SECURITY.md 33). Opening a
signed-out case looks no account up, so it says nothing about the contact typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from entryway.core.canned import CANNED
from entryway.core.cases import (
    AGENT_MOVES,
    CLOSE_AFTER,
    ORIGIN_LABELS,
    TOPIC_LABELS,
    Author,
    CaseState,
    Origin,
    Topic,
    after_agent_reply,
    agent_may_move,
    may_see,
    visible_topics,
)
from entryway.core.events import AuditAction, MessageKind
from entryway.core.staff import Actor, StaffAction, StaffStatus
from entryway.core.suspension import AppealState
from entryway.errors import Conflict, FlowExpired, InvalidIdentifier, InvalidInput, NotFound
from entryway.flows import words
from entryway.flows.common import audit
from entryway.flows.outbox.notices import RESET
from entryway.flows.ports import Deps, Requester, SupportCase, UnitOfWork
from entryway.flows.staff.common import audit as staff_audit
from entryway.flows.support.thread import clean_message, issue_link, record, tell_customer

NO_SUCH_CASE = "No such case."
WAITING = (CaseState.NEW, CaseState.OPEN, CaseState.PENDING_CUSTOMER, CaseState.ON_HOLD)
STAFF = Requester(user_agent="console")
SMS_EXCERPT = 80  # characters of an agent's reply that fit in a text beside the link


def excerpt(reply: str) -> str:
    """The start of a reply on one line, for the text message that links the case."""
    flat = " ".join(reply.split())
    return flat if len(flat) <= SMS_EXCERPT else flat[: SMS_EXCERPT - 1].rstrip() + "…"


@dataclass(frozen=True, slots=True)
class QueueItem:
    """A row of the queue or of search results."""

    id: str
    number: str
    site: str
    topic: Topic
    topic_label: str
    state: CaseState
    origin: Origin
    origin_label: str  # "Not verified", "Signed in", "Password step passed"
    claimed_name: str
    claimed_contact: str | None  # what a signed-out customer typed: "claims to be"
    assigned_to: str | None
    first_reply_due: datetime | None
    created_at: datetime
    linked: bool  # an account is attached (signed in, or verified)


@dataclass(frozen=True, slots=True)
class AgentEntry:
    author: Author
    body: str
    at: datetime
    staff_id: str | None


@dataclass(frozen=True, slots=True)
class AgentCase:
    """A case as an agent sees it: the thread with notes, and no account detail (the account
    summary is a tool of its own, for linked cases only)."""

    case: QueueItem
    entries: tuple[AgentEntry, ...]
    account_id: str | None
    verified: bool  # "verified" or "not verified": all an agent learns of Verify it's you
    verification_sent: bool
    moves: tuple[CaseState, ...]  # the states an agent may set from here
    canned: tuple[tuple[str, str, str], ...]  # (key, title, text for this case's site)


def scope(deps: Deps, actor: Actor) -> list[str]:
    """The site codes an actor's queries may touch."""
    return actor.site_scope([s.code for s in deps.sites.sites])


def item(case: SupportCase) -> QueueItem:
    return QueueItem(
        id=case.id,
        number=case.number,
        site=case.site,
        topic=case.topic,
        topic_label=TOPIC_LABELS[case.topic],
        state=case.state,
        origin=case.origin,
        origin_label=ORIGIN_LABELS[case.origin],
        claimed_name=case.claimed_name,
        claimed_contact=case.claimed_contact,
        assigned_to=case.assigned_to,
        first_reply_due=case.first_reply_due,
        created_at=case.created_at,
        linked=case.account_id is not None,
    )


async def visible(deps: Deps, uow: UnitOfWork, actor: Actor, case_id: str) -> SupportCase:
    """The case, if the actor's sites and roles reach it; otherwise NotFound, said exactly
    like an id that does not exist, so ids of other sites and topics reveal nothing."""
    found = (
        await uow.cases.in_sites(scope(deps, actor), case_id) if 0 < len(case_id) <= 32 else None
    )
    if found is None or not may_see(actor, found.site, found.topic):
        raise NotFound(NO_SUCH_CASE)
    return found


def _parse(enum: type[CaseState] | type[Topic], value: str | None, field: str) -> list[str]:
    if value is None or value == "":
        return []
    try:
        return [enum(value).value]
    except ValueError:
        raise InvalidInput(f"Unknown {field} {value!r}.", field=field) from None


async def queue(
    deps: Deps,
    actor: Actor,
    state: CaseState | str | None = None,
    topic: Topic | str | None = None,
    site: str | None = None,
    mine: bool = False,
    limit: int = 50,
) -> list[QueueItem]:
    """The actor's queue, soonest first reply due first; by default every case still
    waiting on someone (not solved, not closed)."""
    states = [CaseState(s) for s in _parse(CaseState, state, "state")] or list(WAITING)
    wanted = [Topic(t) for t in _parse(Topic, topic, "topic")]
    topics = [t for t in visible_topics(actor) if not wanted or t in wanted]
    sites = [s for s in scope(deps, actor) if site is None or s == site]
    async with deps.uow() as uow:
        found = await uow.cases.queue(
            sites, states, sorted(topics), actor.staff_id if mine else None, max(1, min(limit, 200))
        )
    return [item(c) for c in found]


async def search(deps: Deps, actor: Actor, query: str) -> list[QueueItem]:
    """By case number, or by the contact a customer typed (exact, in canonical form: a phone
    number is read with each site's region), across the actor's sites and topics."""
    text = (query or "").strip()
    sites = scope(deps, actor)
    async with deps.uow() as uow:
        if text.isdigit() and len(text) == 8:
            found = await uow.cases.by_number(sites, text)
            hits = [found] if found else []
        else:
            pairs = []
            for code in sites:
                try:
                    ident = deps.identifiers.parse(text, deps.site(code).phone_region)
                except InvalidIdentifier:
                    continue
                pairs.append((code, ident.value))
            if not pairs:
                raise InvalidInput(
                    "Enter a case number, an email address or a mobile number.", field="query"
                )
            # Sites (in the pairs) and topics in the query itself: filtered after its limit,
            # cases the actor cannot see would crowd out those they can.
            hits = await uow.cases.by_contact(pairs, sorted(visible_topics(actor)))
    return [item(c) for c in hits if may_see(actor, c.site, c.topic)]


async def open_case(deps: Deps, actor: Actor, case_id: str) -> AgentCase:
    """The case with its whole thread, notes included."""
    async with deps.uow() as uow:
        case = await visible(deps, uow, actor, case_id)
        thread = await uow.cases.entries(case.site, case.id)
    site = deps.site(case.site)
    return AgentCase(
        case=item(case),
        entries=tuple(AgentEntry(e.author, e.body, e.at, e.staff_id) for e in thread),
        account_id=case.account_id,
        verified=case.verified_at is not None,
        verification_sent=case.verify_sends > 0,
        moves=tuple(s for s in CaseState if s in AGENT_MOVES[case.state]),
        canned=tuple((c.key, c.title, c.render(site.brand, site.url(RESET))) for c in CANNED),
    )


async def reply(
    deps: Deps, actor: Actor, case_id: str, body: str, who: Requester = STAFF
) -> AgentCase:
    """Reply to customer: emailed (or texted, shortened) with a View your case link, listed
    in the Message Center once the case is linked; the case then waits on the customer."""
    text = clean_message(body, field="body")
    now = deps.clock.now()
    async with deps.uow() as uow:
        case = await visible(deps, uow, actor, case_id)
        if case.state is CaseState.CLOSED:
            raise FlowExpired("This case is closed: it takes no more replies.")
        moved = await uow.cases.move(
            case.site,
            case.id,
            case.state,
            state=after_agent_reply(case.state),
            last_agent_at=now,
            first_reply_due=None,  # answered: no longer due
        )
        if not moved:
            raise Conflict("The case changed meanwhile. Reload it and try again.")
        await record(deps, uow, case, Author.AGENT, text, actor.staff_id)
        site = deps.site(case.site)
        account = await uow.accounts.get(case.site, case.account_id) if case.account_id else None
        link = await issue_link(deps, uow, site, case)
        # A linked account's language, else the one the case was asked in.
        locale = words.reader_locale(site, account, Requester(locale=case.locale))
        await tell_customer(
            deps,
            uow,
            site,
            case,
            account,
            MessageKind.CASE_REPLY,
            deps.messages.email(
                "case_reply", site, locale, number=case.number, reply=text, link=link
            ),
            deps.messages.sms(
                "case_reply", site, locale, number=case.number, excerpt=excerpt(text), link=link
            ),
        )
        await audit(
            deps,
            uow,
            case.site,
            case.account_id,
            AuditAction.AGENT_REPLIED,
            who,
            staff=actor.staff_id,
            case=case.number,
        )
        await uow.commit()
    deps.on_message()
    return await open_case(deps, actor, case_id)


async def _staff_audit(
    deps: Deps,
    uow: UnitOfWork,
    action: StaffAction,
    actor: Actor,
    case: SupportCase,
    who: Requester,
    target_id: str | None = None,
    **detail: Any,
) -> None:
    """Case work the customer is not sent goes to the staff audit log (append-only), with
    the actor and the case: the customer's own log feeds their Recent activity, where an
    internal note or an assignment has no place, and a signed-out case has no account."""
    await staff_audit(
        deps,
        uow,
        action,
        actor_id=actor.staff_id,
        target_id=target_id,
        who=who,
        site=case.site,
        case=case.number,
        **detail,
    )


async def note(
    deps: Deps, actor: Actor, case_id: str, body: str, who: Requester = STAFF
) -> AgentCase:
    """Internal note: on the thread for staff, never sent, never shown to the customer."""
    text = clean_message(body, field="body")
    async with deps.uow() as uow:
        case = await visible(deps, uow, actor, case_id)
        await _take(uow, case)
        await record(deps, uow, case, Author.NOTE, text, actor.staff_id)
        await _staff_audit(deps, uow, StaffAction.CASE_NOTE_ADDED, actor, case, who)
        await uow.commit()
    return await open_case(deps, actor, case_id)


NOT_ASSIGNABLE = "Choose a staff member who works on this case's site and topic."


async def _assignable(uow: UnitOfWork, actor: Actor, case: SupportCase, staff_id: str) -> None:
    """The one assigned is an active staff member whose roles and sites reach the case (the
    actor, by ``visible``, already does); anyone else is InvalidInput, said one way."""
    if staff_id == actor.staff_id:
        return
    member = await uow.staff.get(staff_id)
    if (
        member is None
        or member.status is not StaffStatus.ACTIVE
        or not may_see(member.actor, case.site, case.topic)
    ):
        raise InvalidInput(NOT_ASSIGNABLE, field="staff")


async def assign(
    deps: Deps, actor: Actor, case_id: str, staff_id: str | None, who: Requester = STAFF
) -> AgentCase:
    """Assign to a staff member ("me" for oneself), or unassign with None. Only an active
    staff member whose roles see the case's topic on its site may be assigned."""
    target = actor.staff_id if staff_id == "me" else staff_id
    if target is not None and not (0 < len(target) <= 32 and target.isprintable()):
        raise InvalidInput(NOT_ASSIGNABLE, field="staff")
    async with deps.uow() as uow:
        case = await visible(deps, uow, actor, case_id)
        if target is not None:
            await _assignable(uow, actor, case, target)
        if not await uow.cases.move(case.site, case.id, case.state, assigned_to=target):
            raise Conflict("The case changed meanwhile. Reload it and try again.")
        await _take(uow, case)
        what = f"Assigned to {target}." if target else "Unassigned."
        await record(deps, uow, case, Author.SYSTEM, what, actor.staff_id)
        await _staff_audit(
            deps,
            uow,
            StaffAction.CASE_ASSIGNED,
            actor,
            case,
            who,
            target_id=target,
            previous=case.assigned_to,
        )
        await uow.commit()
    return await open_case(deps, actor, case_id)


async def set_state(
    deps: Deps, actor: Actor, case_id: str, state: CaseState | str, who: Requester = STAFF
) -> AgentCase:
    """Change state by hand, along the moves in core.cases (closing is the sweep's)."""
    target = CaseState(_parse(CaseState, str(state), "state")[0])
    now = deps.clock.now()
    async with deps.uow() as uow:
        case = await visible(deps, uow, actor, case_id)
        if not agent_may_move(case.state, target):
            raise InvalidInput(
                f"A case that is {case.state.value} cannot be set to {target.value}.",
                field="state",
            )
        if target is CaseState.SOLVED and case.topic is Topic.APPEAL:
            # An appeal ends only by a decision (trust.appeals.decide): solved by hand, it
            # would close unanswered and its open appeal would bar every later one.
            appeal = await uow.suspensions.appeal_by_case(case.site, case.id)
            if appeal is not None and appeal.state is AppealState.OPEN:
                raise InvalidInput(
                    "Decide the appeal first: it is solved by the decision.", field="state"
                )
        values: dict[str, object] = {"state": target}
        values["solved_at"] = now if target is CaseState.SOLVED else None
        if not await uow.cases.move(case.site, case.id, case.state, **values):
            raise Conflict("The case changed meanwhile. Reload it and try again.")
        what = f"State changed from {case.state.value} to {target.value}."
        await record(deps, uow, case, Author.SYSTEM, what, actor.staff_id)
        await _staff_audit(
            deps,
            uow,
            StaffAction.CASE_STATE_CHANGED,
            actor,
            case,
            who,
            previous=case.state.value,
            state=target.value,
        )
        await uow.commit()
    return await open_case(deps, actor, case_id)


async def _take(uow: UnitOfWork, case: SupportCase) -> None:
    """A new case an agent works on (a note, an assignment) is open from then on."""
    if case.state is CaseState.NEW:
        await uow.cases.move(case.site, case.id, CaseState.NEW, state=CaseState.OPEN)


async def close_solved(deps: Deps, now: datetime | None = None) -> int:
    """The sweep: cases solved 7 days ago close. Their links then show only that the case is
    closed (with the way to a new one). Run by the delivery loop (bootstrap) on every
    instance; the close is a conditional write."""
    at = now or deps.clock.now()
    async with deps.uow() as uow:
        closed = await uow.cases.close_solved(at - CLOSE_AFTER, at)
        for case in closed:
            await record(deps, uow, case, Author.SYSTEM, "Closed: solved 7 days ago.")
        await uow.commit()
    return len(closed)
