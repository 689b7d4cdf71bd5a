"""The records the flows exchange with storage and with each other: plain dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from entryway.core.cases import Author, CaseState, Origin, Topic
from entryway.core.events import (
    AccountStatus,
    AuditAction,
    Channel,
    FlowPurpose,
    MessageKind,
    MessageStatus,
)
from entryway.core.lockout import LockReason
from entryway.core.recovery import RecoveryState
from entryway.core.sessions import SessionLevel
from entryway.core.suspension import AppealState, Measure, Scope, SuspensionState


@dataclass(frozen=True, slots=True)
class Requester:
    """Who is asking, as far as we can tell: for audit rows and device lists."""

    ip: str = ""
    user_agent: str = ""
    device: str = ""  # the browser's long-lived device cookie, if any
    locale: str = ""  # the language the request was answered in (core.locales.negotiate)


@dataclass(slots=True)
class Account:
    id: str
    site: str
    name: str
    email: str | None
    phone: str | None
    password_hash: str
    status: AccountStatus
    created_at: datetime
    email_verified: bool = False
    phone_verified: bool = False
    password_changed_at: datetime | None = None
    two_step: bool = False
    preferred_factor: str | None = None
    suspect_since: datetime | None = None  # someone may know the password (see lockout)
    contacts_fixed_until: datetime | None = None  # no email or phone change before (recovery)
    suspension_id: str | None = None  # the latest suspension (core.suspension.applies says
    suspended_until: datetime | None = None  # whether it stops sign-in now, with this end)
    locale: str = ""  # the preferred language of its emails and texts ("" = the site's)
    closed_at: datetime | None = None  # Close your account: erased a grace period after


@dataclass(slots=True)
class Session:
    id_hash: str
    public_id: str
    site: str
    account_id: str
    level: SessionLevel
    created_at: datetime
    idle_deadline: datetime
    absolute_deadline: datetime
    remember: bool
    ip: str
    user_agent: str
    client: str  # "web" or "api"
    last_seen_at: datetime
    auth_at: datetime | None = None  # when the password was last given in this session
    amr: str = "pwd"  # how it signed in, space-separated core.apps.Amr values ("pwd otp")


@dataclass(slots=True)
class FlowState:
    id_hash: str
    site: str
    purpose: FlowPurpose
    account_id: str | None
    target_kind: str
    target: str
    code_hash: str
    code_expires_at: datetime
    code_attempts: int
    sends: int
    created_at: datetime
    expires_at: datetime
    consumed_at: datetime | None = None
    stage: str = "code"  # password reset: choose -> code -> verified -> done
    last_sent_at: datetime | None = None
    channel: str = ""  # email, sms or voice, once chosen
    note: str = ""  # unlock: why the account locked (whether a new password is required)
    detail: dict[str, Any] = field(default_factory=dict)  # identity check: evidence so far


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """One verification answer, hashed like a password; the answer itself is never kept."""

    site: str
    account_id: str
    position: int  # 1 to 3
    question_id: str
    answer_hash: str
    set_at: datetime


@dataclass(slots=True)
class SecondFactor:
    """An authenticator app (``totp``) or a phone (``phone``) that can pass the second step."""

    id: str
    site: str
    account_id: str
    kind: str
    label: str
    secret_sealed: str
    phone: str
    created_at: datetime
    confirmed_at: datetime | None = None


@dataclass(slots=True)
class RememberedBrowser:
    """A browser that may skip the second step until ``expires_at`` (revocable)."""

    token_hash: str
    public_id: str
    site: str
    account_id: str
    user_agent: str
    created_at: datetime
    expires_at: datetime


@dataclass(slots=True)
class SupportCase:
    """A request for help (Ask us, or Contact Customer Service from the second step)."""

    id: str
    number: str
    site: str
    account_id: str | None  # None until Verify it's you links a signed-out case
    topic: Topic
    origin: Origin
    state: CaseState
    created_at: datetime
    claimed_name: str = ""
    claimed_kind: str = ""  # "email" or "phone" when a contact was typed
    claimed_contact: str | None = None  # canonical; what a signed-out customer typed
    assigned_to: str | None = None  # a staff id
    first_reply_due: datetime | None = None
    last_customer_at: datetime | None = None
    last_agent_at: datetime | None = None
    solved_at: datetime | None = None
    closed_at: datetime | None = None
    verified_at: datetime | None = None
    verify_sends: int = 0  # Verify it's you codes asked for: names the live code's flow
    reset_flow: str = ""  # sealed token of the reset flow an agent started for this case
    locale: str = ""  # the language it was asked in: replies to a signed-out case use it

    @property
    def password_passed(self) -> bool:
        return self.origin is Origin.PASSWORD_PASSED


@dataclass(slots=True)
class CaseEntry:
    """One entry of a case's thread; notes and staff ids never reach the customer."""

    site: str
    case_id: str
    author: Author
    body: str
    at: datetime
    staff_id: str | None = None
    id: int | None = None


@dataclass(slots=True)
class CaseLink:
    """A View your case link, kept by keyed hash; it only shows its case while it is open."""

    id_hash: str
    site: str
    case_id: str
    created_at: datetime
    revoked_at: datetime | None = None


@dataclass(slots=True)
class Lock:
    """A lock on one account (or on an identifier with no account: it must look the same)."""

    site: str
    key_hash: str
    account_id: str | None
    reason: LockReason
    locked_at: datetime
    until: datetime
    strikes: int = 1


@dataclass(slots=True)
class Link:
    """An emailed single-use link, kept by keyed hash (SECURITY.md figures: >= 128 bits)."""

    id_hash: str
    site: str
    account_id: str
    purpose: FlowPurpose
    reason: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Reading:
    """One budget's failures in this and the previous window, its latest hit, the lock on
    the account, and the client address's failures: everything admit needs, in one read."""

    current: int
    previous: int
    last_at: datetime | None
    locked_until: datetime | None
    lock_reason: str | None
    ip_current: int
    ip_previous: int


@dataclass(slots=True)
class AuditEntry:
    site: str
    account_id: str | None
    action: AuditAction
    at: datetime
    ip: str
    user_agent: str
    detail: dict[str, Any] = field(default_factory=dict)
    id: int | None = None


@dataclass(slots=True)
class Message:
    id: str
    site: str
    account_id: str | None
    channel: Channel
    kind: MessageKind
    to: str
    subject: str
    body: str
    created_at: datetime
    status: MessageStatus = MessageStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    last_error: str = ""
    dedupe_key: str | None = None
    html: str = ""  # an email's HTML part ("" for texts, and for mail written before it)

    @property
    def filed_at(self) -> datetime:
        """When lists show it: when it was sent, else when it was due. A notice written for
        later goes out at its due time and is filed then, above what came before it."""
        if self.sent_at is not None:
            return self.sent_at
        if self.attempts == 0 and self.next_attempt_at is not None:
            return self.next_attempt_at
        return self.created_at

    def waiting(self, now: datetime) -> bool:
        """Written for later, never tried and not due yet: it may still be taken back, so
        no page shows it."""
        due = self.next_attempt_at
        return (
            self.status == MessageStatus.PENDING
            and self.attempts == 0
            and due is not None
            and due > now
        )


@dataclass(frozen=True, slots=True)
class Order:
    """One recent order as the store reports it: evidence a customer can be asked about."""

    number: str
    placed_at: date
    total: Decimal  # exact money; a string in JSON, never a float
    currency: str  # ISO 4217, e.g. "USD"
    items: tuple[str, ...]
    postcode: str  # where it was delivered


@dataclass(slots=True)
class Recovery:
    """An account recovery opened by an identity check (core/recovery.py draws its states).

    ``new_contact`` was proven by a code; it replaces the lost contacts only on completion.
    ``evidence`` holds the signals a reviewer may see (which checks passed, never answers);
    the typed order number and total are kept only until the check is evaluated."""

    id: str
    site: str
    account_id: str
    state: RecoveryState
    new_kind: str  # "email" or "phone"
    new_contact: str  # canonical
    created_at: datetime
    questions_right: bool = False
    order_number: str = ""
    order_total: str = ""
    two_step: bool = False  # 2SV was on when it was asked for (the longer wait)
    evidence: dict[str, Any] = field(default_factory=dict)
    waiting_since: datetime | None = None
    # Waiting: when the wait ends; ready: when it did; review: the decision deadline.
    wait_until: datetime | None = None
    notices_sent: int = 0  # old contacts' notices sent so far (core.recovery.Notice)
    case_id: str | None = None  # the identity_review case, when a reviewer decides
    decided_by: str | None = None  # a staff id
    decided_at: datetime | None = None
    decision_reason: str = ""
    ended_at: datetime | None = None
    requester_ip: str = ""
    requester_agent: str = ""
    # The language the request was made in: the new contact is not on the account yet,
    # so every message to it is written in this one (flows.words.request_locale).
    requester_locale: str = ""


@dataclass(slots=True)
class Suspension:
    """A suspension or a formal warning, with every field of its statement of reasons
    (DSA Art. 17(3)): the measure and scope, its start and end (None: indefinite), the facts
    in plain words, the reason (ground and terms section, by code from the catalog), and
    whether automated means flagged it. ``acted_by`` is a staff id, "cli" or "token:<id>"."""

    id: str
    site: str
    account_id: str
    measure: Measure
    reason_code: str
    facts: str
    automated: bool
    scope: Scope
    starts_at: datetime
    acted_by: str
    state: SuspensionState = SuspensionState.IN_FORCE
    until: datetime | None = None
    appeal_until: datetime | None = None  # None: no appeal (a warning, or not appealable)
    lifted_at: datetime | None = None
    lifted_by: str | None = None
    lift_reason: str = ""


@dataclass(slots=True)
class Appeal:
    """An appeal against a suspension: its case (topic appeal), its number (1 or 2), and the
    decision a person made, with a reason written for the customer."""

    id: str
    site: str
    suspension_id: str
    account_id: str
    case_id: str
    number: int
    text: str
    created_at: datetime
    state: AppealState = AppealState.OPEN
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_reason: str = ""
