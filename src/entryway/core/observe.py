"""The label values metrics may carry: a closed set each, never an identifier, an address or
an account id (SECURITY.md 42), so a metric's series stay few whatever the traffic."""

from __future__ import annotations

import enum


class SignInOutcome(enum.StrEnum):
    """How a sign-in attempt ended, as the metric ``entryway_sign_ins_total`` counts it."""

    SUCCESS = "success"  # a full session
    FAILED = "failed"  # wrong password, unknown identifier, bad passkey assertion
    LOCKED = "locked"  # refused: the account is locked
    THROTTLED = "throttled"  # refused: too soon after failures, or a busy address
    SECOND_STEP = "second_step"  # right password, two-step verification pending
    UNUSUAL = "unusual"  # right password, a code sent to confirm an unusual sign-in
    UNVERIFIED = "unverified"  # right password, the account was never verified
    SUSPENDED = "suspended"  # right password, a suspension's notice instead of a session
    CLOSED = "closed"  # right password or passkey, but its owner closed the account


class SignInMethod(enum.StrEnum):
    """What the attempt offered: a first step, or the step that finishes one."""

    PASSWORD = "password"  # noqa: S105 (a label value)
    PASSKEY = "passkey"
    SECOND_STEP = "second_step"  # an app, phone or backup code, or a passkey, after a password
    CONFIRM_CODE = "confirm_code"  # the code that confirms an unusual sign-in


class DeliveryResult(enum.StrEnum):
    """What one delivery attempt of an outbox message came to."""

    SENT = "sent"  # the provider accepted it
    RETRY = "retry"  # it failed and will be tried again
    GAVE_UP = "gave_up"  # it failed for the last time


UNMATCHED_ROUTE = "unmatched"  # a request no route answered (404s of any path)
