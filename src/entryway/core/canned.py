"""Canned replies: a few answers agents send often, in our own words. Placeholders are
filled from the site (brand, reset page), never from anything the customer typed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Canned:
    key: str  # stable: pages and the API pick a reply by it
    title: str
    body: str  # may name {brand} and {reset}

    def render(self, brand: str, reset_url: str) -> str:
        return self.body.format(brand=brand, reset=reset_url)


CANNED: tuple[Canned, ...] = (
    Canned(
        "reset_yourself",
        "Reset the password yourself",
        "Thanks for writing to us. You can choose a new password yourself at {reset}: we "
        "send a one-time code to the email address or mobile number on your account. The "
        "reset also unlocks the account and signs out every other device.",
    ),
    Canned(
        "verify_first",
        "We need to confirm it's you",
        "Thanks for writing to us. Before we can look at your account, we need to confirm it "
        "is yours. We have sent a one-time code to a contact on the account: please enter it "
        "on the page of this case. We will never ask you for the code by phone or email.",
    ),
    Canned(
        "code_delays",
        "Codes that don't arrive",
        "Codes usually arrive within a minute. Check your spam or junk folder, make sure your "
        "phone can receive texts, and ask for one new code at a time: each new code makes "
        "the previous one stop working.",
    ),
    Canned(
        "never_ask",
        "We never ask for passwords or codes",
        "{brand} never asks for your password or a one-time code by email, text or phone. "
        "If someone did, don't share anything, and change your password at {reset}.",
    ),
    Canned(
        "solved",
        "Closing the case",
        "We're glad this is sorted. If anything else comes up, reply on this case within 7 "
        "days and it reopens; after that, open a new case from the Ask us page.",
    ),
)


def canned(key: str) -> Canned:
    """The canned reply named ``key``, or ValueError with the names we have."""
    for reply in CANNED:
        if reply.key == key:
            return reply
    raise ValueError(f"unknown canned reply {key!r}; we have " + ", ".join(c.key for c in CANNED))
