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

# Imported in this section, not at the top, so each journey's texts merge apart (E402
# applies once the section above holds code; RUF100 until then).
from entryway.core.recovery import Notice  # noqa: E402, RUF100
from entryway.flows.outbox.notices import CONTACT, GENUINE, RESET  # noqa: E402, RUF100

# The old contacts hear of a recovery at its start, halfway and a day before its end, each
# time with their own This wasn't me link; the new contact hears the date, the finish link,
# and how it ended. Nothing here says which evidence was found or missing.
NOT_YOU = "This wasn't me"
_NOTICE_SUBJECTS = {
    Notice.STARTED: "someone asked to recover your account",
    Notice.HALFWAY: "your account is still being recovered",
    Notice.LAST_DAY: "your account recovery completes in a day",
}
_NOTICE_SMS = {
    Notice.STARTED: "someone asked to recover your account.",
    Notice.HALFWAY: "your account recovery is still under way.",
    Notice.LAST_DAY: "your account recovery completes in a day.",
}


def _stop_it(link: str) -> str:
    return (
        "If this wasn't you, stop it now. Stopping it also signs your account out on every "
        f"device:\n\n{NOT_YOU}: {link}\n\nIf it was you, no action is needed."
    )


def recovery_notice(
    site: Site, notice: Notice, when: str, new_masked: str, link: str
) -> tuple[str, str]:
    """To each old contact while the recovery waits, with its own This wasn't me link."""
    account = f"your {site.brand} ({site.name}) account"
    if notice is Notice.STARTED:
        opening = (
            f"Someone asked to recover {account} without its email address or mobile number, "
            f"and to make {new_masked} its only contact."
        )
    elif notice is Notice.HALFWAY:
        opening = (
            f"A reminder: someone is still recovering {account}, to make {new_masked} its "
            "only contact. The waiting period is halfway through."
        )
    else:
        opening = (
            f"A last reminder: in a day, someone can finish recovering {account} and make "
            f"{new_masked} its only contact."
        )
    return (
        f"{site.brand}: {_NOTICE_SUBJECTS[notice]}",
        f"{opening} Unless it is stopped, they can choose a new password after {when}, and "
        "this address will then no longer be on the account.\n\n"
        + _stop_it(link)
        + "\n\n"
        + GENUINE.format(origin=site.origin),
    )


def recovery_notice_sms(site: Site, notice: Notice, link: str) -> str:
    return f"{site.brand}: {_NOTICE_SMS[notice]} Not you? {link}"


def recovery_in_review(site: Site, new_masked: str, link: str) -> tuple[str, str]:
    """To each old contact when a request goes to our team instead of waiting."""
    return (
        f"{site.brand}: {_NOTICE_SUBJECTS[Notice.STARTED]}",
        f"Someone asked to recover your {site.brand} ({site.name}) account without its email "
        f"address or mobile number, and to make {new_masked} its only contact. Our team is "
        "checking the request; nothing changes while they do.\n\n"
        + _stop_it(link)
        + "\n\n"
        + GENUINE.format(origin=site.origin),
    )


def recovery_in_review_sms(site: Site, link: str) -> str:
    return recovery_notice_sms(site, Notice.STARTED, link)


def recovery_tried(site: Site) -> tuple[str, str]:
    """To the old contacts, at most once a day: a request could not be verified."""
    return (
        f"{site.brand}: someone tried to recover your account",
        f"Someone asked to recover your {site.brand} ({site.name}) account without its email "
        "address or mobile number, and could not confirm who they are. Nothing changed.\n\n"
        "If it was you, you can still sign in, or reset your password at "
        f"{site.url(RESET)}. If it wasn't, no action is needed; your password and contacts "
        "stay as they are.\n\n" + GENUINE.format(origin=site.origin),
    )


def recovery_tried_sms(site: Site) -> str:
    return f"{site.brand}: someone tried to recover your account and failed. Nothing changed."


def recovery_scheduled(site: Site, when: str) -> tuple[str, str]:
    """To the new contact: the date from which the recovery can be finished."""
    return (
        f"{site.brand}: your account recovery can be finished after {when}",
        f"We checked your request to recover your {site.brand} ({site.name}) account. To "
        f"protect the account, there is a waiting period: after {when} we will send you a "
        "link here to choose a new password.\n\nWe have also told the contacts already on "
        "the account. If its owner stops the recovery, we will tell you.",
    )


def recovery_scheduled_sms(site: Site, when: str) -> str:
    return f"{site.brand}: you can finish recovering your account after {when}. We'll text a link."


def recovery_finish(site: Site, link: str, until: str) -> tuple[str, str]:
    """To the new contact once the wait is over: the single-use finish link."""
    return (
        f"{site.brand}: finish recovering your account",
        f"The waiting period is over. Choose a new password for your {site.brand} "
        f"({site.name}) account:\n\nFinish recovering your account: {link}\n\n"
        f"The link works once, until {until}. When you finish, this becomes the account's "
        "only email or phone, every device is signed out, and two-step verification is "
        "turned off: set it up again once you are in. If you did not ask for this, contact "
        f"us at {site.url(CONTACT)}.",
    )


def recovery_finish_sms(site: Site, link: str) -> str:
    return f"{site.brand}: finish recovering your account (the link works once): {link}"


def recovery_unverified(site: Site) -> tuple[str, str]:
    """To the new contact: we could not verify the request. The one text for a refused
    check, a declined review and an identifier with no account: they must read alike."""
    return (
        f"{site.brand}: we could not verify your request",
        f"We could not verify your request to recover an account on {site.brand} "
        f"({site.name}), so no account was changed.\n\nIf you still need help, contact us at "
        f"{site.url(CONTACT)}.",
    )


def recovery_unverified_sms(site: Site) -> str:
    return (
        f"{site.brand}: we could not verify your account recovery request. Nothing changed. "
        f"Help: {site.url(CONTACT)}"
    )


def recovery_cancelled_to_new(site: Site) -> tuple[str, str]:
    """To the new contact, once told a date: the account's owner stopped the recovery."""
    return (
        f"{site.brand}: your account recovery was stopped",
        f"The recovery of the {site.brand} ({site.name}) account you asked for was stopped "
        "from the account's own email, phone or sign-in. Nothing changed, and any link we "
        f"sent you for it no longer works.\n\nIf you need help, contact us at "
        f"{site.url(CONTACT)}.",
    )


def recovery_cancelled_to_new_sms(site: Site) -> str:
    return f"{site.brand}: the account recovery you asked for was stopped. Nothing changed."


def recovery_cancelled_to_old(site: Site, by_sign_in: bool) -> tuple[str, str]:
    """To the old contacts: the recovery was stopped (by This wasn't me, or a sign-in)."""
    account = f"your {site.brand} ({site.name}) account"
    if by_sign_in:
        what = (
            f"You signed in to {account}, so we stopped the request to recover it with another "
            "email or phone. Nothing changed.\n\nIf you did not sign in just now, reset your "
            f"password at {site.url(RESET)}."
        )
    else:
        what = (
            f"The request to recover {account} with another email or phone was stopped, as "
            "you asked, and the account was signed out on every device. Nothing else "
            f"changed.\n\nIf someone may know your password, reset it at {site.url(RESET)}."
        )
    return (
        f"{site.brand}: the recovery of your account was stopped",
        f"{what}\n\n" + GENUINE.format(origin=site.origin),
    )


def recovery_cancelled_to_old_sms(site: Site) -> str:
    return f"{site.brand}: the recovery of your account was stopped. Nothing changed."


def recovery_declined_to_old(site: Site) -> tuple[str, str]:
    """To the old contacts: our team declined the request they were told about."""
    return (
        f"{site.brand}: we declined a request to recover your account",
        f"Our team checked the request to recover your {site.brand} ({site.name}) account "
        "with another email or phone, and declined it. Nothing changed.\n\n"
        + GENUINE.format(origin=site.origin),
    )


def recovery_declined_to_old_sms(site: Site) -> str:
    return f"{site.brand}: we declined a request to recover your account. Nothing changed."


def recovery_expired_to_new(site: Site) -> tuple[str, str]:
    """To the new contact: the finish link was not used in time."""
    return (
        f"{site.brand}: your account recovery expired",
        f"The link to finish recovering your {site.brand} ({site.name}) account was not "
        "used in time, so the recovery ended and nothing changed.\n\nTo try again, start "
        f"from Forgot your password? at {site.url(RESET)}.",
    )


def recovery_expired_to_new_sms(site: Site) -> str:
    return f"{site.brand}: your account recovery expired unfinished. Nothing changed."


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
