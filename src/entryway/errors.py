"""The errors Entryway raises on purpose, each with a stable ``code``.

Codes are API: they are returned to clients and never renamed.

```
EntrywayError
├── InvalidInput            bad_request          input that no flow accepts (field + reason)
│   ├── InvalidIdentifier   invalid_identifier   not an email address or a mobile number
│   ├── PasswordRejected    password_rejected    password policy says no (reasons)
│   └── AnswersRejected     bad_request          verification answers refused (a problem per field)
├── Unauthenticated         unauthenticated      no valid session for this request
├── SignInFailed            sign_in_failed       identifier/password pair not accepted (generic)
│   ├── SignInLocked        account_locked       locked for unusual activity (no password checked)
│   └── SignInThrottled     sign_in_throttled    too soon after failures, or a busy network
├── CodeRejected            code_rejected        one-time code wrong, expired or used up
├── AgentQuotaReached       agent_quota_reached  an agent sent too many codes today (to one
│                                                customer, or in all): a message for staff
├── FlowExpired             flow_expired         the multi-step flow is unknown, finished or expired
├── NotFound                not_found            nothing of that id on this site
├── Conflict                conflict             a unique identifier is already taken (internal)
├── ContactTaken            contact_taken        a recovery's new contact now belongs to another
│                                                account on the site: the recovery cannot finish
├── ContactsOnHold          contacts_on_hold     no email or phone change until ``until`` (the
│                                                hold after a recovery, SECURITY.md 35)
├── AccountSuspended        account_suspended    a right password (and second step) met a
│                                                suspension: ``notice_token`` shows the notice
├── Forbidden               forbidden            CSRF or another guard refused the request
└── UnknownSite             unknown_site         the Host header names no configured site
```
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime


class EntrywayError(Exception):
    """Base of every deliberate error; ``code`` is stable, ``message`` is for people.

    ``message`` is written in English, the catalog's source language; with ``params`` it is
    a ``str.format`` template (``"Use at most {limit} characters."``) filled in. The web
    layer shows ``said(gettext)``: the template translated first, then filled in, so each
    language gets one catalog entry per sentence, whatever the numbers."""

    code = "error"
    status = 400

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        params: dict[str, object] | None = None,
    ) -> None:
        self.template = message
        self.params = dict(params or {})
        self.message = message.format(**self.params) if params else message
        super().__init__(self.message)
        self.field = field

    def said(self, gettext: Callable[[str], str]) -> str:
        """The message in the reader's language (``gettext`` of their catalog)."""
        translated = gettext(self.template)
        return translated.format(**self.params) if self.params else translated


class InvalidInput(EntrywayError):
    code = "bad_request"
    status = 422


class InvalidIdentifier(InvalidInput):
    code = "invalid_identifier"


class PasswordRejected(InvalidInput):
    code = "password_rejected"

    def __init__(self, reasons: list[str], *, field: str = "password") -> None:
        super().__init__(" ".join(reasons), field=field)
        self.reasons = reasons

    def said(self, gettext: Callable[[str], str]) -> str:
        return " ".join(gettext(reason) for reason in self.reasons)


class AnswersRejected(InvalidInput):
    """Verification answers refused: ``problems`` maps each field at fault to its reason."""

    def __init__(self, problems: dict[str, str]) -> None:
        first = next(iter(problems))
        super().__init__(problems[first], field=first)
        self.problems = problems


class Unauthenticated(EntrywayError):
    code = "unauthenticated"
    status = 401


class SignInFailed(EntrywayError):
    code = "sign_in_failed"
    status = 401


class SignInLocked(SignInFailed):
    """Refused before any password check, so it says nothing about the password typed."""

    code = "account_locked"
    status = 423


class SignInThrottled(SignInFailed):
    code = "sign_in_throttled"
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class CodeRejected(EntrywayError):
    code = "code_rejected"
    status = 422


class AgentQuotaReached(EntrywayError):
    """An agent's own sending quota, per customer or per staff member: its message is written
    for staff, and the console shows it beside the tool used."""

    code = "agent_quota_reached"
    status = 429


class FlowExpired(EntrywayError):
    code = "flow_expired"
    status = 410


class NotFound(EntrywayError):
    code = "not_found"
    status = 404


class Conflict(EntrywayError):
    code = "conflict"
    status = 409


class ContactTaken(EntrywayError):
    """A recovery's new email or phone was taken by another account since it was proven:
    nothing changes, and the recovery stays as it was."""

    code = "contact_taken"
    status = 409


class ContactsOnHold(EntrywayError):
    """A contact change refused while the hold after a completed recovery lasts; ``until``
    is when it lifts, so an app can say so in its own words."""

    code = "contacts_on_hold"
    status = 409

    def __init__(self, message: str, *, until: datetime, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.until = until


class AccountSuspended(EntrywayError):
    """Raised only after the password (and second step, when on) were right, never before
    (SECURITY.md 36). ``notice_token`` opens the notice for a short while: it can show the
    statement of reasons and take an appeal, nothing else."""

    code = "account_suspended"
    status = 403

    def __init__(self, message: str, *, notice_token: str) -> None:
        super().__init__(message)
        self.notice_token = notice_token


class Forbidden(EntrywayError):
    code = "forbidden"
    status = 403


class UnknownSite(EntrywayError):
    code = "unknown_site"
    status = 400
