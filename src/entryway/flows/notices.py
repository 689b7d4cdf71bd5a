"""The words of every message we send. Each names the site's configured origin only."""

from __future__ import annotations

from entryway.core.sites import Site

GENUINE = (
    "You can check that this message is really from us: it also appears in the "
    "Message Center on your Login & security page at {origin}/account/messages."
)


def verify_account(site: Site, code: str) -> tuple[str, str]:
    return (
        f"{site.brand}: your one-time code",
        f"Your {site.brand} ({site.name}) one-time code is {code}.\n\n"
        "Enter it on the page where you are creating your account. It expires in 10 "
        "minutes. If you did not ask for it, ignore this message: nothing changes without "
        "the code.",
    )


def verify_contact(site: Site, code: str) -> tuple[str, str]:
    return (
        f"{site.brand}: confirm your new contact",
        f"Your {site.brand} ({site.name}) one-time code is {code}.\n\n"
        "Enter it on the Login & security page to confirm this address. It expires in 10 "
        "minutes. If you did not ask for it, ignore this message.",
    )


def sms_code(site: Site, code: str) -> tuple[str, str]:
    return (
        "",
        f"{code} is your {site.brand} one-time code. It expires in 10 minutes. "
        "Don't share it with anyone.",
    )


def already_registered(site: Site) -> tuple[str, str]:
    return (
        f"{site.brand}: you already have an account",
        f"Someone tried to create a {site.brand} ({site.name}) account with this address, "
        "but it already has one.\n\n"
        f"If it was you, sign in at {site.url('/signin')}. If you forgot your password, use "
        "Forgot your password? on the password page.\n\nIf it wasn't you, no action is needed.",
    )


def wrong_site(asked: Site, home: Site) -> tuple[str, str]:
    return (
        f"{home.brand}: your account is on our {home.name} site",
        f"Someone tried to sign in to {asked.brand} {asked.name} ({asked.origin}) with this "
        f"address, which has no account there. Each regional site has its own accounts.\n\n"
        f"Your account is on the {home.brand} {home.name} site: "
        f"sign in at {home.url('/signin')}.\n\n"
        "If it wasn't you, no action is needed.\n\n" + GENUINE.format(origin=home.origin),
    )


def contact_changed(site: Site, what: str, new_masked: str) -> tuple[str, str]:
    return (
        f"{site.brand}: your {what} was changed",
        f"The {what} on your {site.brand} ({site.name}) account was changed to "
        f"{new_masked}.\n\nIf you did this, no action is needed. If you didn't, reset your "
        f"password at {site.url('/signin')} and contact us.\n\n"
        + GENUINE.format(origin=site.origin),
    )


def password_changed(site: Site) -> tuple[str, str]:
    return (
        f"{site.brand}: your password was changed",
        f"The password of your {site.brand} ({site.name}) account was changed, and every "
        "other device was signed out.\n\nIf you did this, no action is needed. If you "
        f"didn't, reset your password at {site.url('/signin')} and contact us.\n\n"
        + GENUINE.format(origin=site.origin),
    )


def reset_code(site: Site, code: str) -> tuple[str, str]:
    return (
        f"{site.brand}: your password reset code",
        f"Your {site.brand} ({site.name}) one-time code is {code}.\n\n"
        "Enter it on the Password assistance page to choose a new password. It expires in 10 "
        "minutes. If you didn't ask to reset your password, ignore this message: your password "
        "stays as it is, and nobody can change it without this code.\n\n"
        + GENUINE.format(origin=site.origin),
    )


def reset_unknown(site: Site) -> tuple[str, str]:
    return (
        f"{site.brand}: password reset for an address without an account",
        f"Someone asked to reset the {site.brand} ({site.name}) password for this email "
        "address, but it has no account on this site. Each regional site has its own "
        "accounts, so your account may be on another one.\n\n"
        "If it wasn't you, no action is needed.",
    )


def password_reset(site: Site) -> tuple[str, str]:
    return (
        f"{site.brand}: your password was reset",
        f"The password of your {site.brand} ({site.name}) account was reset with a one-time "
        "code, and every device was signed out.\n\n"
        "If you did this, no action is needed. If you didn't, someone may be able to read your "
        f"email or text messages: reset your password again at {site.url('/password/forgot')} "
        "from a device you trust, secure your email account, and contact us.\n\n"
        + GENUINE.format(origin=site.origin),
    )


def two_step_changed(site: Site, what: str) -> tuple[str, str]:
    return (
        f"{site.brand}: two-step verification changed",
        f"On your {site.brand} ({site.name}) account: {what}.\n\n"
        "If you did this, no action is needed. If you didn't, reset your password at "
        f"{site.url('/password/forgot')} and contact us.\n\n" + GENUINE.format(origin=site.origin),
    )


def phone_code(site: Site, code: str, channel: str) -> tuple[str, str]:
    """A code by text, or the words a voice call reads out (each digit, twice)."""
    if channel == "voice":
        spaced = ", ".join(code)
        return ("", f"Your {site.brand} one-time code is {spaced}. Again: {spaced}.")
    return sms_code(site, code)


def second_step_failed(site: Site) -> tuple[str, str]:
    return (
        f"{site.brand}: someone entered your password",
        f"Someone entered the right password for your {site.brand} ({site.name}) account, then "
        "a wrong two-step verification code, so they could not get in.\n\n"
        "If it was you, no action is needed. If it wasn't, someone knows your password: "
        f"change it now at {site.url('/password/forgot')}.\n\n"
        + GENUINE.format(origin=site.origin),
    )
