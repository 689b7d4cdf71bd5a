"""Steps the staff flows share: keyed hashes, the email check, audit rows, sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from entryway.core.identifiers import IdentifierKind
from entryway.core.secrets import keyed_hash, new_token
from entryway.core.staff import StaffAction, StaffLevel, staff_deadlines
from entryway.errors import InvalidInput
from entryway.flows.ports import Deps, Requester, UnitOfWork
from entryway.flows.staff.records import StaffAuditEntry, StaffSession

MAX_REASON = 500
BAD_EMAIL = "Enter a staff email address, like name@example.com."


def session_hash(deps: Deps, token: str) -> str:
    """Console sessions are keyed under their own label (and kept in their own table), so a
    customer's session token finds nothing on the console and the reverse (SECURITY.md 30)."""
    return keyed_hash(deps.keys.hashing, "staff-session", token)


def link_hash(deps: Deps, token: str) -> str:
    return keyed_hash(deps.keys.hashing, "staff-enrol", token)


def failure_key(deps: Deps, email: str) -> str:
    """The failure budget and lock of a typed email, known to us or not (so a lock notice
    says nothing about whether a staff member has that address)."""
    return keyed_hash(deps.keys.hashing, "staff-count", email)


def address_key(deps: Deps, ip: str) -> str:
    """The failure count of a client address across every staff email ("" without an
    address); kept beside the emails' counts, under its own label, and never locked."""
    return keyed_hash(deps.keys.hashing, "staff-count-ip", ip) if ip else ""


def staff_email(deps: Deps, raw: str) -> str:
    """The canonical form of a staff email; anything else (a phone number too) is refused."""
    try:
        ident = deps.identifiers.parse(raw, "US")
    except InvalidInput:
        raise InvalidInput(BAD_EMAIL, field="email") from None
    if ident.kind != IdentifierKind.EMAIL:
        raise InvalidInput(BAD_EMAIL, field="email")
    return ident.value


def reason_of(raw: str) -> str:
    """Every admin action carries a reason, written by the person acting."""
    reason = " ".join(raw.split())
    if not reason:
        raise InvalidInput("Give a reason.", field="reason")
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"Keep the reason under {MAX_REASON} characters.", field="reason")
    return reason


async def audit(
    deps: Deps,
    uow: UnitOfWork,
    action: StaffAction,
    *,
    actor_id: str | None,
    target_id: str | None,
    who: Requester,
    **detail: Any,
) -> None:
    """Append one staff event; detail never carries a password, code, key or token."""
    await uow.staff.audit(
        StaffAuditEntry(
            actor_id=actor_id,
            action=action,
            target_id=target_id,
            at=deps.clock.now(),
            ip=who.ip[:64],
            detail=detail,
        )
    )


@dataclass(frozen=True, slots=True)
class Opened:
    token: str
    idle_deadline: datetime
    absolute_deadline: datetime


async def open_session(
    deps: Deps, uow: UnitOfWork, staff_id: str, level: StaffLevel, who: Requester
) -> Opened:
    """A brand-new console session (fresh id at every change of level, SECURITY.md 24)."""
    now = deps.clock.now()
    token = new_token(deps.rng)
    idle, absolute = staff_deadlines(now, level)
    await uow.staff.add_session(
        StaffSession(
            id_hash=session_hash(deps, token),
            staff_id=staff_id,
            level=level,
            created_at=now,
            last_seen_at=now,
            idle_deadline=idle,
            absolute_deadline=absolute,
            ip=who.ip[:64],
            user_agent=who.user_agent[:300],
        )
    )
    return Opened(token=token, idle_deadline=idle, absolute_deadline=absolute)
