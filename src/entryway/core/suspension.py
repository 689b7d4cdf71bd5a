"""Suspension reasons: the store's catalog of grounds for suspending an account.

Each reason carries what a statement of reasons needs from the store's side (EU Digital
Services Act, Art. 17(3)): the ground (a title and an explanation in words a customer
reads) and the contractual clause it rests on (the terms section), and whether and for how
long the customer may appeal (Art. 20(1): at least six months, so 180 days by default).
The facts, the duration and whether automated means were used belong to each suspension.
Codes are stored with every suspension: add codes, never rename or reuse one.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from entryway.core.locales import N_

REASON_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
DEFAULT_APPEAL_DAYS = 180  # DSA Art. 20(1): complaints possible for at least six months
MAX_TITLE = 100
MAX_EXPLANATION = 1000


@dataclass(frozen=True, slots=True)
class SuspensionReason:
    """One ground for suspending: ``code`` is stable; the rest is shown to the customer."""

    code: str
    title: str
    explanation: str
    terms_section: str  # the clause of the store's terms it rests on, e.g. "4.2"
    appealable: bool = True
    appeal_days: int = DEFAULT_APPEAL_DAYS

    def __post_init__(self) -> None:
        if not REASON_CODE.match(self.code):
            raise ValueError(f"reason code {self.code!r} must match {REASON_CODE.pattern}")
        if not self.title.strip() or len(self.title) > MAX_TITLE:
            raise ValueError(f"reason {self.code!r} needs a title of 1 to {MAX_TITLE} characters")
        if not self.explanation.strip() or len(self.explanation) > MAX_EXPLANATION:
            raise ValueError(
                f"reason {self.code!r} needs an explanation of 1 to {MAX_EXPLANATION} characters"
            )
        if not self.terms_section.strip():
            raise ValueError(f"reason {self.code!r} must name the terms section it rests on")
        if self.appealable and not DEFAULT_APPEAL_DAYS <= self.appeal_days <= 3650:
            raise ValueError(
                f"reason {self.code!r}: an appeal window runs {DEFAULT_APPEAL_DAYS} to 3650 "
                f"days (at least six months), got {self.appeal_days}"
            )


# The demo store's reasons, in our own words (a real store configures its own).
DEMO_REASONS: tuple[SuspensionReason, ...] = (
    SuspensionReason(
        "payment_fraud",
        N_("Payments we could not accept"),
        N_(
            "Orders on this account were paid with cards or accounts that their owners told "
            "us they had not used, or payments were reversed after delivery."
        ),
        "7.1",
    ),
    SuspensionReason(
        "abusive_reviews",
        N_("Reviews that break our rules"),
        N_(
            "Reviews posted from this account insulted or threatened other people, or were "
            "written in exchange for payment or free products."
        ),
        "9.3",
    ),
    SuspensionReason(
        "account_sharing",
        N_("An account used by several people"),
        N_(
            "This account was used by several people or sold on, which our terms do not allow: "
            "each account belongs to one person."
        ),
        "3.2",
    ),
    SuspensionReason(
        "returns_abuse",
        N_("Repeated returns we could not accept"),
        N_(
            "Items returned from this account were repeatedly used, damaged, or not the items "
            "we delivered."
        ),
        "8.4",
    ),
)


@dataclass(frozen=True, slots=True)
class ReasonCatalog:
    """The reasons on offer to staff, by code; an empty catalog allows no suspension."""

    reasons: tuple[SuspensionReason, ...] = ()

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for reason in self.reasons:
            if reason.code in seen:
                raise ValueError(f"reason code {reason.code!r} appears twice")
            seen.add(reason.code)

    def get(self, code: str) -> SuspensionReason | None:
        """The reason of that code, or None (unknown, or removed since)."""
        return next((r for r in self.reasons if r.code == code), None)


# --- Measures, suspensions and appeals (the values stored with each) -------------------

MAX_FACTS = 2000  # the facts relied on, in plain words (Art. 17(3)(b))
MAX_APPEAL = 4000  # what the customer writes in an appeal
MAX_DECISION = 2000  # a decision's reason, written for the customer
MAX_APPEALS = 2  # appeals decided per suspension; the second by someone else (SECURITY.md 37)


class Measure(enum.StrEnum):
    """What was done: a suspension stops sign-in; a warning only tells (stored)."""

    SUSPENSION = "suspension"
    WARNING = "warning"


class Scope(enum.StrEnum):
    """What a suspension covers. Entryway enforces one thing, signing in, so its one scope is
    the whole account on its site; restrictions inside the store (reviews, selling) are the
    store's to enforce and are not measures of ours."""

    ACCOUNT = "account"


SCOPE_LABELS: dict[Scope, str] = {
    Scope.ACCOUNT: N_("The whole account on this site: it cannot be signed in to"),
}


class SuspensionState(enum.StrEnum):
    """A measure's states (stored; never rename).

    ```mermaid
    stateDiagram-v2
        [*] --> in_force: suspended or warned (console, CLI, admin API)
        in_force --> lifted: reinstated on appeal, or lifted by trust staff (an error)
        in_force --> in_force: an appeal upheld (at most two decided)
    ```
    A suspension with an end date stops applying at that date without changing state
    (``applies``); a warning is in force only as a record on the account's history.
    """

    IN_FORCE = "in_force"
    LIFTED = "lifted"


class AppealState(enum.StrEnum):
    """An appeal's states (stored; never rename).

    ```mermaid
    stateDiagram-v2
        [*] --> open: Submit appeal (a case, topic appeal, for the trust role)
        open --> upheld: a person upholds the suspension, with a reason
        open --> reinstated: a person reinstates the account, with a reason
        open --> withdrawn: the suspension was lifted meanwhile
    ```
    """

    OPEN = "open"
    UPHELD = "upheld"
    REINSTATED = "reinstated"
    WITHDRAWN = "withdrawn"


class Decision(enum.StrEnum):
    REINSTATE = "reinstate"
    UPHOLD = "uphold"


def applies(
    state: SuspensionState, measure: Measure, until: datetime | None, now: datetime
) -> bool:
    """Whether a suspension stops sign-in at ``now``: in force, and not past its end."""
    return (
        measure is Measure.SUSPENSION
        and state is SuspensionState.IN_FORCE
        and (until is None or now < until)
    )


def appeal_window_ends(reason: SuspensionReason | None, starts_at: datetime) -> datetime | None:
    """When appeals stop being taken; None when the reason allows none (or is gone)."""
    if reason is None or not reason.appealable:
        return None
    return starts_at + timedelta(days=reason.appeal_days)


def why_no_appeal(
    *,
    applies_now: bool,
    window_ends: datetime | None,
    now: datetime,
    decided: int,
    open_appeal: bool,
) -> str | None:
    """Why an appeal cannot be sent now, in the customer's words; None when it can."""
    if not applies_now:
        return N_("This suspension no longer applies, so there is nothing to appeal.")
    if window_ends is None:
        return N_("This decision cannot be appealed here.")
    if open_appeal:
        return N_("Your appeal is with our team. We will email you our decision.")
    if decided >= MAX_APPEALS:
        return N_("This decision has been reviewed twice, which is as many times as we review one.")
    if now >= window_ends:
        return N_("The time to appeal this decision has ended.")
    return None


# Said on a warning's notice, where an appeal form would be.
WARNING_NOT_APPEALABLE = N_("A formal warning changes nothing on the account to appeal.")


def may_decide(number: int, deciders: tuple[str, ...], staff_id: str) -> bool:
    """A second appeal is decided by someone other than whoever decided the first
    (SECURITY.md 37); the first may be decided by any trust staff member."""
    return number == 1 or staff_id not in deciders
