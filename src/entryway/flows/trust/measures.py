"""Suspensions and formal warnings: what trust staff (console, admin API) and operators
(CLI) do to an account, and the statement of reasons the customer is owed.

A suspension ends everything that lets anyone in, in one transaction: the live recovery (its
row taken first, the lock order of every path that ends one), every session, app token,
remembered browser, flow and unused emailed link (trust.access); the account row is marked
so sign-in refuses at the cost of no extra query. Staff need the trust role and must work on
the account's site: another site's account answers NotFound exactly like an unknown one
(SECURITY.md 33). Every measure carries a reason code from the store's catalog, the facts in
plain words, and is audited on the customer's log and (for staff) on the staff log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from entryway.core.events import AccountStatus, AuditAction, Channel, FlowPurpose, MessageKind
from entryway.core.masking import mask
from entryway.core.secrets import new_token
from entryway.core.sites import Site
from entryway.core.staff import Actor, Role, StaffAction
from entryway.core.suspension import (
    MAX_FACTS,
    SCOPE_LABELS,
    WARNING_NOT_APPEALABLE,
    AppealState,
    Measure,
    Scope,
    SuspensionReason,
    SuspensionState,
    appeal_window_ends,
    applies,
    why_no_appeal,
)
from entryway.errors import Conflict, Forbidden, InvalidInput, NotFound
from entryway.flows.common import add_link, audit, notify_all, send
from entryway.flows.outbox.trust_notices import statement_values
from entryway.flows.ports import Account, Deps, Rendered, Requester, Suspension, UnitOfWork
from entryway.flows.recovery.cancel import cancel_for_suspension, hold
from entryway.flows.staff import common as staff_common
from entryway.flows.trust.access import end_access
from entryway.flows.trust.state import applying
from entryway.flows.words import reader_locale

NO_SUCH_ACCOUNT = "No account on this site has that email or mobile number."
NO_SUCH_SUSPENSION = "No such suspension."
TRUST_ONLY = "Suspensions and warnings are for the trust team."
ALREADY = "This account is already suspended."
LIFTED_ALREADY = "This suspension was lifted already."
NOTICE_PATH = "/suspension/appeal?token="
CLI = "cli"


@dataclass(frozen=True, slots=True)
class AppealSummary:
    number: int
    state: AppealState
    created_at: datetime
    decided_at: datetime | None
    decision_reason: str
    case_number: str


@dataclass(frozen=True, slots=True)
class Statement:
    """Everything the customer is shown of a measure (DSA Art. 17(3))."""

    suspension_id: str
    site: str
    measure: Measure
    reason_code: str
    title: str
    explanation: str
    terms_section: str
    facts: str
    automated: bool
    scope: Scope
    scope_label: str
    starts_at: datetime
    until: datetime | None
    applies: bool
    lifted_at: datetime | None
    appeal_until: datetime | None
    can_appeal: bool
    why_not: str | None
    appeals: tuple[AppealSummary, ...]


@dataclass(frozen=True, slots=True)
class AccountFile:
    """What trust staff see of an account: no password, code, secret or answer."""

    site: str
    account_id: str
    name: str
    masked_contacts: tuple[str, ...]
    status: AccountStatus
    created_at: datetime
    suspended: bool
    measures: tuple[Suspension, ...]


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def check_actor(deps: Deps, actor: Actor | None, site: str) -> None:
    """Staff need the trust role, and the site among theirs; an unknown site, or one not
    theirs, is NotFound like an unknown account. No actor: the operator's CLI."""
    if actor is not None and not actor.has(Role.TRUST):
        raise Forbidden(TRUST_ONLY)
    if site not in {s.code for s in deps.sites.sites}:
        raise NotFound(NO_SUCH_ACCOUNT)
    if actor is not None and not actor.sees_site(site):
        raise NotFound(NO_SUCH_ACCOUNT)


def _acted_by(actor: Actor | None, by: str | None) -> str:
    """Who acted, as stored: a staff id, "cli", or "token:<id>" (passed as ``by``)."""
    if by:
        return by[:40]
    return actor.staff_id if actor is not None else CLI


def _reason(deps: Deps, code: str) -> SuspensionReason:
    reason = deps.suspension_reasons.get((code or "").strip())
    if reason is None:
        raise InvalidInput("Choose a reason from the list.", field="reason")
    return reason


def _facts(raw: str) -> str:
    facts = (raw or "").strip()
    if not facts:
        raise InvalidInput("Describe the facts this decision rests on.", field="facts")
    if len(facts) > MAX_FACTS:
        raise InvalidInput(f"Keep the facts under {MAX_FACTS} characters.", field="facts")
    return facts


def _scope(raw: str) -> Scope:
    try:
        return Scope(raw)
    except ValueError:
        raise InvalidInput("Choose what the suspension covers.", field="scope") from None


async def _active(uow: UnitOfWork, site: str, account_id: str) -> Account:
    account = await uow.accounts.get(site, account_id)
    if account is None:
        raise NotFound(NO_SUCH_ACCOUNT)
    if account.status != AccountStatus.ACTIVE:
        raise InvalidInput("Only an active account can be suspended or warned.", field="account")
    return account


async def _staff_audit(
    deps: Deps,
    uow: UnitOfWork,
    action: StaffAction,
    actor: Actor | None,
    who: Requester,
    suspension: Suspension,
    by: str,
) -> None:
    """The staff log's row for a staff member's measure (the CLI has its own operator)."""
    if actor is None:
        return
    await staff_common.audit(
        deps,
        uow,
        action,
        actor_id=actor.staff_id,
        target_id=None,
        who=who,
        site=suspension.site,
        account=suspension.account_id,
        suspension=suspension.id,
        via=by,
    )


async def suspend(
    deps: Deps,
    actor: Actor | None,
    *,
    site: str,
    account_id: str,
    reason: str,
    facts: str,
    until: datetime | None,
    automated: bool,
    scope: str = "account",
    who: Requester,
    by: str | None = None,
) -> Suspension:
    """Suspend an active account: everything that lets anyone in ends, in one transaction,
    and the statement of reasons goes to its verified email (else a pointer by text)."""
    check_actor(deps, actor, site)
    ground = _reason(deps, reason)
    facts = _facts(facts)
    covered = _scope(scope)
    now = deps.clock.now()
    if until is not None and _utc(until) <= now:
        raise InvalidInput("Choose an end in the future, or no end.", field="until")
    acted = _acted_by(actor, by)
    async with deps.uow() as uow:
        account = await _active(uow, site, account_id)
        # The live recovery's row before any write: the order of every path that ends one.
        recovery = await hold(uow, account)
        if await applying(deps, uow, account) is not None:
            raise Conflict(ALREADY)
        suspension = Suspension(
            id=new_token(deps.rng, 16),
            site=site,
            account_id=account.id,
            measure=Measure.SUSPENSION,
            reason_code=ground.code,
            facts=facts,
            automated=automated,
            scope=covered,
            starts_at=now,
            acted_by=acted,
            until=_utc(until) if until is not None else None,
            appeal_until=appeal_window_ends(ground, now),
        )
        await uow.suspensions.add(suspension)
        await cancel_for_suspension(deps, uow, recovery, account, who)
        await uow.accounts.update(
            site, account.id, suspension_id=suspension.id, suspended_until=suspension.until
        )
        await end_access(deps, uow, account, "suspended", who)  # apps' tokens too
        await audit(
            deps,
            uow,
            site,
            account.id,
            AuditAction.ACCOUNT_SUSPENDED,
            who,
            suspension=suspension.id,
            reason=ground.code,
            by=acted,
        )
        await _staff_audit(deps, uow, StaffAction.SUSPENDED, actor, who, suspension, acted)
        await _send_statement(deps, uow, deps.site(site), account, suspension)
        await uow.commit()
    deps.on_message()
    return suspension


async def notice_link(
    deps: Deps, uow: UnitOfWork, site: Site, suspension: Suspension
) -> str | None:
    """A new emailed notice link (shows the notice, takes an appeal) for the rest of the
    appeal window; None when the suspension takes no appeal (then no link is sent)."""
    if suspension.appeal_until is None:
        return None
    left = _utc(suspension.appeal_until) - deps.clock.now()
    if left.total_seconds() <= 0:
        return None
    token = await add_link(
        deps, uow, site.code, suspension.account_id, FlowPurpose.SUSPENSION_NOTICE,
        suspension.id, left,
    )  # fmt: skip
    return site.url(NOTICE_PATH + token)


async def _send_statement(
    deps: Deps, uow: UnitOfWork, site: Site, account: Account, suspension: Suspension
) -> None:
    """The statement to the verified email; with no verified email, a pointer by text."""
    shown = await statement(deps, uow, suspension)
    url = await notice_link(deps, uow, site, suspension)
    locale = reader_locale(site, account)
    values = statement_values(shown)
    email = deps.messages.email("suspension_statement", site, locale, appeal_url=url, **values)
    sms = deps.messages.sms("suspension_statement", site, locale, appeal_url=url)
    await _email_else_text(deps, uow, site, account, MessageKind.SUSPENSION_NOTICE, email, sms)


async def _email_else_text(
    deps: Deps,
    uow: UnitOfWork,
    site: Site,
    account: Account,
    kind: MessageKind,
    email: Rendered,
    sms: str,
) -> None:
    """A statement goes by email (it is long and has to be kept); a verified phone gets a
    short pointer only when there is no verified email."""
    if account.email and account.email_verified:
        channel, to = Channel.EMAIL, account.email
    elif account.phone and account.phone_verified:
        channel, to, email = Channel.SMS, account.phone, Rendered(subject="", text=sms, html="")
    else:
        return
    await send(
        deps,
        uow,
        site,
        account_id=account.id,
        channel=channel,
        kind=kind,
        to=to,
        subject=email.subject,
        body=email.text,
        html=email.html,
    )


async def warn(
    deps: Deps,
    actor: Actor | None,
    *,
    site: str,
    account_id: str,
    reason: str,
    facts: str,
    automated: bool,
    who: Requester,
    by: str | None = None,
) -> Suspension:
    """A formal warning: a statement on the account's history and to its owner; nothing
    else changes (sessions, sign-in)."""
    check_actor(deps, actor, site)
    ground = _reason(deps, reason)
    facts = _facts(facts)
    now = deps.clock.now()
    acted = _acted_by(actor, by)
    async with deps.uow() as uow:
        account = await _active(uow, site, account_id)
        warning = Suspension(
            id=new_token(deps.rng, 16),
            site=site,
            account_id=account.id,
            measure=Measure.WARNING,
            reason_code=ground.code,
            facts=facts,
            automated=automated,
            scope=Scope.ACCOUNT,
            starts_at=now,
            acted_by=acted,
        )
        await uow.suspensions.add(warning)
        await audit(
            deps,
            uow,
            site,
            account.id,
            AuditAction.ACCOUNT_WARNED,
            who,
            suspension=warning.id,
            reason=ground.code,
            by=acted,
        )
        await _staff_audit(deps, uow, StaffAction.WARNED, actor, who, warning, acted)
        the_site = deps.site(site)
        locale = reader_locale(the_site, account)
        values = statement_values(await statement(deps, uow, warning))
        await _email_else_text(
            deps, uow, the_site, account, MessageKind.WARNING_NOTICE,
            deps.messages.email("warning_statement", the_site, locale, **values),
            deps.messages.sms("warning_statement", the_site, locale),
        )  # fmt: skip
        await uow.commit()
    deps.on_message()
    return warning


async def lift(
    deps: Deps,
    actor: Actor | None,
    *,
    site: str,
    suspension_id: str,
    reason: str,
    who: Requester,
    by: str | None = None,
    account_id: str | None = None,
) -> Suspension:
    """Lift a suspension in force (it was an error): sign-in works again; the sessions it
    ended stay ended. An open appeal is withdrawn; the owner is told. With ``account_id``
    (the console's account page), a suspension of another account is NotFound."""
    check_actor(deps, actor, site)
    why = staff_common.reason_of(reason)
    acted = _acted_by(actor, by)
    async with deps.uow() as uow:
        found = await uow.suspensions.get(site, suspension_id)
        if found is None or (account_id is not None and found.account_id != account_id):
            raise NotFound(NO_SUCH_SUSPENSION)
        lifted = await end_suspension(deps, uow, found, reason=why, by=acted, who=who)
        await _staff_audit(deps, uow, StaffAction.SUSPENSION_LIFTED, actor, who, lifted, acted)
        await uow.commit()
    deps.on_message()
    return lifted


async def end_suspension(
    deps: Deps, uow: UnitOfWork, suspension: Suspension, *, reason: str, by: str, who: Requester
) -> Suspension:
    """Lift, in the caller's transaction (``lift``, and an appeal reinstating): the row
    moves in_force -> lifted (conditional; Conflict when it had moved), the account's mark
    is cleared if it still names this suspension, an open appeal is withdrawn, audited,
    and the owner told. No staff log row: the caller writes its own."""
    if suspension.measure is not Measure.SUSPENSION:
        raise InvalidInput("Only a suspension can be lifted.", field="suspension")
    now = deps.clock.now()
    values = {"lifted_at": now, "lifted_by": by[:40], "lift_reason": reason}
    moved = await uow.suspensions.move(
        suspension.site,
        suspension.id,
        SuspensionState.IN_FORCE,
        state=SuspensionState.LIFTED,
        **values,
    )
    if not moved:
        raise Conflict(LIFTED_ALREADY)
    account = await uow.accounts.get(suspension.site, suspension.account_id)
    if account is not None and account.suspension_id == suspension.id:
        await uow.accounts.update(
            suspension.site, account.id, suspension_id=None, suspended_until=None
        )
    await uow.suspensions.withdraw_open(suspension.site, suspension.id, now)
    await audit(
        deps,
        uow,
        suspension.site,
        suspension.account_id,
        AuditAction.SUSPENSION_LIFTED,
        who,
        suspension=suspension.id,
        reason=reason,
        by=by,
    )
    if account is not None:
        site = deps.site(suspension.site)
        locale = reader_locale(site, account)
        email = deps.messages.email("suspension_lifted", site, locale, reason=reason)
        await notify_all(
            deps,
            uow,
            site,
            account,
            MessageKind.SUSPENSION_LIFTED,
            email.subject,
            email.text,
            deps.messages.sms("suspension_lifted", site, locale),
            html=email.html,
        )
    suspension.state, suspension.lifted_at = SuspensionState.LIFTED, now
    suspension.lifted_by, suspension.lift_reason = by[:40], reason
    return suspension


async def statement(deps: Deps, uow: UnitOfWork, suspension: Suspension) -> Statement:
    """The statement of reasons as it stands now (appeals so far, whether one can be sent)."""
    now = deps.clock.now()
    ground = deps.suspension_reasons.get(suspension.reason_code)
    appeals = await uow.suspensions.appeals(suspension.site, suspension.id)
    summaries = []
    for appeal in appeals:
        case = await uow.cases.get(suspension.site, appeal.case_id)
        summaries.append(
            AppealSummary(
                number=appeal.number,
                state=appeal.state,
                created_at=appeal.created_at,
                decided_at=appeal.decided_at,
                decision_reason=appeal.decision_reason,
                case_number=case.number if case else "",
            )
        )
    until = _utc(suspension.until) if suspension.until is not None else None
    in_force = applies(suspension.state, suspension.measure, until, now)
    if suspension.measure is Measure.WARNING:
        why_not: str | None = WARNING_NOT_APPEALABLE
    else:
        decided = (AppealState.UPHELD, AppealState.REINSTATED)
        why_not = why_no_appeal(
            applies_now=in_force,
            window_ends=_utc(suspension.appeal_until) if suspension.appeal_until else None,
            now=now,
            decided=sum(1 for a in appeals if a.state in decided),
            open_appeal=any(a.state is AppealState.OPEN for a in appeals),
        )
    return Statement(
        suspension_id=suspension.id,
        site=suspension.site,
        measure=suspension.measure,
        reason_code=suspension.reason_code,
        title=ground.title if ground else suspension.reason_code.replace("_", " ").capitalize(),
        explanation=ground.explanation if ground else "",
        terms_section=ground.terms_section if ground else "",
        facts=suspension.facts,
        automated=suspension.automated,
        scope=suspension.scope,
        scope_label=SCOPE_LABELS.get(suspension.scope, suspension.scope.value),
        starts_at=suspension.starts_at,
        until=until,
        applies=in_force,
        lifted_at=suspension.lifted_at,
        appeal_until=suspension.appeal_until,
        can_appeal=why_not is None,
        why_not=why_not,
        appeals=tuple(summaries),
    )


async def account_by_identifier(deps: Deps, site: str, identifier: str) -> str:
    """The id of the site's account with this email or mobile number; NotFound otherwise
    (an unknown site too). For the CLI and the admin API, which name accounts so."""
    if site not in {s.code for s in deps.sites.sites}:
        raise NotFound(NO_SUCH_ACCOUNT)
    try:
        ident = deps.identifiers.parse(identifier, deps.site(site).phone_region)
    except InvalidInput:
        raise NotFound(NO_SUCH_ACCOUNT) from None
    async with deps.uow() as uow:
        account = await uow.accounts.find(site, ident)
    if account is None:
        raise NotFound(NO_SUCH_ACCOUNT)
    return account.id


async def find_account(
    deps: Deps, actor: Actor, site: str, identifier: str, who: Requester
) -> AccountFile:
    """Trust staff look an account up by email or mobile number (audited on the staff log)."""
    check_actor(deps, actor, site)
    account_id = await account_by_identifier(deps, site, identifier)
    async with deps.uow() as uow:
        await staff_common.audit(
            deps,
            uow,
            StaffAction.ACCOUNT_LOOKED_UP,
            actor_id=actor.staff_id,
            target_id=None,
            who=who,
            site=site,
            account=account_id,
        )
        await uow.commit()
    return await account_file(deps, actor, site, account_id)


async def account_file(deps: Deps, actor: Actor, site: str, account_id: str) -> AccountFile:
    """The account as trust staff see it, with every measure taken, newest first."""
    check_actor(deps, actor, site)
    async with deps.uow() as uow:
        account = await uow.accounts.get(site, account_id)
        if account is None:
            raise NotFound(NO_SUCH_ACCOUNT)
        measures = await uow.suspensions.for_account(site, account.id)
        suspended = await applying(deps, uow, account) is not None
    contacts = []
    if account.email:
        contacts.append(mask("email", account.email))
    if account.phone:
        contacts.append(mask("phone", account.phone))
    return AccountFile(
        site=site,
        account_id=account.id,
        name=account.name,
        masked_contacts=tuple(contacts),
        status=account.status,
        created_at=account.created_at,
        suspended=suspended,
        measures=tuple(measures),
    )
