"""Suspension reasons: the store's catalog of grounds for suspending an account.

Each reason carries what a statement of reasons needs from the store's side (EU Digital
Services Act, Art. 17(3)): the ground (a title and an explanation in words a customer
reads) and the contractual clause it rests on (the terms section), and whether and for how
long the customer may appeal (Art. 20(1): at least six months, so 180 days by default).
The facts, the duration and whether automated means were used belong to each suspension.
Codes are stored with every suspension: add codes, never rename or reuse one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
        "Payments we could not accept",
        "Orders on this account were paid with cards or accounts that their owners told "
        "us they had not used, or payments were reversed after delivery.",
        "7.1",
    ),
    SuspensionReason(
        "abusive_reviews",
        "Reviews that break our rules",
        "Reviews posted from this account insulted or threatened other people, or were "
        "written in exchange for payment or free products.",
        "9.3",
    ),
    SuspensionReason(
        "account_sharing",
        "An account used by several people",
        "This account was used by several people or sold on, which our terms do not allow: "
        "each account belongs to one person.",
        "3.2",
    ),
    SuspensionReason(
        "returns_abuse",
        "Repeated returns we could not accept",
        "Items returned from this account were repeatedly used, damaged, or not the items "
        "we delivered.",
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
