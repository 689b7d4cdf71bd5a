"""Steps shared by several journeys: audit rows, outbox messages, sessions, one-time codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from entryway.core.events import AuditAction, Channel, FlowPurpose, MessageKind
from entryway.core.locales import N_
from entryway.core.secrets import keyed_hash, new_otp, new_token
from entryway.core.sessions import SessionLevel
from entryway.core.sites import Site
from entryway.core.throttle import DAY, FailureScope, window_start
from entryway.errors import AgentQuotaReached, CodeRejected
from entryway.flows.outbox import webhooks
from entryway.flows.ports import (
    Account,
    AuditEntry,
    Deps,
    FlowState,
    Link,
    Message,
    Requester,
    Session,
    UnitOfWork,
)

CODE_LIFETIME = timedelta(minutes=10)
FLOW_LIFETIME = timedelta(minutes=30)
MAX_CODE_TRIES = 5
MAX_SENDS_PER_FLOW = 5


async def audit(
    deps: Deps,
    uow: UnitOfWork,
    site: str,
    account_id: str | None,
    action: AuditAction,
    who: Requester,
    **detail: Any,
) -> None:
    """Append one security event; detail never carries a code, password or token. The
    store's webhooks hear of it in the same transaction (flows/outbox/webhooks.py)."""
    entry = AuditEntry(
        site=site,
        account_id=account_id,
        action=action,
        at=deps.clock.now(),
        ip=who.ip,
        user_agent=who.user_agent[:300],
        detail=detail,
    )
    await uow.audit.add(entry)
    if deps.webhooks:
        await webhooks.queue_event(deps, uow, entry)


async def send(
    deps: Deps,
    uow: UnitOfWork,
    site: Site,
    *,
    account_id: str | None,
    channel: Channel,
    kind: MessageKind,
    to: str,
    subject: str,
    body: str,
    html: str = "",
    dedupe_key: str | None = None,
    due: datetime | None = None,
    written_at: datetime | None = None,
) -> bool:
    """Queue one message to one recipient in the caller's transaction (the outbox); with
    ``due``, it waits until then (and may be taken back before). ``written_at`` files it
    under an earlier instant of the same transaction (the event it is about)."""
    if not to or "," in to or ";" in to or "\n" in to:
        raise ValueError(f"a message goes to exactly one address, got {to!r}")
    now = deps.clock.now()
    return await uow.outbox.add(
        Message(
            id=new_token(deps.rng, 16),
            site=site.code,
            account_id=account_id,
            channel=channel,
            kind=kind,
            to=to,
            subject=subject if channel == Channel.EMAIL else "",  # texts have no subject
            body=body,
            html=html if channel == Channel.EMAIL else "",
            created_at=written_at or now,
            next_attempt_at=due or now,
            dedupe_key=dedupe_key,
        )
    )


def session_hash(deps: Deps, token: str) -> str:
    """Sessions are stored by keyed hash: a database copy cannot be replayed as cookies."""
    return keyed_hash(deps.keys.hashing, "session", token)


def browser_hash(deps: Deps, token: str) -> str:
    """Remembered-browser tokens, like sessions, are stored only as keyed hashes."""
    return keyed_hash(deps.keys.hashing, "browser", token)


def flow_hash(deps: Deps, token: str) -> str:
    return keyed_hash(deps.keys.hashing, "flow", token)


def code_hash(deps: Deps, flow_id_hash: str, code: str) -> str:
    """A code's hash is bound to its flow, so a code from one flow never fits another."""
    return keyed_hash(deps.keys.hashing, "otp:" + flow_id_hash, code)


PARTIAL_LIFETIME = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Opened:
    """A new session's secret token and its deadlines (so answers can say when it ends)."""

    token: str
    expires_at: datetime  # unless used before then (idle deadline)
    ends_at: datetime  # however much it is used (absolute deadline)


async def open_session(
    deps: Deps,
    uow: UnitOfWork,
    account: Account,
    *,
    remember: bool,
    who: Requester,
    client: str,
    level: SessionLevel = SessionLevel.FULL,
    auth_at: datetime | None = None,
    amr: str = "pwd",
) -> Opened:
    """A brand-new session (fresh id, SECURITY.md 24): its secret token and deadlines.

    A ``partial`` session (password passed, second step pending) lives ten minutes at most
    and is refused everywhere but the second step (SECURITY.md 21). ``amr`` is how this
    sign-in was made (space-separated core.apps.Amr values): apps read it in ID tokens.
    """
    now = deps.clock.now()
    token = new_token(deps.rng)
    if level == SessionLevel.PARTIAL:
        idle = absolute = now + PARTIAL_LIFETIME
    else:
        idle, absolute = deps.session_policy.deadlines(now, remember=remember)
    await uow.sessions.add(
        Session(
            id_hash=session_hash(deps, token),
            public_id=new_token(deps.rng, 16),
            site=account.site,
            account_id=account.id,
            level=level,
            created_at=now,
            idle_deadline=idle,
            absolute_deadline=absolute,
            remember=remember,
            ip=who.ip,
            user_agent=who.user_agent[:300],
            client=client,
            last_seen_at=now,
            auth_at=auth_at or now,
            amr=amr,
        )
    )
    return Opened(token=token, expires_at=min(idle, absolute), ends_at=absolute)


async def start_code_flow(
    deps: Deps,
    uow: UnitOfWork,
    *,
    site: str,
    purpose: FlowPurpose,
    account_id: str,
    target_kind: str,
    target: str,
    who: Requester,
    decoy: bool = False,
    token: str | None = None,
    note: str = "",
    channel: str = "",
) -> tuple[str, str]:
    """A server-side flow holding one hashed code; returns (flow token, plain code).

    A ``decoy`` flow stores a hash no code can match: flows for taken addresses look and act
    like real ones but can never complete (no enumeration, SECURITY.md 4). ``channel`` is
    how the code goes (email, sms, voice), when the flow needs to know later.
    """
    now = deps.clock.now()
    await count_send(deps, uow, site, account_id, target, who)
    await uow.flows.void_for(site, account_id, purpose)  # a newer code voids older ones
    token = token or new_token(deps.rng)
    id_hash = flow_hash(deps, token)
    code = new_otp(deps.rng)
    await uow.flows.add(
        FlowState(
            id_hash=id_hash,
            site=site,
            purpose=purpose,
            account_id=account_id,
            target_kind=target_kind,
            target=target,
            code_hash=decoy_hash(deps) if decoy else code_hash(deps, id_hash, code),
            code_expires_at=now + CODE_LIFETIME,
            code_attempts=0,
            sends=1,
            created_at=now,
            expires_at=now + FLOW_LIFETIME,
            note=note,
            channel=channel,
        )
    )
    return token, code


DECOY_PREFIX = "decoy:"


def link_hash(deps: Deps, token: str) -> str:
    """Links are kept by keyed hash: a copy of the database opens nothing."""
    return keyed_hash(deps.keys.hashing, "link", token)


async def add_link(
    deps: Deps,
    uow: UnitOfWork,
    site: str,
    account_id: str,
    purpose: FlowPurpose,
    reason: str,
    lifetime: timedelta,
) -> str:
    """A new single-use emailed link (256 bits, kept by keyed hash, bound to site, account
    and purpose) in the caller's transaction; returns its token, for the message only."""
    now = deps.clock.now()
    token = new_token(deps.rng)
    await uow.links.add(
        Link(
            id_hash=link_hash(deps, token),
            site=site,
            account_id=account_id,
            purpose=purpose,
            reason=reason,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    return token


def link_landing(
    deps: Deps,
    link: Link,
    purpose: FlowPurpose,
    *,
    stage: str,
    note: str,
    lifetime: timedelta = FLOW_LIFETIME,
) -> tuple[str, FlowState]:
    """A new flow (its token, and the state to add) for an emailed link that was opened:
    the landing swaps the link's token for it without using the link (SECURITY.md 15), so
    a mail scanner that opens it spends nothing; the step that acts uses the link, named
    by ``target``. It never outlives the link."""
    now = deps.clock.now()
    token = new_token(deps.rng)
    return token, FlowState(
        id_hash=flow_hash(deps, token),
        site=link.site,
        purpose=purpose,
        account_id=link.account_id,
        target_kind="link",
        target=link.id_hash,
        code_hash=decoy_hash(deps),  # a link's flow has no code
        code_expires_at=now,
        code_attempts=0,
        sends=0,
        created_at=now,
        expires_at=min(now + lifetime, link.expires_at),
        stage=stage,
        note=note,
    )


def decoy_hash(deps: Deps) -> str:
    """A stored code hash that no typed code can ever match."""
    return DECOY_PREFIX + new_token(deps.rng)


def verified_contacts(account: Account) -> list[tuple[str, str]]:
    """The account's verified contacts as (kind, value), the email first: where codes to
    an account and an agent's tools may go (SECURITY.md 32)."""
    found = []
    if account.email and account.email_verified:
        found.append(("email", account.email))
    if account.phone and account.phone_verified:
        found.append(("phone", account.phone))
    return found


async def notify_all(
    deps: Deps,
    uow: UnitOfWork,
    site: Site,
    account: Account,
    kind: MessageKind,
    subject: str,
    body: str,
    sms: str,
    html: str = "",
) -> None:
    """One notice to each verified contact of the account (``html``: the email's HTML
    part)."""
    if account.email and account.email_verified:
        await send(
            deps,
            uow,
            site,
            account_id=account.id,
            channel=Channel.EMAIL,
            kind=kind,
            to=account.email,
            subject=subject,
            body=body,
            html=html,
        )
    if account.phone and account.phone_verified:
        await send(
            deps,
            uow,
            site,
            account_id=account.id,
            channel=Channel.SMS,
            kind=kind,
            to=account.phone,
            subject="",
            body=sms,
        )


DAILY_CODES_PER_OWNER = 10  # codes sent per account (or unknown identifier) a day
DAILY_CODES_PER_DESTINATION = 10
DAILY_CODES_PER_IP = 50
DAILY_CODE_FAILURES = 20  # wrong codes per account a day, across every flow
QUOTA = N_("You've asked for too many codes. Please try again tomorrow.")
DAILY_FAILURES = N_("Too many wrong codes today. Please try again tomorrow.")


def owner_key(state: FlowState) -> str:
    """Whose quota a flow draws on: its account, or the identifier typed for a decoy."""
    return state.account_id or "unknown:" + state.target


def _day(deps: Deps) -> datetime:
    return window_start(deps.clock.now(), DAY)


def _quota_key(deps: Deps, value: str) -> str:
    return keyed_hash(deps.keys.hashing, "quota", value)


async def count_send(
    deps: Deps, uow: UnitOfWork, site: str, owner: str, destination: str, who: Requester
) -> None:
    """Message quotas per owner, destination and IP (SECURITY.md 11), counted for every code
    of every flow, so neither a resend nor a new flow starts them afresh."""
    limits = [
        (FailureScope.SENDS_ACCOUNT, owner, DAILY_CODES_PER_OWNER),
        (FailureScope.SENDS_DESTINATION, destination, DAILY_CODES_PER_DESTINATION),
    ]
    if who.ip:
        limits.append((FailureScope.SENDS_IP, who.ip, DAILY_CODES_PER_IP))
    for scope, key, limit in limits:
        if await uow.counters.hit(site, scope, _quota_key(deps, key), _day(deps)) > limit:
            raise CodeRejected(QUOTA, field="code")


# What an agent sends on a support case is the help desk's doing, not the customer's: it
# draws neither on the customer's own budget (they may still ask for codes themselves) nor
# on the office address's (every agent behind it would share one), but on quotas of its own.
# A staff member handles some 40 to 60 cases on a busy day, a few codes each: 200 leaves
# room for that and still stops a stolen console session from pumping texts.
DAILY_AGENT_SENDS = 200
# Per address or number, across agents and separate from the customer's own 10: no agent,
# nor several at once, can flood one customer.
DAILY_AGENT_SENDS_PER_DESTINATION = 10
AGENT_QUOTA_CUSTOMER = (
    "You've sent this customer too many codes today. More can be sent tomorrow; until then, "
    "ask them to use the last one or to wait."
)
AGENT_QUOTA_STAFF = (
    "You've reached your daily limit of codes and links sent to customers. It starts afresh "
    "tomorrow; a colleague can send this one."
)


async def count_agent_send(
    deps: Deps, uow: UnitOfWork, site: str, staff_id: str, destination: str
) -> None:
    """An agent's quotas, per destination (this site's counters) and per staff member (the
    staff's own counters, across every site), instead of the customer's and the IP's; over
    either, AgentQuotaReached with a message written for staff."""
    day = _day(deps)
    to = await uow.counters.hit(
        site, FailureScope.AGENT_SENDS_TO, _quota_key(deps, destination), day
    )
    if to > DAILY_AGENT_SENDS_PER_DESTINATION:
        raise AgentQuotaReached(AGENT_QUOTA_CUSTOMER)
    # Beside the staff's sign-in failure counts (staff_failures), under a label of its own.
    mine = await uow.staff.hit(keyed_hash(deps.keys.hashing, "staff-sends", staff_id), day)
    if mine > DAILY_AGENT_SENDS:
        raise AgentQuotaReached(AGENT_QUOTA_STAFF)


async def over_daily_failures(deps: Deps, uow: UnitOfWork, site: str, owner: str) -> bool:
    count = await uow.counters.count(
        site, FailureScope.CODE_FAILURES, _quota_key(deps, owner), _day(deps)
    )
    return count >= DAILY_CODE_FAILURES


async def count_failure(deps: Deps, uow: UnitOfWork, site: str, owner: str) -> None:
    await uow.counters.hit(site, FailureScope.CODE_FAILURES, _quota_key(deps, owner), _day(deps))


def identifier_counter_key(deps: Deps, canonical: str) -> str:
    """The account-scope counter key for a canonical email or E.164 number."""
    return keyed_hash(deps.keys.hashing, "count-id", canonical)


async def mark_reset_by_phone(deps: Deps, uow: UnitOfWork, site: str, phone: str) -> None:
    """Remember for a day that this phone alone just reset a password."""
    await uow.counters.hit(site, FailureScope.RESET_BY_PHONE, _quota_key(deps, phone), _day(deps))


async def reset_by_phone_lately(deps: Deps, uow: UnitOfWork, site: str, phone: str) -> bool:
    """Whether this phone reset a password today or yesterday. Such a phone is not also a
    second step: else holding one phone would be enough to take the account (reset code,
    then 2SV code, to the same phone)."""
    key = _quota_key(deps, phone)
    today = _day(deps)
    for day in (today, today - DAY):
        if await uow.counters.count(site, FailureScope.RESET_BY_PHONE, key, day) > 0:
            return True
    return False
