"""The words of suspension messages: the statement of reasons, a formal warning, and a
suspension lifted. The statement carries every part a customer is owed (what we did and
for how long, the facts, the ground and the clause of the terms, whether automated means
were used, and how to contest it); each names the site's configured origin only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from entryway.core.local_time import site_time
from entryway.core.sites import Site
from entryway.flows.outbox.notices import CONTACT

if TYPE_CHECKING:
    from entryway.flows.trust.measures import Statement

SIGN_IN = "/signin"
AUTOMATED = "Automated means flagged this account; a person decided."
BY_PEOPLE = "Our team found this without automated means."
NEVER_ASK = "We will never ask for your password or for a one-time code."


def _ground(statement: Statement) -> str:
    why = f"Why: {statement.title}." + (
        f" {statement.explanation}" if statement.explanation else ""
    )
    if not statement.terms_section:
        return why
    return f"{why}\nThis rests on section {statement.terms_section} of our terms."


def _how(statement: Statement) -> str:
    return AUTOMATED if statement.automated else BY_PEOPLE


def _contact(site: Site) -> str:
    return f"contact {site.brand} Customer Service at {site.url(CONTACT)}"


def suspension_statement(
    site: Site, statement: Statement, appeal_url: str | None
) -> tuple[str, str]:
    """The statement of reasons for a suspension, with Appeal this decision when it allows one."""
    if statement.until is not None:
        duration = f"Until {site_time(statement.until, site)}."
    else:
        duration = "Indefinite: it has no end date. It stays until we lift it."
    if appeal_url and statement.appeal_until is not None:
        redress = (
            f"Appeal this decision: {appeal_url}\nYou can appeal until "
            f"{site_time(statement.appeal_until, site)}. A person on our team reads every "
            "appeal and writes to you with the decision."
        )
    else:
        redress = (
            f"This decision cannot be appealed here. If you think it is wrong, {_contact(site)}."
        )
    return (
        f"{site.brand}: your account is suspended",
        f"We suspended your {site.brand} account on {site.name}. Every device was signed "
        "out, and the account cannot be signed in to while the suspension lasts.\n\n"
        f"What we did: suspension of the account on {site.name}. {statement.scope_label}.\n"
        f"How long: {duration}\n"
        f"What we found: {statement.facts}\n"
        f"{_ground(statement)}\n"
        f"How we found it: {_how(statement)}\n\n"
        f"{redress}\n\n{NEVER_ASK}",
    )


def suspension_statement_sms(site: Site, appeal_url: str | None) -> str:
    """A short pointer to the notice, for an account with no verified email."""
    if appeal_url:
        return (
            f"{site.brand}: your account on {site.name} is suspended. "
            f"Why, and how to appeal: {appeal_url}"
        )
    return (
        f"{site.brand}: your account on {site.name} is suspended. Sign in at "
        f"{site.url(SIGN_IN)} to read why."
    )


def warning_statement(site: Site, statement: Statement) -> tuple[str, str]:
    """A formal warning: the same statement, nothing changes on the account."""
    return (
        f"{site.brand}: a formal warning about your account",
        f"We are sending a formal warning about your {site.brand} account on {site.name}. "
        "Nothing changes on the account: you can still sign in and use it as before. If it "
        "happens again, we may suspend the account.\n\n"
        f"What we found: {statement.facts}\n"
        f"{_ground(statement)}\n"
        f"How we found it: {_how(statement)}\n\n"
        f"If you think this is wrong, {_contact(site)}.\n\n{NEVER_ASK}",
    )


def warning_statement_sms(site: Site) -> str:
    return (
        f"{site.brand}: a formal warning about your account on {site.name}. Nothing changes "
        f"on the account. Questions? {site.url(CONTACT)}"
    )


def suspension_lifted(site: Site, reason: str) -> tuple[str, str]:
    """The suspension was lifted (an error, or reinstated on appeal)."""
    return (
        f"{site.brand}: you can sign in again",
        f"We lifted the suspension of your {site.brand} account on {site.name}.\n\n"
        f"Why: {reason}\n\n"
        f"You can sign in again at {site.url(SIGN_IN)}. The devices that were signed out "
        f"when the account was suspended stay signed out: sign in again on each.\n\n{NEVER_ASK}",
    )


def suspension_lifted_sms(site: Site) -> str:
    return (
        f"{site.brand}: the suspension of your account was lifted. You can sign in again at "
        f"{site.url(SIGN_IN)}."
    )
