"""Stable names that are stored and returned: never rename a value, only add."""

from __future__ import annotations

import enum

from entryway.core.locales import N_


class AccountStatus(enum.StrEnum):
    """Account states.

    ```mermaid
    stateDiagram-v2
        [*] --> unverified: create account
        unverified --> active: one-time code entered
        unverified --> unverified: registered again (new code, old one void)
        active --> closed: Close your account (fresh password, then a code)
        closed --> active: reopened by Customer Service within the grace period
        closed --> [*]: erased once the grace period ends (housekeeping)
    ```
    """

    UNVERIFIED = "unverified"
    ACTIVE = "active"
    CLOSED = "closed"  # no sign-in, no recovery; erased after the grace period


class AuditAction(enum.StrEnum):
    ACCOUNT_CREATED = "account.created"
    ACCOUNT_VERIFIED = "account.verified"
    SIGN_IN_SUCCEEDED = "sign_in.succeeded"
    SIGN_IN_FAILED = "sign_in.failed"
    SIGNED_OUT = "session.signed_out"
    SESSION_ENDED = "session.ended"
    SESSIONS_ENDED_ALL = "session.ended_all"
    NAME_CHANGED = "account.name_changed"
    LANGUAGE_CHANGED = "account.language_changed"  # the language of its emails and texts
    PASSWORD_CHANGED = "account.password_changed"  # noqa: S105 (an event name)
    EMAIL_CHANGE_STARTED = "contact.email_change_started"
    EMAIL_CHANGED = "contact.email_changed"
    PHONE_CHANGE_STARTED = "contact.phone_change_started"
    PHONE_CHANGED = "contact.phone_changed"
    PASSWORD_RESET_STARTED = "password.reset_started"  # noqa: S105 (an event name)
    PASSWORD_RESET = "password.reset"  # noqa: S105 (an event name)
    SECOND_STEP_PENDING = "sign_in.second_step_pending"
    SECOND_STEP_FAILED = "sign_in.second_step_failed"
    TWO_STEP_ON = "two_step.turned_on"
    TWO_STEP_OFF = "two_step.turned_off"
    FACTOR_ADDED = "two_step.method_added"
    FACTOR_REMOVED = "two_step.method_removed"
    BACKUP_CODES_NEW = "two_step.backup_codes_replaced"
    BACKUP_CODE_USED = "two_step.backup_code_used"
    REAUTHENTICATED = "session.reauthenticated"
    REAUTHENTICATION_FAILED = "session.reauthentication_failed"
    PREFERRED_CHANGED = "two_step.preferred_changed"
    BROWSERS_FORGOTTEN = "two_step.browsers_forgotten"
    SUPPORT_CASE_OPENED = "support.case_opened"
    ACCOUNT_LOCKED = "account.locked"
    ACCOUNT_UNLOCKED = "account.unlocked"
    UNLOCK_STARTED = "account.unlock_started"
    UNUSUAL_SIGN_IN_CHALLENGED = "sign_in.unusual_challenged"
    UNUSUAL_SIGN_IN_PASSED = "sign_in.unusual_passed"
    UNUSUAL_SIGN_IN_FAILED = "sign_in.unusual_failed"
    # Support cases (opening one is SUPPORT_CASE_OPENED above) and what agents do on them;
    # agents' rows carry staff, case number and reason in their detail.
    CASE_REPLIED = "case.replied"  # by the customer
    CASE_VERIFIED = "case.verified"  # Verify it's you passed: the case is linked
    AGENT_REPLIED = "agent.replied"
    AGENT_CONTACT_REVEALED = "agent.contact_revealed"
    AGENT_VERIFICATION_SENT = "agent.verification_sent"
    AGENT_RESET_SENT = "agent.reset_sent"
    AGENT_UNLOCK_SENT = "agent.unlock_sent"
    AGENT_LOCK_LIFTED = "agent.lock_lifted"
    AGENT_SIGNED_OUT_EVERYWHERE = "agent.signed_out_everywhere"
    QUESTIONS_SET = "account.questions_set"  # verification questions set or changed
    # The identity check and the recovery it may open (core/recovery.py); detail carries the
    # recovery id and, for staff decisions, the staff id, case number and reason.
    IDENTITY_CHECKED = "recovery.identity_checked"  # a check was finished, any outcome
    RECOVERY_WAITING = "recovery.waiting"  # the waiting period started
    RECOVERY_REVIEW = "recovery.review"  # sent to a reviewer
    RECOVERY_REFUSED = "recovery.refused"  # could not be verified
    RECOVERY_APPROVED = "recovery.approved"  # by a reviewer
    RECOVERY_DECLINED = "recovery.declined"  # by a reviewer
    RECOVERY_CANCELLED = "recovery.cancelled"  # This wasn't me, or the owner signed in
    RECOVERY_READY = "recovery.ready"  # the wait is over, the finish link went out
    RECOVERY_COMPLETED = "recovery.completed"  # new password, new contact
    RECOVERY_EXPIRED = "recovery.expired"  # the finish link was not used in time
    # Suspensions, warnings and appeals (core/suspension.py); detail carries the
    # suspension id, the reason code and who acted (staff id, "cli", or a token's name).
    ACCOUNT_SUSPENDED = "trust.suspended"
    ACCOUNT_WARNED = "trust.warned"
    SUSPENSION_LIFTED = "trust.lifted"  # reinstated on appeal, or lifted by trust staff
    SIGN_IN_SUSPENDED = "sign_in.suspended"  # a right password met a suspension
    APPEAL_OPENED = "trust.appeal_opened"
    APPEAL_UPHELD = "trust.appeal_upheld"
    APPEAL_REINSTATED = "trust.appeal_reinstated"
    APP_AUTHORIZED = "app.authorized"  # a code issued to one of the store's apps
    APP_CONSENTED = "app.consented"  # the customer allowed a third-party app
    APP_GRANT_REVOKED = "app.grant_revoked"  # an app's tokens stopped (revocation, logout)
    APP_TOKEN_REUSED = "app.token_reused"  # noqa: S105 (a code or a rotated refresh token came back)
    APP_SIGNED_OUT = "app.signed_out"  # RP-initiated logout ended the session
    PASSKEY_ADDED = "passkey.added"
    PASSKEY_REMOVED = "passkey.removed"
    PASSKEY_RENAMED = "passkey.renamed"
    PASSKEY_CLONE_SUSPECTED = "passkey.clone_suspected"  # its counter went back: refused
    DATA_EXPORTED = "account.data_exported"  # Download your data
    ACCOUNT_CLOSE_STARTED = "account.close_started"  # password given, a code sent
    ACCOUNT_CLOSED = "account.closed"  # the code entered: closed, erased after the grace
    SIGN_IN_CLOSED = "sign_in.closed"  # a right password met a closed account
    AGENT_ACCOUNT_REOPENED = "agent.account_reopened"  # within the grace period, on a case
    ACCOUNT_ERASED = "account.erased"  # the grace period ended: every other row is gone


ACTIVITY_LABELS: dict[AuditAction, str] = {
    AuditAction.ACCOUNT_CREATED: N_("Account created"),
    AuditAction.ACCOUNT_VERIFIED: N_("Account verified"),
    AuditAction.SIGN_IN_SUCCEEDED: N_("Signed in"),
    AuditAction.SIGN_IN_FAILED: N_("Failed sign-in attempt"),
    AuditAction.SIGNED_OUT: N_("Signed out"),
    AuditAction.SESSION_ENDED: N_("Signed out a device"),
    AuditAction.SESSIONS_ENDED_ALL: N_("Signed out everywhere"),
    AuditAction.NAME_CHANGED: N_("Name changed"),
    AuditAction.PASSWORD_CHANGED: N_("Password changed"),
    AuditAction.EMAIL_CHANGE_STARTED: N_("Email change requested"),
    AuditAction.EMAIL_CHANGED: N_("Email changed"),
    AuditAction.PHONE_CHANGE_STARTED: N_("Mobile number change requested"),
    AuditAction.PHONE_CHANGED: N_("Mobile number changed"),
    AuditAction.PASSWORD_RESET_STARTED: N_("Password reset requested"),
    AuditAction.PASSWORD_RESET: N_("Password reset"),
    AuditAction.SECOND_STEP_PENDING: N_("Password entered, two-step verification pending"),
    AuditAction.SECOND_STEP_FAILED: N_("Wrong two-step verification code"),
    AuditAction.TWO_STEP_ON: N_("Two-step verification turned on"),
    AuditAction.TWO_STEP_OFF: N_("Two-step verification turned off"),
    AuditAction.FACTOR_ADDED: N_("Two-step verification method added"),
    AuditAction.FACTOR_REMOVED: N_("Two-step verification method removed"),
    AuditAction.BACKUP_CODES_NEW: N_("New backup codes"),
    AuditAction.BACKUP_CODE_USED: N_("Backup code used"),
    AuditAction.REAUTHENTICATED: N_("Password confirmed"),
    AuditAction.REAUTHENTICATION_FAILED: N_("Wrong password when confirming it"),
    AuditAction.PREFERRED_CHANGED: N_("Preferred two-step method changed"),
    AuditAction.BROWSERS_FORGOTTEN: N_("Remembered browsers forgotten"),
    AuditAction.PASSKEY_ADDED: N_("Passkey added"),
    AuditAction.PASSKEY_REMOVED: N_("Passkey removed"),
    AuditAction.PASSKEY_RENAMED: N_("Passkey renamed"),
    AuditAction.PASSKEY_CLONE_SUSPECTED: N_("Passkey refused: it may have been copied"),
    AuditAction.DATA_EXPORTED: N_("Your data downloaded"),
    AuditAction.ACCOUNT_CLOSE_STARTED: N_("Closing the account: code sent"),
    AuditAction.ACCOUNT_CLOSED: N_("Account closed"),
    AuditAction.SIGN_IN_CLOSED: N_("Sign-in refused: the account is closed"),
    AuditAction.AGENT_ACCOUNT_REOPENED: N_("Customer Service reopened the account"),
    AuditAction.ACCOUNT_ERASED: N_("Account erased"),
    AuditAction.SUPPORT_CASE_OPENED: N_("Customer Service contacted"),
    AuditAction.ACCOUNT_LOCKED: N_("Account locked after unusual activity"),
    AuditAction.ACCOUNT_UNLOCKED: N_("Account unlocked"),
    AuditAction.UNLOCK_STARTED: N_("Unlock link opened"),
    AuditAction.UNUSUAL_SIGN_IN_CHALLENGED: N_("Unusual sign-in: code requested"),
    AuditAction.UNUSUAL_SIGN_IN_PASSED: N_("Unusual sign-in confirmed with a code"),
    AuditAction.UNUSUAL_SIGN_IN_FAILED: N_("Unusual sign-in: wrong code"),
    AuditAction.CASE_REPLIED: N_("You replied to a Customer Service case"),
    AuditAction.CASE_VERIFIED: N_("Confirmed it's you to Customer Service"),
    AuditAction.AGENT_REPLIED: N_("Customer Service replied to your case"),
    AuditAction.AGENT_CONTACT_REVEALED: N_("Customer Service viewed a contact"),
    AuditAction.AGENT_VERIFICATION_SENT: N_("Customer Service sent a code to confirm it's you"),
    AuditAction.AGENT_RESET_SENT: N_("Customer Service sent a password reset code"),
    AuditAction.AGENT_UNLOCK_SENT: N_("Customer Service sent an unlock link"),
    AuditAction.AGENT_LOCK_LIFTED: N_("Customer Service unlocked the account"),
    AuditAction.AGENT_SIGNED_OUT_EVERYWHERE: N_("Customer Service signed you out everywhere"),
    AuditAction.QUESTIONS_SET: N_("Verification questions set"),
    AuditAction.IDENTITY_CHECKED: N_("Someone asked to recover your account"),
    AuditAction.RECOVERY_WAITING: N_("Account recovery: waiting period started"),
    AuditAction.RECOVERY_REVIEW: N_("Account recovery: sent for review"),
    AuditAction.RECOVERY_REFUSED: N_("Account recovery: could not be verified"),
    AuditAction.RECOVERY_APPROVED: N_("Account recovery: approved by Customer Service"),
    AuditAction.RECOVERY_DECLINED: N_("Account recovery: declined by Customer Service"),
    AuditAction.RECOVERY_CANCELLED: N_("Account recovery cancelled"),
    AuditAction.RECOVERY_READY: N_("Account recovery: ready to finish"),
    AuditAction.RECOVERY_COMPLETED: N_("Account recovered with a new email or phone"),
    AuditAction.RECOVERY_EXPIRED: N_("Account recovery expired unfinished"),
    AuditAction.ACCOUNT_SUSPENDED: N_("Account suspended"),
    AuditAction.ACCOUNT_WARNED: N_("Formal warning sent"),
    AuditAction.SUSPENSION_LIFTED: N_("Suspension lifted"),
    AuditAction.SIGN_IN_SUSPENDED: N_("Sign-in refused: the account is suspended"),
    AuditAction.APPEAL_OPENED: N_("Appeal sent"),
    AuditAction.APPEAL_UPHELD: N_("Appeal decided: suspension upheld"),
    AuditAction.APPEAL_REINSTATED: N_("Appeal decided: account reinstated"),
    AuditAction.LANGUAGE_CHANGED: N_("Language changed"),
}


class Channel(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"
    VOICE = "voice"
    APP = "app"  # a logout token POSTed to an app (never in the Message Center)
    WEBHOOK = "webhook"  # a security event POSTed to the store (never in the Message Center)


class MessageKind(enum.StrEnum):
    VERIFY_ACCOUNT = "verify_account"
    ALREADY_REGISTERED = "already_registered"
    WRONG_SITE = "wrong_site"
    VERIFY_CONTACT = "verify_contact"
    CONTACT_CHANGED = "contact_changed"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 (a message kind)
    RESET_CODE = "reset_code"
    TWO_STEP_CHANGED = "two_step_changed"
    PASSKEY_CHANGED = "passkey_changed"
    TWO_STEP_CODE = "two_step_code"
    SUPPORT_CASE = "support_case"
    SECOND_STEP_FAILED = "second_step_failed"
    RESET_UNKNOWN = "reset_unknown"
    RESET_CLOSED = "reset_closed"  # a reset asked for a closed account: no code, and why
    ACCOUNT_LOCKED = "account_locked"
    ACCOUNT_UNLOCKED = "account_unlocked"
    UNUSUAL_SIGN_IN_CODE = "unusual_sign_in_code"
    UNUSUAL_SIGN_IN = "unusual_sign_in"
    UNLOCK_CODE = "unlock_code"  # the code that confirms it's you before an unlock
    CASE_REPLY = "case_reply"  # an agent's reply, with the View your case link
    CASE_CODE = "case_code"  # Verify it's you: a code and no link
    AGENT_ACTION = "agent_action"  # a notice of what an agent did on the account
    QUESTIONS_CHANGED = "questions_changed"  # verification questions set or changed
    # Identity check and recovery. To the new contact: the code that proves it, the answer
    # (a date, or "we could not verify it"), and the finish link; to the old contacts: each
    # notice with This wasn't me, and what became of the recovery.
    RECOVERY_CODE = "recovery_code"
    RECOVERY_RECEIVED = "recovery_received"  # new contact: we will write again
    RECOVERY_SCHEDULED = "recovery_scheduled"  # new contact: it can complete on a date
    RECOVERY_UNVERIFIED = "recovery_unverified"  # new contact: we could not verify it
    RECOVERY_FINISH = "recovery_finish"  # new contact: Finish recovering your account
    RECOVERY_NOTICE = "recovery_notice"  # old contacts: a recovery is under way; This wasn't me
    RECOVERY_ENDED = "recovery_ended"  # cancelled, declined, expired or completed
    # Suspensions: the statement of reasons (with Appeal this decision when it allows one),
    # a formal warning, an appeal received, its decision, and a suspension lifted.
    SUSPENSION_NOTICE = "suspension_notice"
    WARNING_NOTICE = "warning_notice"
    APPEAL_RECEIVED = "appeal_received"
    APPEAL_DECIDED = "appeal_decided"
    SUSPENSION_LIFTED = "suspension_lifted"
    BACKCHANNEL_LOGOUT = "backchannel_logout"  # to an app, not to the customer
    CLOSE_CODE = "close_code"  # the code that confirms Close your account
    ACCOUNT_CLOSED = "account_closed"  # to every contact: closed, and until when it can reopen
    SECURITY_EVENT = "security_event"  # a webhook to the store, not to the customer


class FlowPurpose(enum.StrEnum):
    """What a server-side flow state may be used for; a state for one purpose is refused
    by every other (SECURITY.md 28, links bound to purpose)."""

    REGISTRATION = "registration"
    CHANGE_EMAIL = "change_email"
    CHANGE_PHONE = "change_phone"
    PASSWORD_RESET = "password_reset"  # noqa: S105 (a flow name)
    TWO_STEP_PHONE = "two_step_phone"  # confirming a phone as a second step
    TWO_STEP_SIGN_IN = "two_step_sign_in"  # a code by SMS or voice at the challenge
    UNLOCK = "unlock"  # identity check after an unlock link, then a new password
    UNUSUAL_SIGN_IN = "unusual_sign_in"  # a code that confirms a right password
    CASE_VERIFY = "case_verify"  # Verify it's you, asked by an agent on a support case
    IDENTITY_CHECK = "identity_check"  # Verify your identity, then a code to the new contact
    RECOVERY_CANCEL = "recovery_cancel"  # This wasn't me (a link to the old contacts)
    RECOVERY_FINISH = "recovery_finish"  # Finish recovering your account (the new contact)
    CLOSE_ACCOUNT = "close_account"  # the code that confirms Close your account
    SUSPENSION_NOTICE = "suspension_notice"  # the emailed notice link (appeal window), and
    # the view it opens, or a right password's view of the notice: each can only show the
    # notice and take an appeal


class MessageStatus(enum.StrEnum):
    """Outbox states.

    ```mermaid
    stateDiagram-v2
        [*] --> pending: written with its cause
        pending --> sent: provider accepted
        pending --> pending: provider failed (retry with backoff)
        pending --> failed: gave up after the retry window
    ```
    """

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
