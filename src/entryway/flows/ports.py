"""What the flows need from the outside world (the records they exchange are in records.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from entryway.core.apps import AppPolicy
from entryway.core.cases import CaseState, Topic
from entryway.core.events import FlowPurpose, MessageKind
from entryway.core.housekeeping import Retention, SweepJob
from entryway.core.identifiers import Identifier
from entryway.core.lockout import LockPolicy
from entryway.core.passwords import PasswordPolicy
from entryway.core.questions import QuestionList
from entryway.core.recovery import RecoveryPolicy, RecoveryState
from entryway.core.secrets import Random
from entryway.core.sessions import SessionPolicy
from entryway.core.sites import Site, SiteDirectory
from entryway.core.suspension import AppealState, ReasonCatalog, SuspensionState
from entryway.core.throttle import FailureScope
from entryway.core.webhooks import Subscription
from entryway.flows.apps.ports import Apps
from entryway.flows.observe.ports import Gauges, Metrics, NoMetrics
from entryway.flows.passkeys.ports import Passkeys
from entryway.flows.records import (
    Account as Account,
)
from entryway.flows.records import (
    Appeal as Appeal,
)
from entryway.flows.records import (
    AuditEntry as AuditEntry,
)
from entryway.flows.records import (
    CaseEntry as CaseEntry,
)
from entryway.flows.records import (
    CaseLink as CaseLink,
)
from entryway.flows.records import (
    FlowState as FlowState,
)
from entryway.flows.records import (
    Link as Link,
)
from entryway.flows.records import (
    Lock as Lock,
)
from entryway.flows.records import (
    Message as Message,
)
from entryway.flows.records import (
    Order as Order,
)
from entryway.flows.records import (
    Reading as Reading,
)
from entryway.flows.records import (
    Recovery as Recovery,
)
from entryway.flows.records import (
    RememberedBrowser as RememberedBrowser,
)

# The records live in records.py; they are re-exported here, where flows look for them.
from entryway.flows.records import (
    Requester as Requester,
)
from entryway.flows.records import (
    SecondFactor as SecondFactor,
)
from entryway.flows.records import (
    Session as Session,
)
from entryway.flows.records import (
    StoredAnswer as StoredAnswer,
)
from entryway.flows.records import (
    SupportCase as SupportCase,
)
from entryway.flows.records import (
    Suspension as Suspension,
)
from entryway.flows.signin.gate import HashGate
from entryway.flows.staff.records import (
    StaffAuditEntry,
    StaffFailures,
    StaffLink,
    StaffLock,
    StaffMember,
    StaffSession,
    StaffToken,
)


@dataclass(frozen=True, slots=True)
class Rendered:
    """One email as written for its reader: subject, plain-text part and HTML part."""

    subject: str
    text: str
    html: str


class MessageTemplates(Protocol):
    """The words of every message, one template per message (``adapters.messages``): an
    operator's folder may override any of them by name."""

    def email(self, name: str, site: Site, locale: str, **values: Any) -> Rendered: ...

    def sms(self, name: str, site: Site, locale: str, **values: Any) -> str: ...


class Clock(Protocol):
    def now(self) -> datetime: ...


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str: ...
    async def verify(self, encoded: str, password: str, *, urgent: bool = False) -> bool:
        """``urgent`` checks go ahead of queued ones (a device that signed in before)."""
        ...

    async def verify_dummy(self, password: str, *, urgent: bool = False) -> None: ...
    def needs_rehash(self, encoded: str) -> bool: ...


class IdentifierParser(Protocol):
    def parse(self, raw: str, region: str) -> Identifier:
        """Normalise or raise InvalidIdentifier."""
        ...


class Mailer(Protocol):
    async def send_email(
        self,
        *,
        sender: str,
        to: str,
        subject: str,
        body: str,
        html: str = "",
        message_id: str = "",
    ) -> None:
        """Hand one email to the provider (``html``: its HTML part, if any; ``message_id``:
        the outbox message's id, the same on every retry, from which its Message-ID header
        is made); raise on any failure."""
        ...


class Texter(Protocol):
    async def send_text(self, *, to: str, body: str, kind: str, site: str) -> None:
        """Hand one SMS or voice message to the provider; raise on any failure."""
        ...


class LogoutPoster(Protocol):
    async def post_logout(self, uri: str, token: str) -> None:
        """POST a back-channel logout token to an app's URI; raise unless it answered 2xx."""
        ...


class Sweeper(Protocol):
    async def expired(self, job: SweepJob, cutoff: datetime, limit: int) -> int:
        """Delete at most ``limit`` rows of ``job`` that ended before ``cutoff``; how many."""
        ...


class EventPoster(Protocol):
    async def post_event(self, url: str, event_id: str, body: str) -> None:
        """POST one security event, signed now for ``url``'s receiver with ``event_id`` as
        its ``webhook-id``; raise unless it answered 2xx."""
        ...


class OrderLookup(Protocol):
    """The store's record of a customer's recent orders (issue 11: identity check)."""

    async def recent_orders(
        self, *, site: str, sub: str, email: str | None, phone: str | None
    ) -> list[Order] | None:
        """The account's recent orders; None when the lookup is unavailable (timeout, error,
        an answer we cannot read). Never raises: a store that is down only means this
        evidence is missing. ``email`` and ``phone`` are given only where verified."""
        ...


class Sealer(Protocol):
    """Encrypts secrets we must read back (TOTP keys) with a key kept outside the database."""

    def seal(self, secret: bytes) -> str: ...
    def unseal(self, sealed: str) -> bytes: ...


class Accounts(Protocol):
    async def add(self, account: Account) -> None:
        """Insert; raises Conflict if the site already has the email or phone."""
        ...

    async def get(self, site: str, account_id: str) -> Account | None: ...
    async def find(self, site: str, ident: Identifier) -> Account | None: ...
    async def find_for_sign_in(
        self, site: str, ident: Identifier, device_hash: str, known_since: datetime
    ) -> tuple[Account | None, bool]:
        """The account, and whether this device proved its password after ``known_since``,
        in one query."""
        ...

    async def remember_device(
        self, site: str, account_id: str, device_hash: str, now: datetime
    ) -> None:
        """Recognise this device on the account from now on (idempotent)."""
        ...

    async def knows_device(
        self, site: str, account_id: str, device_hash: str, known_since: datetime
    ) -> bool: ...
    async def forget_devices(self, site: str, account_id: str) -> None:
        """No device is recognised any more (a new password, sign out everywhere)."""
        ...

    async def update(self, site: str, account_id: str, **values: Any) -> None: ...
    async def delete_unverified(self, site: str, account_id: str) -> bool:
        """Remove an account that never verified its identifier (nothing else holds it)."""
        ...

    async def close(self, site: str, account_id: str, now: datetime) -> bool:
        """An active account becomes closed at ``now``; False if it was not active."""
        ...

    async def reopen(self, site: str, account_id: str, closed_at: datetime) -> bool:
        """A closed account becomes active again, if it is still the closing of
        ``closed_at`` (the one the caller checked); False otherwise (reopened, closed again
        or erased meanwhile)."""
        ...

    async def closed_before(self, cutoff: datetime, limit: int) -> list[tuple[str, str]]:
        """At most ``limit`` (site, account id) of the accounts closed before ``cutoff``."""
        ...

    async def erase(self, site: str, account_id: str, cutoff: datetime) -> bool:
        """Delete a closed account and every row about it (sessions, devices, methods,
        passkeys, apps' grants and messages) if it closed before ``cutoff``, unlinking its
        support cases; the append-only audit log keeps its rows, which name the account by
        its random id only. False, with nothing deleted, otherwise (reopened)."""
        ...


class Sessions(Protocol):
    async def add(self, session: Session) -> None: ...
    async def get(self, site: str, id_hash: str) -> Session | None: ...
    async def with_account(self, site: str, id_hash: str) -> tuple[Session, Account] | None:
        """The session and its account, in one statement (the session check's lookup)."""
        ...

    async def touch(self, site: str, id_hash: str, now: datetime, idle: datetime) -> None: ...
    async def reauthenticated(self, site: str, id_hash: str, now: datetime) -> None: ...
    async def list_for(self, site: str, account_id: str, now: datetime) -> list[Session]: ...
    async def partial_since(self, site: str, account_id: str, since: datetime) -> list[Session]:
        """Partial sessions created at ``since`` or later, live or not (none is swept)."""
        ...

    async def delete(self, site: str, id_hash: str) -> bool: ...
    async def delete_public(self, site: str, account_id: str, public_id: str) -> bool: ...
    async def delete_all(self, site: str, account_id: str, *, keep: str | None = None) -> int: ...
    async def take_public_id(self, site: str, id_hash: str, public_id: str) -> bool:
        """Session ``id_hash`` goes on under ``public_id`` (one a session just ended had)."""
        ...


class Flows(Protocol):
    async def add(self, state: FlowState) -> None: ...
    async def get(self, site: str, id_hash: str, purpose: FlowPurpose) -> FlowState | None: ...
    async def take_try(self, site: str, id_hash: str, now: datetime) -> str | None:
        """Spend one of the live code's tries (conditional write); its hash, or None when
        the code is used, expired or out of tries."""
        ...

    async def consume(
        self, site: str, id_hash: str, code_hash: str, now: datetime, next_stage: str = "done"
    ) -> bool:
        """Conditional write: true for exactly one caller with the current, unexpired code."""
        ...

    async def replace_code(
        self, site: str, id_hash: str, code_hash: str, expires_at: datetime, max_sends: int
    ) -> bool:
        """New code, tries reset, sends + 1; false once ``max_sends`` were made."""
        ...

    async def void_for(self, site: str, account_id: str, purpose: FlowPurpose) -> None: ...
    async def void_all(self, site: str, account_id: str, *, keep: str) -> None:
        """Every other flow of the account ends: its codes and links stop working."""
        ...

    async def advance(
        self, site: str, id_hash: str, from_stage: str, to_stage: str, **values: Any
    ) -> bool:
        """Conditional stage change (with other column values); false if not at from_stage."""
        ...


class Counters(Protocol):
    async def hit(
        self,
        site: str,
        scope: FailureScope,
        key: str,
        window: datetime,
        now: datetime | None = None,
    ) -> int:
        """Add one atomically (an upsert); returns the new count in that window. ``now``,
        when given, becomes the time of the latest failure (reservations leave it alone)."""
        ...

    async def touch(
        self, site: str, scope: FailureScope, key: str, window: datetime, now: datetime
    ) -> None:
        """Record ``now`` as the time of the latest failure in that window."""
        ...

    async def reading(
        self,
        site: str,
        *,
        scope: FailureScope,
        key: str,
        lock_key: str,
        ip_key: str,
        window: datetime,
        previous: datetime,
    ) -> Reading:
        """A budget's counts, the lock under ``lock_key`` and the address's counts, at once."""
        ...

    async def count(self, site: str, scope: FailureScope, key: str, window: datetime) -> int: ...
    async def take_back(self, site: str, scope: FailureScope, key: str, window: datetime) -> None:
        """One count fewer in that window (never below zero)."""
        ...

    async def reset(self, site: str, scope: FailureScope, key: str) -> None: ...


class TwoStep(Protocol):
    async def add_factor(self, factor: SecondFactor) -> None: ...
    async def factors(self, site: str, account_id: str) -> list[SecondFactor]: ...
    async def confirm_factor(
        self, site: str, account_id: str, factor_id: str, now: datetime
    ) -> bool: ...
    async def delete_factor(self, site: str, account_id: str, factor_id: str) -> bool: ...
    async def delete_unconfirmed(self, site: str, account_id: str) -> None: ...
    async def use_step(self, site: str, account_id: str, step: int, now: datetime) -> bool:
        """Record a TOTP step as used; false if it was used already (atomic, per account)."""
        ...

    async def replace_backup_codes(
        self, site: str, account_id: str, hashes: list[str], now: datetime
    ) -> None:
        """A new set voids the old one."""
        ...

    async def use_backup_code(
        self, site: str, account_id: str, code_hash: str, now: datetime
    ) -> bool:
        """Conditional write: true for exactly one caller with an unused code."""
        ...

    async def backup_codes_left(self, site: str, account_id: str) -> int: ...
    async def clear(self, site: str, account_id: str) -> None:
        """Every factor and backup code of the account goes (2SV turned off)."""
        ...

    async def remember(self, browser: RememberedBrowser) -> None: ...
    async def is_remembered(
        self, site: str, account_id: str, token_hash: str, now: datetime
    ) -> bool: ...
    async def browsers(
        self, site: str, account_id: str, now: datetime
    ) -> list[RememberedBrowser]: ...
    async def forget(self, site: str, account_id: str, public_id: str | None = None) -> int:
        """Forget one remembered browser, or all of them when ``public_id`` is None."""
        ...


class Questions(Protocol):
    async def answers(self, site: str, account_id: str) -> list[StoredAnswer]:
        """The account's chosen questions with hashed answers, by position; [] when unset."""
        ...

    async def replace(self, site: str, account_id: str, answers: list[StoredAnswer]) -> None:
        """Make ``answers`` the whole set (within the caller's transaction)."""
        ...

    async def clear(self, site: str, account_id: str) -> None: ...


class Locks(Protocol):
    async def get(self, site: str, key_hash: str) -> Lock | None: ...
    async def acquire(
        self, lock: Lock, now: datetime, *, max_strikes: int, forever: datetime
    ) -> bool:
        """Insert the lock, or replace one that has expired (one more strike; at
        ``max_strikes`` it lasts until ``forever``); false (nothing changed) while a live lock
        holds, so attempts during a lock never extend it (SECURITY.md 10)."""
        ...

    async def forget_expired(self, site: str, key_hash: str, now: datetime) -> None:
        """A success ends the run of locks: the next one starts again at one strike."""
        ...

    async def release_account(self, site: str, account_id: str, *, operator: bool = False) -> int:
        """Lift the locks on the account, an operator's only with ``operator`` (nothing
        the customer does lifts one); how many were live or not."""
        ...

    async def hold(self, lock: Lock) -> bool:
        """Put an operator's lock on, replacing any lock there is (a guessing lock becomes
        this one); false, changing nothing, when an operator's lock holds already."""
        ...


class Links(Protocol):
    async def add(self, link: Link) -> None: ...
    async def get(self, site: str, id_hash: str, purpose: FlowPurpose) -> Link | None: ...
    async def use(self, site: str, id_hash: str, purpose: FlowPurpose, now: datetime) -> bool:
        """Conditional write: true for exactly one caller while the link is unused and live."""
        ...

    async def void_for(self, site: str, account_id: str, purpose: FlowPurpose) -> None:
        """Every unused link of the account for ``purpose`` stops working (a newer link, a
        new password or email, SECURITY.md 14)."""
        ...


class Cases(Protocol):
    """Support cases, their threads and View your case links. Lookups take the site (or the
    staff member's sites): a case of another site is not found."""

    async def add(self, case: SupportCase) -> None:
        """Insert; raises Conflict if the case number is taken."""
        ...

    async def get(self, site: str, case_id: str) -> SupportCase | None: ...
    async def in_sites(self, sites: list[str], case_id: str) -> SupportCase | None: ...
    async def by_number(self, sites: list[str], number: str) -> SupportCase | None: ...
    async def by_contact(
        self, pairs: list[tuple[str, str]], topics: list[Topic], limit: int = 50
    ) -> list[SupportCase]:
        """Cases of these topics whose typed contact is exactly the value given for their
        site, newest first (filtered in the query, so the limit counts only those)."""
        ...

    async def for_account(self, site: str, account_id: str) -> list[SupportCase]: ...
    async def queue(
        self,
        sites: list[str],
        states: list[CaseState],
        topics: list[Topic],
        assigned_to: str | None,
        limit: int,
    ) -> list[SupportCase]:
        """Soonest due first, then oldest; cases with nothing due after those that have."""
        ...

    async def move(self, site: str, case_id: str, from_state: CaseState, **values: Any) -> bool:
        """Conditional write: change the case only while it is still in ``from_state``."""
        ...

    async def link_account(self, site: str, case_id: str, account_id: str, now: datetime) -> bool:
        """Attach a verified account (conditional: unlinked, or linked to that one)."""
        ...

    async def next_verification(self, site: str, case_id: str) -> int:
        """One more Verify it's you code for the case; its number (names the flow)."""
        ...

    async def add_entry(self, entry: CaseEntry) -> None: ...
    async def entries(self, site: str, case_id: str) -> list[CaseEntry]: ...
    async def add_link(self, link: CaseLink) -> None: ...
    async def by_link(self, site: str, id_hash: str) -> SupportCase | None:
        """The case of a live (unrevoked) link on this site, whatever its state."""
        ...

    async def revoke_links(self, site: str, case_id: str, now: datetime) -> None: ...
    async def close_solved(self, solved_before: datetime, now: datetime) -> list[SupportCase]:
        """The sweep, across sites like the outbox's: close cases solved before the cutoff
        (conditional write), returning those it closed."""
        ...


class Recoveries(Protocol):
    """Account recoveries; every query but the housekeeping ones is scoped by site."""

    async def add(self, recovery: Recovery) -> bool:
        """False (and nothing written) when the account already has a live recovery: one per
        account, held by a unique index so two servers cannot both open one (SECURITY.md 34)."""
        ...

    async def get(self, site: str, recovery_id: str) -> Recovery | None: ...
    async def live_for(self, site: str, account_id: str) -> Recovery | None: ...
    async def hold_live(self, site: str, account_id: str) -> Recovery | None:
        """The account's live recovery, its row locked to this transaction (SELECT ... FOR
        UPDATE) after any transaction that was moving it ends: a sign-in or reset takes it
        before any other write, in the order every path that ends a recovery keeps."""
        ...

    async def by_case(self, site: str, case_id: str) -> Recovery | None: ...
    async def in_states(self, states: list[RecoveryState], limit: int = 200) -> list[Recovery]:
        """Across every site, oldest first: what the housekeeping jobs move on."""
        ...

    async def waiting_due(self, now: datetime, limit: int) -> list[Recovery]:
        """Across every site, waiting recoveries with something due at ``now``: the end of
        the wait or the next notice (``core.recovery.notice_times``), soonest end first. It
        may include one about to be due (within a second): the job checks each itself."""
        ...

    async def ready_before(self, ready_at: datetime, limit: int) -> list[Recovery]:
        """Across every site, ready recoveries that became ready (``wait_until``) at or
        before ``ready_at``, oldest first: those whose finish link has run out."""
        ...

    async def review_due(self, now: datetime, limit: int) -> list[Recovery]:
        """Across every site, recoveries still in review whose decision deadline
        (``wait_until``) is at or before ``now``, soonest first: declined for want of one."""
        ...

    async def cancelled_since(self, site: str, account_id: str, since: datetime) -> bool:
        """Whether a recovery of the account was cancelled (This wasn't me, or the owner
        signing in) at or after ``since``."""
        ...

    async def move(
        self, site: str, recovery_id: str, from_state: RecoveryState, **values: Any
    ) -> bool:
        """Conditional write: change the row only if it is still in ``from_state``."""
        ...

    async def noticed(self, site: str, recovery_id: str, before: int, after: int) -> bool:
        """Conditional write of notices_sent, so one notice goes out once across servers."""
        ...


class Suspensions(Protocol):
    """Suspensions, warnings and their appeals; every query is scoped by site."""

    async def add(self, suspension: Suspension) -> None: ...
    async def get(self, site: str, suspension_id: str) -> Suspension | None: ...
    async def for_account(self, site: str, account_id: str) -> list[Suspension]:
        """The account's suspensions and warnings, newest first."""
        ...

    async def move(
        self, site: str, suspension_id: str, from_state: SuspensionState, **values: Any
    ) -> bool:
        """Conditional write: change the row only if it is still in ``from_state``."""
        ...

    async def add_appeal(self, appeal: Appeal) -> bool:
        """False (nothing written) when the suspension has an open appeal already or this
        number was taken: one open appeal at a time, held by a unique index."""
        ...

    async def appeals(self, site: str, suspension_id: str) -> list[Appeal]:
        """The suspension's appeals, first first."""
        ...

    async def appeal_by_case(self, site: str, case_id: str) -> Appeal | None: ...
    async def decide_appeal(
        self, site: str, appeal_id: str, state: AppealState, by: str, at: datetime, reason: str
    ) -> bool:
        """Conditional write: true for exactly one caller while the appeal is open."""
        ...

    async def withdraw_open(self, site: str, suspension_id: str, at: datetime) -> list[Appeal]:
        """The suspension was lifted: its open appeal (if any) is withdrawn; returned."""
        ...


class Audit(Protocol):
    async def add(self, entry: AuditEntry) -> None: ...
    async def recent(self, site: str, account_id: str, limit: int = 20) -> list[AuditEntry]: ...


class Outbox(Protocol):
    async def add(self, message: Message) -> bool:
        """Insert; false (and nothing written) when ``dedupe_key`` was used already."""
        ...

    async def for_account(self, site: str, account_id: str, limit: int = 50) -> list[Message]: ...
    async def waiting(
        self, site: str, account_id: str, kind: MessageKind, now: datetime
    ) -> list[Message]:
        """The account's messages of ``kind`` written for later and not due yet."""
        ...

    async def reschedule(self, message_id: str, due: datetime, now: datetime) -> bool:
        """Move a waiting message to ``due``; false (nothing changed) once it is due."""
        ...

    async def take_back(self, message_id: str, now: datetime) -> bool:
        """Delete a waiting message; false (nothing changed) once it is due."""
        ...

    # The three below serve the delivery worker and the demo outbox page, which work across
    # every site by design: they read messages, never accounts.
    async def claim_due(
        self, now: datetime, lease_until: datetime, limit: int, *, webhooks: bool = False
    ) -> list[Message]:
        """Pending messages due now, each leased to this caller by a conditional write:
        webhooks alone (``webhooks``), or every other channel (mail, texts, logout tokens),
        so a backlog of one never sits ahead of the other."""
        ...

    async def mark_sent(
        self, message_id: str, now: datetime, body: str | None = None, html: str | None = None
    ) -> None:
        """Sent; ``body`` and ``html``, when given, replace the stored text and HTML parts."""
        ...

    async def mark_retry(
        self, message_id: str, attempts: int, next_at: datetime, error: str, give_up: bool
    ) -> None: ...
    async def latest(self, limit: int = 200) -> list[Message]: ...


class Staff(Protocol):
    """Staff accounts and everything of theirs, in staff's own tables (SECURITY.md 30)."""

    async def add(self, member: StaffMember) -> None:
        """Insert; raises Conflict if the email is taken."""
        ...

    async def get(self, staff_id: str) -> StaffMember | None: ...
    async def find(self, email: str) -> StaffMember | None: ...
    async def everyone(self) -> list[StaffMember]: ...
    async def update(self, staff_id: str, **values: Any) -> None: ...
    async def add_link(self, link: StaffLink) -> None: ...
    async def link(self, id_hash: str) -> StaffLink | None: ...
    async def use_link(self, id_hash: str, now: datetime) -> bool:
        """Conditional write: true for exactly one caller while the link is unused and live."""
        ...

    async def void_links(self, staff_id: str, now: datetime) -> None: ...
    async def add_session(self, session: StaffSession) -> None: ...
    async def session(self, id_hash: str) -> StaffSession | None: ...
    async def touch_session(self, id_hash: str, now: datetime, idle: datetime) -> None: ...
    async def end_session(self, id_hash: str) -> bool: ...
    async def end_sessions(self, staff_id: str) -> int: ...
    async def use_step(self, staff_id: str, step: int, now: datetime) -> bool:
        """Record a TOTP step as used; false if it was used already (atomic)."""
        ...

    async def hit(self, key_hash: str, window: datetime) -> int:
        """One attempt counted in that window before its check (an upsert); the new count."""
        ...

    async def failed_at(self, key_hash: str, window: datetime, now: datetime) -> None:
        """The counted attempt failed: the time of the latest failure, for the delay."""
        ...

    async def take_back(self, key_hash: str, window: datetime) -> None:
        """A right password gives its count back (never below zero)."""
        ...

    async def failures(
        self, key_hash: str, window: datetime, previous: datetime
    ) -> StaffFailures: ...
    async def clear_failures(self, key_hash: str) -> None: ...
    async def lock(self, lock: StaffLock) -> bool:
        """Insert the lock; false (nothing changed) when one holds already."""
        ...

    async def lock_of(self, key_hash: str) -> StaffLock | None: ...
    async def unlock(self, key_hash: str) -> bool: ...
    async def locked_ids(self) -> set[str]: ...
    async def audit(self, entry: StaffAuditEntry) -> None: ...
    async def audit_log(self, limit: int = 50) -> list[StaffAuditEntry]: ...
    async def add_token(self, token: StaffToken) -> None: ...
    async def token(self, token_hash: str) -> StaffToken | None: ...
    async def tokens(self, staff_id: str | None = None) -> list[StaffToken]:
        """Every admin API token (of one staff member), newest first, revoked ones too."""
        ...

    async def token_used(self, token_id: str, now: datetime) -> None: ...
    async def revoke_token(self, token_id: str, now: datetime) -> bool:
        """Conditional write: false when unknown or revoked already."""
        ...


class UnitOfWork(Protocol):
    @property
    def accounts(self) -> Accounts: ...
    @property
    def sessions(self) -> Sessions: ...
    @property
    def flows(self) -> Flows: ...
    @property
    def audit(self) -> Audit: ...
    @property
    def outbox(self) -> Outbox: ...
    @property
    def counters(self) -> Counters: ...
    @property
    def two_step(self) -> TwoStep: ...
    @property
    def questions(self) -> Questions: ...
    @property
    def cases(self) -> Cases: ...
    @property
    def locks(self) -> Locks: ...
    @property
    def links(self) -> Links: ...
    @property
    def staff(self) -> Staff: ...
    @property
    def recoveries(self) -> Recoveries: ...
    @property
    def suspensions(self) -> Suspensions: ...
    @property
    def apps(self) -> Apps: ...
    @property
    def passkeys(self) -> Passkeys: ...
    def on_commit(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once the transaction open now commits (never on a rollback):
        for what must not be told of a change that did not happen (metrics)."""
        ...

    @property
    def sweeper(self) -> Sweeper:
        """Housekeeping's batched deletes (core/housekeeping.py)."""
        ...

    @property
    def gauges(self) -> Gauges:
        """Read-only aggregates for the metrics scrape."""
        ...

    @property
    def staff_passkeys(self) -> Passkeys:
        """The console's passkeys: the same shape, in tables of their own (SECURITY.md 30)."""
        ...

    @property
    def serialized(self) -> bool:
        """True when every transaction runs alone from its first statement (SQLite's
        BEGIN IMMEDIATE): nothing another one commits can appear between a read and a
        write of this one."""
        ...

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None: ...
    async def commit(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Keys:
    """Server-side keys: ``hashing`` keys code/token/session hashes, ``subject`` keys public
    account ids (see flows/subjects.py); neither is ever stored in the DB."""

    hashing: bytes
    subject: bytes

    def __post_init__(self) -> None:
        for name in ("hashing", "subject"):
            key = getattr(self, name)
            if len(key) < 32:
                raise ValueError(f"the {name} key needs at least 32 bytes, got {len(key)}")


@dataclass(frozen=True, slots=True)
class Deps:
    """Everything a flow may use, wired once by bootstrap."""

    sites: SiteDirectory
    clock: Clock
    rng: Random
    hasher: PasswordHasher
    identifiers: IdentifierParser
    uow: Callable[[], UnitOfWork]
    keys: Keys
    passwords: PasswordPolicy
    sealer: Sealer
    messages: MessageTemplates
    session_policy: SessionPolicy = field(default_factory=SessionPolicy)
    lock_policy: LockPolicy = field(default_factory=LockPolicy)
    hash_gate: HashGate = field(default_factory=lambda: HashGate(2))
    questions: QuestionList = field(default_factory=QuestionList)  # verification questions
    on_message: Callable[[], None] = lambda: None  # wakes the delivery worker
    orders: OrderLookup | None = None  # None: no order lookup configured
    recovery_policy: RecoveryPolicy = field(default_factory=RecoveryPolicy)
    suspension_reasons: ReasonCatalog = field(default_factory=ReasonCatalog)
    app_policy: AppPolicy = field(default_factory=AppPolicy)
    metrics: Metrics = field(default_factory=NoMetrics)  # counted only with METRICS_ADDRESS
    webhooks: tuple[Subscription, ...] = ()  # the store's receivers of security events
    retention: Retention = field(default_factory=Retention)  # what housekeeping keeps
    # Statements outside a transaction, each seeing the last commit, and no commit: for a
    # read that writes nothing and needs no snapshot (a session check). None: ``uow``.
    read: Callable[[], UnitOfWork] | None = None

    def reader(self) -> UnitOfWork:
        return self.read() if self.read is not None else self.uow()

    def site(self, code: str) -> Site:
        return self.sites.by_code(code)
