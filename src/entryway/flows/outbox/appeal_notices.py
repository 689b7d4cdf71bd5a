"""What the messages about an appeal against a suspension are written from
(``messages/appeal_*``): that we have it, and what a person decided.

A suspended customer cannot sign in, so these never point at pages behind sign-in (the
Message Center) except once the account is reinstated. The decision's reason is the staff
member's own text, written for the customer, and is quoted as it was given."""

from __future__ import annotations

SMS_EXCERPT = 80  # characters of the reason that fit in a text beside the link


def excerpt(reason: str) -> str:
    """The start of the decision's reason, on one line, for a text message."""
    flat = " ".join(reason.split())
    return flat if len(flat) <= SMS_EXCERPT else flat[: SMS_EXCERPT - 1].rstrip() + "…"
