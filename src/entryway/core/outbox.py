"""Delivery retry policy for the outbox: exponential backoff, bounded, then give up."""

from __future__ import annotations

import re
from datetime import timedelta

from entryway.core.locales import N_

FIRST_RETRY = timedelta(seconds=5)
LONGEST_WAIT = timedelta(minutes=30)
GIVE_UP_AFTER_ATTEMPTS = 40  # about 18 hours of retrying at the longest wait


def retry_delay(attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``: 5 s, 10 s, 20 s ... capped at 30 minutes."""
    if attempts < 1:
        raise ValueError(f"attempts counts failures so far, at least 1, got {attempts}")
    return min(FIRST_RETRY * (1 << min(attempts - 1, 20)), LONGEST_WAIT)


def should_give_up(attempts: int) -> bool:
    return attempts >= GIVE_UP_AFTER_ATTEMPTS


# Messages that carry a one-time code: never shown in the Message Center, and their stored
# text is replaced once a provider accepted them (codes are kept hashed, nowhere in plain).
CODE_KINDS = frozenset(
    {
        "verify_account",
        "verify_contact",
        "reset_code",
        "two_step_code",
        "unusual_sign_in_code",
        "unlock_code",
        "case_code",
        "recovery_code",
    }
)


# What remains of a code message (a catalog entry: the Message Center says it in the
# reader's language; stored copies keep the English, the catalog's source).
REDACTED = N_("A one-time code was sent to {masked}. Codes are never shown here.")


def redacted_body(masked_to: str, template: str = REDACTED) -> str:
    """What remains of a code message: where it went, not what it said (``template``: the
    reader's translation of REDACTED)."""
    return template.format(masked=masked_to)


# Messages that carry a single-use link: shown in the Message Center (so a customer can check
# an email is ours) but with the token taken out, and stored that way once sent.
LINK_KINDS = frozenset(
    {
        "account_locked",
        "support_case",
        "case_reply",
        "recovery_notice",
        "recovery_finish",
        "suspension_notice",  # Appeal this decision
        "appeal_decided",  # upheld, with a fresh appeal link while another appeal is possible
    }
)
# In an HTML part the ``&`` before a query parameter is written as an entity (``&amp;``,
# ``&#38;``, ``&#x26;``) inside href attributes and link text alike.
_LINK_TOKEN = re.compile(r"((?:[?&]|&amp;|&#0*38;|&#x0*26;)token=)[A-Za-z0-9_\-]+", re.IGNORECASE)
_CASE_LINK = re.compile(r"(/cases/open/)[A-Za-z0-9_\-]+")  # View your case


def hide_link_tokens(body: str) -> str:
    """The text (or HTML) with every link token replaced: the link is only in the message
    itself. Used on every part a link message keeps, so no stored copy opens anything."""
    return _CASE_LINK.sub(r"\1hidden", _LINK_TOKEN.sub(r"\1hidden", body))


def kept_parts(
    kind: str, body: str, html: str, masked_to: str, redacted: str = REDACTED
) -> tuple[str, str]:
    """What a stored message keeps of its text and HTML parts once it can be read again (the
    Message Center, the stored copy after sending): a code message only where it went, and
    no HTML part at all (its code is in it); a link message both parts without tokens."""
    if kind in CODE_KINDS:
        return redacted_body(masked_to, redacted), ""
    if kind in LINK_KINDS:
        return hide_link_tokens(body), hide_link_tokens(html)
    return body, html
