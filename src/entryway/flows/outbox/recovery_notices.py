"""The words of the identity check's and account recovery's messages (flows/recovery/).

Each names the site's configured origin only. Texts stay under 160 characters."""

from __future__ import annotations

from entryway.core.sites import Site

__all__ = ["Site"]

# --- To the new contact, during the identity check (flows/recovery/identity_check.py) ---


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
