"""The staff records the staff flows exchange with storage (never a customer's record)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from entryway.core.staff import Actor, Role, StaffAction, StaffLevel, StaffStatus


@dataclass(slots=True)
class StaffMember:
    id: str
    email: str  # canonical (lower-case domain, as the identifier parser leaves it)
    name: str
    roles: frozenset[Role]
    sites: frozenset[str]
    all_sites: bool
    status: StaffStatus
    created_at: datetime
    password_hash: str | None = None
    totp_sealed: str | None = None  # the authenticator key, sealed like customers' keys
    totp_confirmed_at: datetime | None = None
    enrolled_at: datetime | None = None

    @property
    def actor(self) -> Actor:
        return Actor(
            staff_id=self.id,
            email=self.email,
            roles=self.roles,
            sites=self.sites,
            all_sites=self.all_sites,
        )


@dataclass(slots=True)
class StaffSession:
    id_hash: str
    staff_id: str
    level: StaffLevel
    created_at: datetime
    last_seen_at: datetime
    idle_deadline: datetime
    absolute_deadline: datetime
    ip: str
    user_agent: str


@dataclass(slots=True)
class StaffLink:
    """A single-use enrolment link, kept by keyed hash."""

    id_hash: str
    staff_id: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


@dataclass(slots=True)
class StaffToken:
    """An admin API token of a trust staff member (a store's fraud system acts through it),
    kept by keyed hash; it acts with its owner's roles and sites, until ``expires_at``."""

    id: str
    staff_id: str
    name: str
    token_hash: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


@dataclass(slots=True)
class StaffLock:
    """A lock on a staff email (known or not, so a lock reveals nothing); it never lifts by
    itself: an admin lifts it, or ``entryway staff reset``."""

    key_hash: str
    staff_id: str | None
    locked_at: datetime
    reason: str


@dataclass(slots=True)
class StaffFailures:
    """One failure budget's count in this and the previous window, and its latest failure."""

    current: int
    previous: int
    last_at: datetime | None


@dataclass(slots=True)
class StaffAuditEntry:
    actor_id: str | None  # None: the command line (an operator on the machine)
    action: StaffAction
    target_id: str | None
    at: datetime
    ip: str
    detail: dict[str, Any] = field(default_factory=dict)
    id: int | None = None
