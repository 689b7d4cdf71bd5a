"""The words of the identity check's and account recovery's messages (flows/recovery/).

Each names the site's configured origin only. Texts stay under 160 characters."""

from __future__ import annotations

from entryway.core.sites import Site

__all__ = ["Site"]

# --- To the new contact, during the identity check (flows/recovery/identity_check.py) ---

# The words below go to a contact the requester typed, for an account that may not exist:
# none of them may depend on whether it does, name the account, or point to a Message
# Center the requester cannot open. The Ask us page (notices.CONTACT) for further help.
_ASK_US = "/help/contact"


def recovery_code(site: Site, code: str) -> tuple[str, str]:
    """The code that proves the new email address of a recovery request."""
    return (
        f"{site.brand}: your one-time code",
        f"Your {site.brand} ({site.name}) one-time code is {code}.\n\n"
        "Enter it on the page where you asked to recover your account, to confirm this "
        "address. It expires in 10 minutes. If you did not ask for it, ignore this message: "
        "nothing changes without the code.",
    )


def recovery_code_sms(site: Site, code: str) -> str:
    """The code that proves the new mobile number of a recovery request."""
    return (
        f"{code} is your {site.brand} code to confirm this number for an account recovery. "
        "It expires in 10 minutes. Don't share it."
    )


def recovery_received(site: Site) -> tuple[str, str]:
    """Every finished identity check: we will write again here (whatever we decide)."""
    return (
        f"{site.brand}: we received your account recovery request",
        f"We received a request to recover a {site.brand} ({site.name}) account, with this "
        "address as its new contact.\n\n"
        "We will check the details you gave and write to you again at this address. This "
        "can take a few days. Nothing changes on the account before then, and nobody from "
        f"{site.brand} will ever ask you for a code or a password.\n\n"
        "If you did not ask for this, you can ignore this message.",
    )


def recovery_received_sms(site: Site) -> str:
    return (
        f"{site.brand}: we received your account recovery request. We will check it and "
        "text you again at this number; this can take a few days."
    )


def recovery_unverified(site: Site) -> tuple[str, str]:
    """We could not verify the request: the words for a refusal and a declined review alike,
    so that neither tells the requester which it was."""
    return (
        f"{site.brand}: we could not verify your account recovery request",
        f"We could not verify your request to recover a {site.brand} ({site.name}) "
        "account, so nothing was changed.\n\n"
        f"If you still need help, contact us at {site.url(_ASK_US)}.\n\n"
        "If you did not ask for this, you can ignore this message.",
    )


def recovery_unverified_sms(site: Site) -> str:
    return (
        f"{site.brand}: we could not verify your account recovery request, so nothing "
        f"was changed. For help: {site.url(_ASK_US)}"
    )


# --- end of the identity check's messages ---


# --- The pending recovery: old contacts' notices, answers, review (flows/recovery/pending.py) ---


# --- end of the pending recovery's messages ---


# --- Finishing a recovery (flows/recovery/finish.py) ---

_FINISH_HELP = "/help/contact"  # Contact us (leads to Ask us)


def finished_old_contact(site: Site) -> tuple[str, str]:
    """To the old email, before it is taken off: the account moved to a new contact."""
    return (
        f"{site.brand}: your account was recovered with a new contact",
        f"The recovery of your {site.brand} ({site.name}) account we wrote to you about "
        "has been completed: a new password was set and a new contact replaced this email "
        "address, which is no longer on the account. Every device was signed out.\n\n"
        "If it was you, no action is needed. If it wasn't, contact us at "
        f"{site.url(_FINISH_HELP)} as soon as you can and tell us the account was taken.",
    )


def finished_old_contact_sms(site: Site) -> str:
    """To the old mobile number, before it is taken off."""
    return (
        f"Your {site.brand} account was recovered and this number taken off it. "
        f"Not you? Contact us: {site.url(_FINISH_HELP)}"
    )


def finished_new_contact(site: Site, until: str) -> tuple[str, str]:
    """To the new contact: recovered; sign in with the new password, set up 2SV again;
    ``until`` is when the contacts may change again, in the site's time."""
    return (
        f"{site.brand}: your account is recovered",
        f"You've recovered your {site.brand} ({site.name}) account: your new password is "
        "saved and this is now the account's only contact. Every device was signed out.\n\n"
        f"Sign in at {site.url('/signin')} with your new password. Two-step verification "
        "was removed: set it up again on your Login & security page.\n\n"
        "For your security, the email address and mobile number on the account can't be "
        f"changed until {until}.\n\n"
        f"If you didn't do this, contact us at {site.url(_FINISH_HELP)}.",
    )


def finished_new_contact_sms(site: Site) -> str:
    """To a new mobile number: recovered; sign in, then set up 2SV again."""
    return (
        f"Your {site.brand} account is recovered. Sign in at {site.url('/signin')} with "
        "your new password, then set up two-step verification again."
    )


# --- end of the finishing messages ---
