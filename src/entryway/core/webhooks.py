"""Security event webhooks: which audit rows become which event, and what an event says.

An event is a stable name (never renamed, only added) and a small JSON body that carries no
secret: no code, token, password, hash or answer, and no contact address (SECURITY.md 42).
The account is named by its public subject, the ``sub`` the store's apps already know.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from entryway.core.events import AuditAction


class SecurityEvent(enum.StrEnum):
    SIGN_IN_SUCCEEDED = "sign_in.succeeded"  # from a device new to the account
    SIGN_IN_FAILED = "sign_in.failed"  # from a device new to the account
    ACCOUNT_LOCKED = "account.locked"
    ACCOUNT_UNLOCKED = "account.unlocked"
    PASSWORD_RESET = "password.reset"  # noqa: S105 (an event name)
    PASSWORD_CHANGED = "password.changed"  # noqa: S105 (an event name)
    TWO_STEP_CHANGED = "two_step.changed"  # turned on or off, a method or passkey added...
    CONTACT_CHANGED = "contact.changed"  # the email or the phone
    RECOVERY_OPENED = "recovery.opened"  # an identity check opened a recovery
    RECOVERY_CANCELLED = "recovery.cancelled"
    RECOVERY_COMPLETED = "recovery.completed"
    ACCOUNT_SUSPENDED = "account.suspended"
    ACCOUNT_REINSTATED = "account.reinstated"
    APPEAL_DECIDED = "appeal.decided"
    CASE_OPENED = "case.opened"
    ACCOUNT_CLOSED = "account.closed"  # by its owner: erased after the grace period
    ACCOUNT_REOPENED = "account.reopened"  # by Customer Service, within the grace period
    ACCOUNT_ERASED = "account.erased"  # the grace period ended: the store may erase its copy


ALL = "*"  # a subscription to every event

EVENTS: Mapping[AuditAction, SecurityEvent] = {
    AuditAction.SIGN_IN_SUCCEEDED: SecurityEvent.SIGN_IN_SUCCEEDED,
    AuditAction.SIGN_IN_FAILED: SecurityEvent.SIGN_IN_FAILED,
    # A wrong code after a right password: the strongest sign of a takeover, told always.
    AuditAction.SECOND_STEP_FAILED: SecurityEvent.SIGN_IN_FAILED,
    AuditAction.UNUSUAL_SIGN_IN_FAILED: SecurityEvent.SIGN_IN_FAILED,
    AuditAction.ACCOUNT_LOCKED: SecurityEvent.ACCOUNT_LOCKED,
    AuditAction.ACCOUNT_UNLOCKED: SecurityEvent.ACCOUNT_UNLOCKED,
    AuditAction.PASSWORD_RESET: SecurityEvent.PASSWORD_RESET,
    AuditAction.PASSWORD_CHANGED: SecurityEvent.PASSWORD_CHANGED,
    AuditAction.TWO_STEP_ON: SecurityEvent.TWO_STEP_CHANGED,
    AuditAction.TWO_STEP_OFF: SecurityEvent.TWO_STEP_CHANGED,
    AuditAction.FACTOR_ADDED: SecurityEvent.TWO_STEP_CHANGED,
    AuditAction.FACTOR_REMOVED: SecurityEvent.TWO_STEP_CHANGED,
    AuditAction.BACKUP_CODES_NEW: SecurityEvent.TWO_STEP_CHANGED,
    AuditAction.PASSKEY_ADDED: SecurityEvent.TWO_STEP_CHANGED,
    AuditAction.PASSKEY_REMOVED: SecurityEvent.TWO_STEP_CHANGED,
    AuditAction.PASSKEY_CLONE_SUSPECTED: SecurityEvent.TWO_STEP_CHANGED,  # turned off
    AuditAction.EMAIL_CHANGED: SecurityEvent.CONTACT_CHANGED,
    AuditAction.PHONE_CHANGED: SecurityEvent.CONTACT_CHANGED,
    AuditAction.RECOVERY_WAITING: SecurityEvent.RECOVERY_OPENED,
    AuditAction.RECOVERY_REVIEW: SecurityEvent.RECOVERY_OPENED,
    AuditAction.RECOVERY_CANCELLED: SecurityEvent.RECOVERY_CANCELLED,
    # A recovery that ends without completing, however it ends.
    AuditAction.RECOVERY_DECLINED: SecurityEvent.RECOVERY_CANCELLED,
    AuditAction.RECOVERY_REFUSED: SecurityEvent.RECOVERY_CANCELLED,
    AuditAction.RECOVERY_EXPIRED: SecurityEvent.RECOVERY_CANCELLED,
    AuditAction.RECOVERY_COMPLETED: SecurityEvent.RECOVERY_COMPLETED,
    AuditAction.ACCOUNT_SUSPENDED: SecurityEvent.ACCOUNT_SUSPENDED,
    AuditAction.SUSPENSION_LIFTED: SecurityEvent.ACCOUNT_REINSTATED,
    AuditAction.APPEAL_UPHELD: SecurityEvent.APPEAL_DECIDED,
    AuditAction.APPEAL_REINSTATED: SecurityEvent.APPEAL_DECIDED,
    AuditAction.SUPPORT_CASE_OPENED: SecurityEvent.CASE_OPENED,
    AuditAction.APPEAL_OPENED: SecurityEvent.CASE_OPENED,  # an appeal is a case of its own
    AuditAction.ACCOUNT_CLOSED: SecurityEvent.ACCOUNT_CLOSED,
    AuditAction.AGENT_ACCOUNT_REOPENED: SecurityEvent.ACCOUNT_REOPENED,
    AuditAction.ACCOUNT_ERASED: SecurityEvent.ACCOUNT_ERASED,
}

# Sign-ins are reported only from a device new to the account: the usual sign-ins of the
# usual devices would drown what a fraud system looks for. A wrong code after a right
# password is reported from any device.
DEVICE_EVENTS = frozenset({SecurityEvent.SIGN_IN_SUCCEEDED, SecurityEvent.SIGN_IN_FAILED})
DEVICE_ACTIONS = frozenset({AuditAction.SIGN_IN_SUCCEEDED, AuditAction.SIGN_IN_FAILED})
# A row whose detail names ``staff``, or a ``by`` (a staff id, "cli", a token), was written
# by our side: its address is the staff member's, which is not shared (``by_staff``).
# A ``by`` that names none of our staff: the service itself did it, on a schedule.
SYSTEM = "housekeeping"
# A ``by`` that says how the customer did it (a recovery stopped by their own sign-in, by
# This wasn't me or by closing the account), not who on our side.
CUSTOMER_WAYS = frozenset({"sign_in", "link", "closed"})
# What each event passes on of its audit row's detail: closed values and our own ids only.
# Everything else (a staff member's written reason, an agent's id) stays in the audit log.
SHARED_DETAIL: Mapping[SecurityEvent, tuple[str, ...]] = {
    SecurityEvent.SIGN_IN_SUCCEEDED: ("via", "new_device", "remember"),
    SecurityEvent.SIGN_IN_FAILED: ("via", "new_device"),
    SecurityEvent.ACCOUNT_LOCKED: ("reason",),  # core.lockout.LockReason
    SecurityEvent.RECOVERY_OPENED: ("recovery",),
    SecurityEvent.RECOVERY_CANCELLED: ("recovery",),
    SecurityEvent.RECOVERY_COMPLETED: ("recovery",),
    SecurityEvent.ACCOUNT_SUSPENDED: ("suspension", "reason"),  # the ground's code
    SecurityEvent.ACCOUNT_REINSTATED: ("suspension",),
    SecurityEvent.APPEAL_DECIDED: ("suspension", "appeal"),
    SecurityEvent.CASE_OPENED: ("case", "appeal"),
    SecurityEvent.ACCOUNT_CLOSED: ("erase_after",),  # the day it will be erased, ISO 8601
}
NOT_SIGN_INS = frozenset({"registration"})  # a new account signing itself in: not a sign-in


@dataclass(frozen=True, slots=True)
class Subscription:
    """One receiver: every event in ``events`` (or all of them, ``*``) is posted to ``url``."""

    url: str
    events: frozenset[str]

    def wants(self, event: SecurityEvent) -> bool:
        return ALL in self.events or event.value in self.events


def event_for(action: AuditAction, detail: Mapping[str, Any]) -> SecurityEvent | None:
    """The event an audit row stands for, if any."""
    event = EVENTS.get(action)
    if action in DEVICE_ACTIONS and (
        detail.get("new_device") is not True or detail.get("via") in NOT_SIGN_INS
    ):
        return None
    return event


def needs_account(event: SecurityEvent) -> bool:
    """Sign-in events are about an account: a failure for an unknown identifier is none."""
    return event in DEVICE_EVENTS


def by_staff(detail: Mapping[str, Any]) -> bool:
    """The row says our staff (or an operator's command) did it: its address is theirs."""
    return "staff" in detail or ("by" in detail and detail["by"] not in CUSTOMER_WAYS)


def payload(
    event: SecurityEvent,
    *,
    site: str,
    subject: str | None,
    action: AuditAction,
    at: datetime,
    ip: str,
    detail: Mapping[str, Any],
) -> dict[str, Any]:
    """The JSON body of one event (the Standard Webhooks shape: type, timestamp, data)."""
    by_system = detail.get("by") == SYSTEM
    staff = by_staff(detail)
    data: dict[str, Any] = {
        "site": site,
        "subject": subject,  # None: no account (a case opened signed out, an unknown identifier)
        "action": action.value,
        "ip": "" if staff else ip,  # a staff member's address is not the customer's
        "by": "system" if by_system else "staff" if staff else "customer",
    }
    data.update({key: detail[key] for key in SHARED_DETAIL.get(event, ()) if key in detail})
    return {"type": event.value, "timestamp": at.isoformat(), "data": data}


def event_names() -> list[str]:
    return [event.value for event in SecurityEvent]
