"""The words of every message we send. Each names the site's configured origin only."""

from __future__ import annotations

from entryway.core.sites import Site

GENUINE = (
    "You can check that this message is really from us: it also appears in the "
    "Message Center on your Login & security page at {origin}/account/messages."
)
RESET = "/password/forgot"  # the page that starts a password reset (web.pages.reset)
CONTACT = "/help/contact"  # "Contact us": leads to Ask us (web.pages.help redirects it)


def _if_not_you(site: Site, again: bool = False) -> str:
    """What to do about a change the owner did not make: reset, then tell us, both linked."""
    reset = (
        f"reset your password again at {site.url(RESET)} from a device you trust"
        if again
        else f"reset your password at {site.url(RESET)}"
    )
    return f"{reset}, and contact us at {site.url(CONTACT)}."


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
        f"Someone tried to create an account on {site.brand} ({site.name}) with this "
        "address, but it already has one.\n\n"
        f"If it was you, sign in at {site.url('/signin')}. If you forgot your password, reset "
        f"it at {site.url(RESET)}.\n\nIf it wasn't you, no action is needed.",
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


def _a(what: str) -> str:
    return "an" if what[:1] in "aeiou" else "a"


def contact_changed(site: Site, what: str, new_masked: str, added: bool) -> tuple[str, str]:
    """``added``: the account had no ``what`` before, so nothing was replaced."""
    account = f"your {site.brand} ({site.name}) account"
    if added:
        subject = f"{site.brand}: {_a(what)} {what} was added"
        happened = f"{_a(what).capitalize()} {what}, {new_masked}, was added to {account}."
    else:
        subject = f"{site.brand}: your {what} was changed"
        happened = f"The {what} on {account} was changed to {new_masked}."
    return (
        subject,
        f"{happened}\n\nIf you did this, no action is needed. If you didn't, "
        + _if_not_you(site)
        + "\n\n"
        + GENUINE.format(origin=site.origin),
    )


def contact_changed_sms(site: Site, what: str, added: bool) -> str:
    happened = (
        f"{_a(what).capitalize()} {what} was added to your {site.brand} account."
        if added
        else f"The {what} on your {site.brand} account was changed."
    )
    return f"{happened} Not you? Contact us: {site.url(CONTACT)}"


def password_changed(site: Site) -> tuple[str, str]:
    return (
        f"{site.brand}: your password was changed",
        f"The password of your {site.brand} ({site.name}) account was changed, and every "
        "other device was signed out.\n\nIf you did this, no action is needed. If you "
        "didn't, " + _if_not_you(site) + "\n\n" + GENUINE.format(origin=site.origin),
    )


def password_changed_sms(site: Site) -> str:
    return f"Your {site.brand} password was changed. Not you? Reset it at {site.url(RESET)}"


def reset_code(site: Site, code: str) -> tuple[str, str]:
    return (
        f"{site.brand}: your password reset code",
        f"Your {site.brand} ({site.name}) one-time code is {code}.\n\n"
        "Enter it on the Password assistance page to choose a new password. It expires in 10 "
        "minutes. If you didn't ask to reset your password, ignore this message: your password "
        "stays as it is, and nobody can change it without this code.\n\n"
        + GENUINE.format(origin=site.origin),
    )


def unlock_code(site: Site, code: str) -> tuple[str, str]:
    return (
        f"{site.brand}: your code to unlock your account",
        f"Your {site.brand} ({site.name}) one-time code is {code}.\n\n"
        "Enter it on the Unlock your account page to confirm it's you. It expires in 10 "
        "minutes. If you didn't ask to unlock your account, don't share the code with anyone "
        "and ignore this message: nothing changes without it.\n\n"
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
        "email or text messages: secure your email account, then "
        + _if_not_you(site, again=True)
        + "\n\n"
        + GENUINE.format(origin=site.origin),
    )


def password_reset_sms(site: Site, unlocking: bool) -> str:
    happened = (
        f"Your {site.brand} account was unlocked and its password changed."
        if unlocking
        else f"Your {site.brand} password was reset."
    )
    return f"{happened} Not you? Contact us now: {site.url(CONTACT)}"


def unlocked_new_password(site: Site) -> tuple[str, str]:
    return (
        f"{site.brand}: your account is unlocked",
        f"Your {site.brand} ({site.name}) account is unlocked: a one-time code confirmed it "
        "was you, a new password was saved and every device was signed out.\n\n"
        "If you did this, no action is needed. If you didn't, secure your email account, then "
        + _if_not_you(site, again=True)
        + "\n\n"
        + GENUINE.format(origin=site.origin),
    )


def two_step_changed(site: Site, what: str) -> tuple[str, str]:
    return (
        f"{site.brand}: two-step verification changed",
        f"On your {site.brand} ({site.name}) account: {what}.\n\n"
        "If you did this, no action is needed. If you didn't, "
        + _if_not_you(site)
        + "\n\n"
        + GENUINE.format(origin=site.origin),
    )


def two_step_changed_sms(site: Site, what: str) -> str:
    return f"{site.brand}: {what}. Not you? Contact us: {site.url(CONTACT)}"


def questions_changed(site: Site, first: bool) -> tuple[str, str]:
    """Verification questions set or changed; the notice names no question and no answer."""
    what = "were set" if first else "were changed"
    return (
        f"{site.brand}: your verification questions {what}",
        f"The verification questions of your {site.brand} ({site.name}) account {what}. "
        "They help confirm it's you if you ever lose your email address and phone.\n\n"
        "If you did this, no action is needed. If you didn't, "
        + _if_not_you(site)
        + "\n\n"
        + GENUINE.format(origin=site.origin),
    )


def questions_changed_sms(site: Site, first: bool) -> str:
    what = "were set" if first else "were changed"
    return (
        f"Your {site.brand} verification questions {what}. Not you? Contact us: {site.url(CONTACT)}"
    )


def phone_code(site: Site, code: str, channel: str) -> tuple[str, str]:
    """A code by text, or the words a voice call reads out (each digit, twice)."""
    if channel == "voice":
        spaced = ", ".join(code)
        return ("", f"Your {site.brand} one-time code is {spaced}. Again: {spaced}.")
    return sms_code(site, code)


def password_known(site: Site) -> tuple[str, str]:
    """Sent only once a partial session ended without the second step (flows.unfinished)."""
    return (
        f"{site.brand}: someone entered your password",
        f"Someone entered the right password for your {site.brand} ({site.name}) account but "
        "did not finish two-step verification, so they could not get in.\n\n"
        "If it was you, no action is needed. If it wasn't, someone knows your password: "
        f"change it now at {site.url(RESET)}.\n\n" + GENUINE.format(origin=site.origin),
    )


def account_locked(site: Site, link: str, new_password: bool) -> tuple[str, str]:
    then = (
        "confirm it's you with a one-time code, and choose a new password"
        if new_password
        else "confirm it's you with a one-time code"
    )
    return (
        f"{site.brand}: your account is locked",
        f"We locked your {site.brand} ({site.name}) account because of unusual activity: "
        "several attempts to sign in failed. Nobody can sign in to it from a new device "
        "for now.\n\n"
        f"Unlock your account: {link}\n\n"
        f"The link works once, for 24 hours. It asks you to {then}. "
        "Signing in from a device you have used with us before still works, and Forgot your "
        "password? also unlocks the account.\n\n"
        "We never ask for your password or a code by email or phone. "
        + GENUINE.format(origin=site.origin),
    )


def account_locked_sms(site: Site, link: str) -> str:
    return (
        f"Your {site.brand} account is locked after failed sign-in attempts. "
        f"Unlock it (link works once, for 24 hours): {link}"
    )


# Why a right password needs a code, by ``core.lockout.Unusual`` value: only what happened.
UNUSUAL_WHY = {
    "account_failures": ", after failed attempts to sign in to your account",
    "suspected": ", soon after a sign-in with your password that was not finished",
    "network_failures": (
        ", on a network where many sign-ins failed lately (to any account, not necessarily yours)"
    ),
}


def unusual_code(site: Site, code: str, why: str = "") -> tuple[str, str]:
    return (
        f"{site.brand}: confirm it's you signing in",
        f"Your {site.brand} ({site.name}) one-time code is {code}.\n\n"
        "Someone entered your password correctly from a device we don't recognise"
        f"{UNUSUAL_WHY.get(why, '')}. If that was you, enter the code to finish signing in. "
        "It expires in 10 minutes.\n\n"
        "If it wasn't you, don't share the code, and reset your password at "
        f"{site.url(RESET)}.",
    )


def unusual_sign_in(site: Site) -> tuple[str, str]:
    return (
        f"{site.brand}: new sign-in confirmed",
        f"Your {site.brand} ({site.name}) account was signed in from a new device after a "
        "one-time code was entered.\n\n"
        f"If this wasn't you, reset your password at {site.url(RESET)}: every device is "
        "signed out when it is reset.\n\n" + GENUINE.format(origin=site.origin),
    )


def account_unlocked(site: Site) -> tuple[str, str]:
    return (
        f"{site.brand}: your account is unlocked",
        f"Your {site.brand} ({site.name}) account was unlocked after a one-time code "
        "confirmed it was you. Your password did not change.\n\n"
        f"If this wasn't you, reset your password now at {site.url(RESET)}.\n\n"
        + GENUINE.format(origin=site.origin),
    )
