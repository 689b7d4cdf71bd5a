"""Normalising what customers type: email-validator for addresses, phonenumbers for E.164."""

from __future__ import annotations

import functools

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from entryway.core.identifiers import (
    MAX_IDENTIFIER_LENGTH,
    Identifier,
    IdentifierKind,
    fold_for_lookup,
    looks_like_email,
)
from entryway.core.locales import N_
from entryway.errors import InvalidIdentifier

MESSAGE = N_("Enter a valid email address or mobile phone number.")


class IdentifierParser:
    def parse(self, raw: str, region: str) -> Identifier:
        """Canonical form of an email (case-folded) or phone (E.164, site region as default)."""
        text = (raw or "").strip()
        if not text or len(text) > MAX_IDENTIFIER_LENGTH:
            raise InvalidIdentifier(MESSAGE, field="identifier")
        return _canonical(text, region)


# Every sign-in parses what was typed; the same few thousand customers type the same
# addresses again. Bounded, and a refusal is never kept (an exception is not cached).
@functools.lru_cache(maxsize=4096)
def _canonical(text: str, region: str) -> Identifier:
    if looks_like_email(text):
        try:
            valid = validate_email(fold_for_lookup(text), check_deliverability=False)
        except EmailNotValidError:
            raise InvalidIdentifier(MESSAGE, field="identifier") from None
        return Identifier(IdentifierKind.EMAIL, valid.normalized.casefold())
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidIdentifier(MESSAGE, field="identifier") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidIdentifier(MESSAGE, field="identifier")
    kind = phonenumbers.number_type(number)
    if kind not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise InvalidIdentifier(
            "Enter a mobile phone number that can receive texts.", field="identifier"
        )
    return Identifier(
        IdentifierKind.PHONE,
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
    )
