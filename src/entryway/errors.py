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
├── AccountClosed           account_closed       a right password met an account its owner
│                                                closed: ``until`` is when it is erased
├── Forbidden               forbidden            CSRF or another guard refused the request
└── UnknownSite             unknown_site         the Host header names no configured site
```
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

Gettext = Callable[[str], str]
MomentWriter = Callable[[datetime], str]


class Said(str):
    """An English sentence that remembers its ``str.format`` template and values, so that
    it can be said again in another language (a password reason such as "Use at least
    {n} characters."). It is the English text itself, so it compares and joins as one."""

    template: str
    params: dict[str, object]

    def __new__(cls, template: str, **params: object) -> Said:
        said = super().__new__(cls, template.format(**params) if params else template)
        said.template = template
        said.params = params
        return said

    def again(self, gettext: Gettext, moment: MomentWriter | None = None) -> str:
        """This sentence in the reader's language."""
        return fill(gettext(self.template), self.params, moment)


class Moment:
    """A point in time inside a message: as the flow wrote it in English (in the site's
    time zone), and the time itself, so each reader's locale can write it its own way."""

    __slots__ = ("at", "english")

    def __init__(self, at: datetime, english: str) -> None:
        self.at = at
        self.english = english

    def __format__(self, spec: str) -> str:
        return self.english

    def __str__(self) -> str:
        return self.english


def fill(template: str, params: Mapping[str, object], moment: MomentWriter | None = None) -> str:
    """``template`` with its values in; a ``Moment`` is written by ``moment`` when given
    (the reader's locale), else in the English the flow gave it."""
    if not params:
        return template
    if moment is not None:
        params = {k: moment(v.at) if isinstance(v, Moment) else v for k, v in params.items()}
    return template.format(**params)


def said_in(message: str, gettext: Gettext, moment: MomentWriter | None = None) -> str:
    """A sentence that may be a ``Said`` (template and values) or plain text, translated."""
    if isinstance(message, Said):
        return message.again(gettext, moment)
    return gettext(message)


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

    def said(self, gettext: Gettext, moment: MomentWriter | None = None) -> str:
        """The message in the reader's language (``gettext`` of their catalog; ``moment``
        writes a time in their locale)."""
        return fill(gettext(self.template), self.params, moment)

    def sentence(self) -> Said:
        """The message as a ``Said``, for an error that becomes a reason of another."""
        return Said(self.template, **self.params)


class InvalidInput(EntrywayError):
    code = "bad_request"
    status = 422


class InvalidIdentifier(InvalidInput):
    code = "invalid_identifier"


class PasswordRejected(InvalidInput):
    code = "password_rejected"

    def __init__(self, reasons: list[str], *, field: str = "password") -> None:
        """``reasons`` are English sentences; one with a number in it is a ``Said``, so
        each reader gets it translated with the number filled in afterwards."""
        super().__init__(" ".join(reasons), field=field)
        self.reasons = reasons

    def said(self, gettext: Gettext, moment: MomentWriter | None = None) -> str:
        return " ".join(said_in(reason, gettext, moment) for reason in self.reasons)


class AnswersRejected(InvalidInput):
    """Verification answers refused: ``problems`` maps each field at fault to its reason."""

    def __init__(self, problems: dict[str, str]) -> None:
        first = next(iter(problems))
        super().__init__(problems[first], field=first)
        self.problems = problems

    def said(self, gettext: Gettext, moment: MomentWriter | None = None) -> str:
        return said_in(self.problems[self.field or ""], gettext, moment)

    def said_each(self, gettext: Gettext) -> dict[str, str]:
        """Every field's reason in the reader's language."""
        return {name: said_in(why, gettext) for name, why in self.problems.items()}


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

    def __init__(
        self, message: str, *, retry_after: int, params: dict[str, object] | None = None
    ) -> None:
        super().__init__(message, params=params)
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

    def __init__(
        self,
        message: str,
        *,
        until: datetime,
        field: str | None = None,
        params: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message, field=field, params=params)
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


class AccountClosed(EntrywayError):
    """Raised only after the password (or passkey) was right, never before, as for a
    suspension (SECURITY.md 36): Customer Service can reopen it until ``until``."""

    code = "account_closed"
    status = 403

    def __init__(
        self, message: str, *, until: datetime, params: dict[str, object] | None = None
    ) -> None:
        super().__init__(message, params=params)
        self.until = until


class Forbidden(EntrywayError):
    code = "forbidden"
    status = 403


class UnknownSite(EntrywayError):
    code = "unknown_site"
    status = 400
