"""Sign-in identifiers: an email address or a mobile number, in one canonical form."""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass

MAX_IDENTIFIER_LENGTH = 320


class IdentifierKind(enum.StrEnum):
    EMAIL = "email"
    PHONE = "phone"


@dataclass(frozen=True, slots=True)
class Identifier:
    """A normalised identifier: lower-case email, or a phone number in E.164."""

    kind: IdentifierKind
    value: str


def looks_like_email(raw: str) -> bool:
    """Whether the customer typed an email (anything with an @) rather than a phone number."""
    return "@" in raw


def fold_for_lookup(raw: str) -> str:
    """NFKC + casefold, so that case and Unicode variants of one address share one account
    and one failure counter (SECURITY.md 5, allauth 0.51.0)."""
    return unicodedata.normalize("NFKC", raw.strip()).casefold()
