"""The customer's side of a case: Ask us (signed out or signed in), Contact Customer Service
from a half-finished sign-in, the case page (by link or from Login & security), replies and
Verify it's you.

A signed-out case is never linked to an account by itself: opening one looks nothing up, so
the answer is the same whatever contact was typed (SECURITY.md 4, 32).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from entryway.core.cases import (
    STAFF_ONLY_TOPICS,
    TOPIC_LABELS,
    Author,
    CaseState,
    Origin,
    Topic,
    after_customer_reply,
)
from entryway.core.events import AuditAction, FlowPurpose, MessageKind
from entryway.core.identifiers import Identifier
from entryway.core.sites import Site
from entryway.errors import (
    Conflict,
    FlowExpired,
    InvalidIdentifier,
    NotFound,
)
from entryway.flows import words
from entryway.flows.account import account as account_flows
from entryway.flows.account.registration import clean_name
from entryway.flows.common import audit, count_send, flow_hash
from entryway.flows.ports import Account, Deps, Requester, SupportCase, UnitOfWork
from entryway.flows.signin.second_step import pending
from entryway.flows.support.thread import (
    CLOSED,
    NO_CASE,
    add_case,
    clean_message,
    customer_topic,
    issue_link,
    link_hash,
    record,
    reply_address,
    tell_customer,
)


@dataclass(frozen=True, slots=True)
class ViaLink:
    """The customer holds a View your case link (the page keeps it in a cookie)."""

    token: str


@dataclass(frozen=True, slots=True)
class ViaSession:
    """A signed-in customer opens one of their cases from Your support cases."""

    session_token: str
    number: str


Access = ViaLink | ViaSession


@dataclass(frozen=True, slots=True)
class CustomerEntry:
    """A message of the thread as the customer sees it: theirs or ours, never a note."""

    author: Author  # CUSTOMER or AGENT only
    body: str
    at: datetime


@dataclass(frozen=True, slots=True)
class CustomerCase:
    """The case page: no internal notes, no staff ids, nothing about other accounts."""

    number: str
    topic: Topic
    topic_label: str
    state: CaseState
    created_at: datetime
    entries: tuple[CustomerEntry, ...]
    can_reply: bool  # false once closed: the page offers a new case instead
    code_asked: bool  # an agent asked for a Verify it's you code and it is not entered yet
    verified: bool
    reset_waiting: bool = False  # an agent sent a reset code: the page offers to enter it


@dataclass(frozen=True, slots=True)
class CaseListItem:
    """A row of Your support cases."""

    number: str
    topic_label: str
    state: CaseState
    created_at: datetime


async def open_signed_out(
    deps: Deps,
    site_code: str,
    name: str,
    contact_raw: str,
    topic: str,
    message: str,
    who: Requester,
) -> str:
    """Ask us, signed out: returns the case number. Nothing is looked up: the agent sees a
    contact the sender claims, and the confirmation goes to that contact."""
    site = deps.site(site_code)
    claimed_name = clean_name(name)
    try:
        ident = deps.identifiers.parse(contact_raw, site.phone_region)
    except InvalidIdentifier as exc:
        raise InvalidIdentifier(exc.template, field="contact", params=exc.params) from None
    chosen = customer_topic(topic)
    text = clean_message(message)
    return await _open(
        deps, site, None, Origin.SIGNED_OUT, chosen, text, who, name=claimed_name, ident=ident
    )


async def open_signed_in(
    deps: Deps, site_code: str, session_token: str | None, topic: str, message: str, who: Requester
) -> str:
    """Ask us, signed in: the case is the account's from the start; returns its number."""
    me = await account_flows.current(deps, site_code, session_token)
    chosen = customer_topic(topic)
    text = clean_message(message)
    site = deps.site(site_code)
    return await _open(deps, site, me.account, Origin.SIGNED_IN, chosen, text, who)


async def contact_from_second_step(
    deps: Deps, site_code: str, partial_token: str | None, message: str, who: Requester
) -> str:
    """A customer stuck at the second step writes to us; returns the case number.

    The case records the account and that the password step was passed, for the agent;
    nothing about the account is shown back to the customer.
    """
    me = await pending(deps, site_code, partial_token)
    text = clean_message(message)
    site = deps.site(site_code)
    return await _open(deps, site, me.account, Origin.PASSWORD_PASSED, Topic.TWO_STEP, text, who)


async def _open(
    deps: Deps,
    site: Site,
    account: Account | None,
    origin: Origin,
    topic: Topic,
    text: str,
    who: Requester,
    *,
    name: str = "",
    ident: Identifier | None = None,
) -> str:
    now = deps.clock.now()
    async with deps.uow() as uow:
        locale = words.request_locale(site, who) if who.locale else ""
        case = await add_case(deps, uow, site, account, origin, topic, now, name, ident, locale)
        await record(deps, uow, case, Author.CUSTOMER, text)
        await audit(
            deps,
            uow,
            site.code,
            case.account_id,
            AuditAction.SUPPORT_CASE_OPENED,
            who,
            case=case.number,
        )
        to = reply_address(case, account)
        if to is not None:  # the same message quotas as codes: no flooding anyone
            owner = account.id if account else "contact:" + to[1]
            await count_send(deps, uow, site.code, owner, to[1], who)
            link = await issue_link(deps, uow, site, case)
            locale = words.reader_locale(site, account, who)
            values = {"number": case.number, "link": link}
            await tell_customer(
                deps,
                uow,
                site,
                case,
                account,
                MessageKind.SUPPORT_CASE,
                deps.messages.email("case_opened", site, locale, **values),
                deps.messages.sms("case_opened", site, locale, **values),
            )
        await uow.commit()
    deps.on_message()
    return case.number


async def case_for_link(deps: Deps, site_code: str, token: str) -> CustomerCase:
    """The case a View your case link shows: this site's, while open (FlowExpired once
    closed, NotFound for any other token)."""
    return await view(deps, site_code, ViaLink(token))


async def case_for_account(
    deps: Deps, site_code: str, session_token: str | None, number: str
) -> CustomerCase:
    """One of the signed-in customer's own cases, closed ones included (read only)."""
    return await view(deps, site_code, ViaSession(session_token or "", number))


async def view(deps: Deps, site_code: str, access: Access) -> CustomerCase:
    """The case page, however the customer reached it."""
    account_id = await signed_in(deps, site_code, access)
    async with deps.uow() as uow:
        case = await resolve(deps, uow, site_code, access, account_id)
        return await customer_view(deps, uow, case)


async def cases_of_account(
    deps: Deps, site_code: str, session_token: str | None
) -> list[CaseListItem]:
    """Your support cases on Login & security, newest first."""
    me = await account_flows.current(deps, site_code, session_token)
    async with deps.uow() as uow:
        found = await uow.cases.for_account(site_code, me.account.id)
    # An identity review is a case about the account opened by whoever asked to recover it:
    # the reviewers' work, not the owner's conversation (the owner has the notices and their
    # This wasn't me link instead).
    return [
        CaseListItem(c.number, TOPIC_LABELS[c.topic], c.state, c.created_at)
        for c in found
        if c.topic not in STAFF_ONLY_TOPICS
    ]


async def reply_as_customer(
    deps: Deps, site_code: str, access: Access, body: str, who: Requester
) -> CustomerCase:
    """Your reply: back to an agent (a solved case reopens); a closed case takes none."""
    text = clean_message(body, field="reply")
    account_id = await signed_in(deps, site_code, access)
    now = deps.clock.now()
    async with deps.uow() as uow:
        case = await resolve(deps, uow, site_code, access, account_id)
        if case.state is CaseState.CLOSED:
            raise FlowExpired(CLOSED)
        values: dict[str, object] = {
            "state": after_customer_reply(case.state),
            "last_customer_at": now,
        }
        if case.state is CaseState.SOLVED:
            values["solved_at"] = None  # reopened: the sweep leaves it alone again
        if not await uow.cases.move(site_code, case.id, case.state, **values):
            raise Conflict("This case just changed. Please send your reply again.")
        await record(deps, uow, case, Author.CUSTOMER, text)
        await audit(
            deps, uow, site_code, case.account_id, AuditAction.CASE_REPLIED, who, case=case.number
        )
        await uow.commit()
        fresh = await uow.cases.get(site_code, case.id)
        assert fresh is not None
        return await customer_view(deps, uow, fresh)


async def signed_in(deps: Deps, site_code: str, access: Access) -> str | None:
    """The account of a signed-in customer's session (checked before the case's own read)."""
    if isinstance(access, ViaSession):
        me = await account_flows.current(deps, site_code, access.session_token)
        return me.account.id
    return None


async def resolve(
    deps: Deps, uow: UnitOfWork, site_code: str, access: Access, account_id: str | None
) -> SupportCase:
    """The case this access opens on this site, or NotFound; a link only while open."""
    if isinstance(access, ViaLink):
        token = access.token
        case = (
            await uow.cases.by_link(site_code, link_hash(deps, token))
            if 0 < len(token) <= 100
            else None
        )
        if case is None:
            raise NotFound(NO_CASE)
        if case.state is CaseState.CLOSED:
            raise FlowExpired(CLOSED)
        return case
    number = access.number.strip()
    case = await uow.cases.by_number([site_code], number) if number.isdigit() else None
    if case is None or account_id is None or case.account_id != account_id:
        raise NotFound(NO_CASE)
    if case.topic in STAFF_ONLY_TOPICS:  # staff's own, about the account (identity review)
        raise NotFound(NO_CASE)
    return case


async def live_reset(deps: Deps, uow: UnitOfWork, case: SupportCase) -> str | None:
    """The token of the password reset an agent started on this case while it still waits
    for its code (not used, voided or expired), else None: the case page offers it only then."""
    if not case.reset_flow or case.state is CaseState.CLOSED:
        return None
    token = deps.sealer.unseal(case.reset_flow).decode()
    state = await uow.flows.get(case.site, flow_hash(deps, token), FlowPurpose.PASSWORD_RESET)
    if state is None or state.stage != "code" or deps.clock.now() >= state.expires_at:
        return None
    return token


async def customer_view(deps: Deps, uow: UnitOfWork, case: SupportCase) -> CustomerCase:
    """The case as its customer sees it: no notes, no staff, no recorded events."""
    thread = await uow.cases.entries(case.site, case.id)
    shown = tuple(
        CustomerEntry(author=e.author, body=e.body, at=e.at)
        for e in thread
        if e.author in (Author.CUSTOMER, Author.AGENT)
    )
    return CustomerCase(
        number=case.number,
        topic=case.topic,
        topic_label=TOPIC_LABELS[case.topic],
        state=case.state,
        created_at=case.created_at,
        entries=shown,
        can_reply=case.state is not CaseState.CLOSED,
        code_asked=case.verify_sends > 0 and case.verified_at is None,
        verified=case.verified_at is not None,
        reset_waiting=await live_reset(deps, uow, case) is not None,
    )
