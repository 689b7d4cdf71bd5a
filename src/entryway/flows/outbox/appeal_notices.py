"""The words of the messages about an appeal against a suspension: that we have it, and
what a person decided. Each names the site's configured origin only.

A suspended customer cannot sign in, so these never point at pages behind sign-in (the
Message Center) except once the account is reinstated. The decision's reason is the staff
member's own text, written for the customer, and is quoted as it was given.
"""

from __future__ import annotations

from entryway.core.sites import Site
from entryway.flows.outbox.notices import CONTACT, GENUINE, RESET

SMS_EXCERPT = 80  # characters of the reason that fit in a text beside the link
NEVER_ASK = "We will never ask for your password or for a one-time code."


def appeal_received(site: Site, number: str, appeal: int) -> tuple[str, str]:
    """We have the appeal; a person (never a machine) will look at it and answer by email."""
    which = "appeal" if appeal == 1 else "second appeal"
    return (
        f"{site.brand}: we received your appeal {number}",
        f"We received your {which} against the suspension of your {site.brand} account "
        f"({site.name}). Its case number is {number}.\n\n"
        "A member of our team who works on suspensions will read it and decide whether the "
        "suspension stays. We will email you the decision and the reason for it. Until then "
        "the suspension stays in place and you cannot sign in.\n\n"
        "You don't need to send the appeal again. " + NEVER_ASK,
    )


def appeal_received_sms(site: Site, number: str) -> str:
    return f"{site.brand}: we received your appeal {number}. We will tell you our decision."


def appeal_reinstated(site: Site, number: str, reason: str) -> tuple[str, str]:
    """Reinstated: the customer can sign in again; the sessions ended by the suspension
    stay ended, so every device signs in afresh."""
    return (
        f"{site.brand}: your account is reinstated",
        f"We looked at your appeal {number} and reinstated your {site.brand} account "
        f"({site.name}). The suspension is lifted.\n\n"
        f"Our reason:\n{reason}\n\n"
        f"You can sign in again at {site.url('/')}. Devices that were signed in before the "
        "suspension stay signed out: sign in on each again. If you don't remember your "
        f"password, reset it at {site.url(RESET)}.\n\n"
        + NEVER_ASK
        + " "
        + GENUINE.format(origin=site.origin),
    )


def appeal_reinstated_sms(site: Site, number: str) -> str:
    return (
        f"{site.brand}: your appeal {number} succeeded. Your account is reinstated; "
        f"sign in again at {site.url('/')}"
    )


def appeal_upheld(
    site: Site,
    number: str,
    reason: str,
    *,
    why_not: str | None,
    until: str | None,
    link: str | None,
) -> tuple[str, str]:
    """Upheld: the reason, and either how to appeal once more (the link, until when) or
    why no further appeal is taken here, with the way to Customer Service."""
    if why_not is None and until and link:
        redress = (
            "If you think we got this wrong, you can appeal once more. A different member of "
            "our team will decide that appeal.\n\n"
            f"Appeal again: {link}\n\nYou can do so until {until}."
        )
    else:
        redress = (
            f"{why_not or 'This decision cannot be appealed again here.'} You can still "
            f"contact Customer Service: {site.url(CONTACT)}"
        )
    return (
        f"{site.brand}: the decision on your appeal {number}",
        f"We looked at your appeal {number} against the suspension of your {site.brand} "
        f"account ({site.name}). The suspension stays in place.\n\n"
        f"Our reason:\n{reason}\n\n{redress}\n\n" + NEVER_ASK,
    )


def appeal_upheld_sms(site: Site, number: str, reason: str, link: str | None) -> str:
    """A text goes only where there is no email: it carries the reason (shortened)."""
    flat = " ".join(reason.split())
    excerpt = flat if len(flat) <= SMS_EXCERPT else flat[: SMS_EXCERPT - 1].rstrip() + "…"
    again = f" Appeal again: {link}" if link else ""
    return (
        f"{site.brand}: appeal {number} decided, your account stays suspended. "
        f"Reason: {excerpt}{again}"
    )
