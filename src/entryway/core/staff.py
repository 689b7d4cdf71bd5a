"""Staff: roles, what each role may see, and the actor every console action is made by.

Staff are not customers: they have their own table, sessions, cookies and origin (the
console). A staff member holds one or more roles and works on a set of sites (or all of
them); every console query is scoped by both (SECURITY.md 33).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta


class Role(enum.StrEnum):
    """Stable role names, stored and printed by ``entryway staff``."""

    AGENT = "agent"  # sign-in cases, the account summary, the agent tools
    REVIEWER = "reviewer"  # identity-check reviews
    TRUST = "trust"  # suspensions and appeals
    ADMIN = "admin"  # staff, roles, settings (read-only, secrets redacted)


class StaffStatus(enum.StrEnum):
    """Staff account states.

    ```mermaid
    stateDiagram-v2
        [*] --> invited: entryway staff add
        invited --> active: enrolment link used (password + authenticator app)
        active --> invited: entryway staff reset (password and second step void)
        invited --> disabled: entryway staff disable
        active --> disabled: entryway staff disable
        disabled --> invited: entryway staff reset
    ```
    """

    INVITED = "invited"
    ACTIVE = "active"
    DISABLED = "disabled"


def parse_roles(values: list[str] | tuple[str, ...]) -> frozenset[Role]:
    """Role names to roles; an unknown name is refused with the names we know."""
    if not values:
        raise ValueError("give at least one role: " + ", ".join(r.value for r in Role))
    roles = set()
    for value in values:
        try:
            roles.add(Role(value.strip().lower()))
        except ValueError:
            known = ", ".join(r.value for r in Role)
            raise ValueError(f"unknown role {value!r}; the roles are {known}") from None
    return frozenset(roles)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting in the console: passed to every console flow, checked by each."""

    staff_id: str
    email: str
    roles: frozenset[Role]
    sites: frozenset[str]  # ignored when all_sites
    all_sites: bool = False

    def has(self, role: Role) -> bool:
        return role in self.roles

    def sees_site(self, site: str) -> bool:
        """Whether this staff member works on ``site`` at all."""
        return self.all_sites or site in self.sites

    def site_scope(self, every: list[str]) -> list[str]:
        """The site codes, out of ``every``, this staff member's queries may touch."""
        return [code for code in every if self.sees_site(code)]


class StaffLevel(enum.StrEnum):
    """How far a console session got (stored; never rename).

    ``enrol`` may only finish the authenticator app of an enrolment, ``partial`` (password
    passed) may only give the OTP; only ``full`` sees the console (SECURITY.md 21, 30)."""

    ENROL = "enrol"
    PARTIAL = "partial"
    FULL = "full"


class StaffAction(enum.StrEnum):
    """What the staff audit log records (stored; never rename)."""

    ADDED = "staff.added"
    ENROLMENT_LINK = "staff.enrolment_link"  # a fresh link was made (add, reset, demo)
    PASSWORD_SET = "staff.password_set"  # noqa: S105 (an action name)
    ENROLLED = "staff.enrolled"
    SIGNED_IN = "staff.signed_in"
    SIGN_IN_FAILED = "staff.sign_in_failed"
    OTP_FAILED = "staff.otp_failed"
    LOCKED = "staff.locked"
    LOCK_LIFTED = "staff.lock_lifted"
    ROLES_CHANGED = "staff.roles_changed"
    DISABLED = "staff.disabled"
    RESET = "staff.reset"
    SIGNED_OUT = "staff.signed_out"
    SETTINGS_VIEWED = "staff.settings_viewed"
    PASSKEY_ADDED = "staff.passkey_added"
    PASSKEY_REMOVED = "staff.passkey_removed"  # by its owner, or turned off as copied
    # Work on support cases that is not sent to the customer (a reply is, and is audited on
    # the customer's site log); detail carries the case's site and number, never a note's text.
    CASE_NOTE_ADDED = "staff.case_note_added"
    CASE_ASSIGNED = "staff.case_assigned"  # target: the staff member assigned (None: unassigned)
    CASE_STATE_CHANGED = "staff.case_state_changed"
    # Admin API tokens (target: the token's owner) and trust work (detail: site, account,
    # suspension id; the customer's own log has the full rows).
    TOKEN_ADDED = "staff.token_added"  # noqa: S105 (an action name)
    TOKEN_REVOKED = "staff.token_revoked"  # noqa: S105 (an action name)
    ACCOUNT_LOOKED_UP = "staff.account_looked_up"
    SUSPENDED = "staff.suspended"
    WARNED = "staff.warned"
    SUSPENSION_LIFTED = "staff.suspension_lifted"
    APPEAL_DECIDED = "staff.appeal_decided"
    ACCOUNT_LOCKED = "staff.account_locked"  # held until lifted (flows/trust/locking)
    ACCOUNT_UNLOCKED = "staff.account_unlocked"


# Console sessions are short: a staff member's session reaches every customer of their sites.
CONSOLE_IDLE = timedelta(minutes=15)
CONSOLE_ABSOLUTE = timedelta(hours=8)
CONSOLE_STEP = timedelta(minutes=10)  # a partial (password passed) or enrolment session
ENROL_LINK_LIFETIME = timedelta(hours=24)
TOUCH_EVERY = timedelta(minutes=1)  # the idle deadline moves at most this often


def staff_deadlines(now: datetime, level: StaffLevel) -> tuple[datetime, datetime]:
    """(idle, absolute) deadlines of a console session opened at ``now``."""
    if level == StaffLevel.FULL:
        return now + CONSOLE_IDLE, now + CONSOLE_ABSOLUTE
    return now + CONSOLE_STEP, now + CONSOLE_STEP


def next_idle(now: datetime, idle: datetime, absolute: datetime) -> datetime | None:
    """The new idle deadline after activity at ``now``, or None when it need not move yet."""
    if CONSOLE_IDLE - (idle - now) < TOUCH_EVERY:
        return None
    return min(now + CONSOLE_IDLE, absolute)


def format_roles(roles: frozenset[Role] | set[Role]) -> str:
    """Roles as stored and printed: comma-separated, in the order of ``Role``."""
    return ",".join(r.value for r in Role if r in roles)


def format_sites(all_sites: bool, sites: frozenset[str] | set[str]) -> str:
    return "all sites" if all_sites else ", ".join(sorted(sites))


def oversees(actor: Actor, all_sites: bool, sites: frozenset[str]) -> bool:
    """Whether an admin's sites cover every site of a staff member (so they may see and
    change them): an admin of one site never manages someone who also works elsewhere."""
    if actor.all_sites:
        return True
    return not all_sites and sites <= actor.sites
