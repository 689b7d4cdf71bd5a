"""The words of support case messages: confirmations, agents' replies, Verify it's you codes
and notices of what an agent did. Each names the site's configured origin only."""

from __future__ import annotations

from entryway.core.sites import Site
from entryway.flows.outbox.notices import GENUINE, RESET

SMS_EXCERPT = 80  # characters of an agent's reply that fit in a text beside the link
NEVER_ASK = "We will never ask for your password or for a one-time code."


def case_opened(site: Site, number: str, link: str) -> tuple[str, str]:
    return (
        f"{site.brand}: we received your request {number}",
        f"We received your request to {site.brand} Customer Service ({site.name}). Your case "
        f"number is {number}.\n\nAn agent will reply within a day. You can read the replies and "
        f"answer them here:\n\nView your case: {link}\n\nThe link shows this case only, for as "
        f"long as it is open. {NEVER_ASK}",
    )


def case_opened_sms(site: Site, number: str, link: str) -> str:
    return f"{site.brand} Customer Service: we received your request {number}. View it: {link}"


def case_reply(site: Site, number: str, reply: str, link: str) -> tuple[str, str]:
    return (
        f"{site.brand}: a reply to your case {number}",
        f"{site.brand} Customer Service replied to your case {number}:\n\n{reply}\n\n"
        f"To answer, use Your reply on the case page (replying to this email doesn't reach "
        f"us):\n\nView your case: {link}\n\n{NEVER_ASK} " + GENUINE.format(origin=site.origin),
    )


def case_reply_sms(site: Site, number: str, reply: str, link: str) -> str:
    flat = " ".join(reply.split())
    excerpt = flat if len(flat) <= SMS_EXCERPT else flat[: SMS_EXCERPT - 1].rstrip() + "…"
    return f"{site.brand} case {number}: {excerpt} Read and reply: {link}"


def case_code(site: Site, number: str, code: str) -> tuple[str, str]:
    """Verify it's you: the code and no link, so it cannot be a phishing lure."""
    return (
        f"{site.brand}: your code for case {number}",
        f"Your {site.brand} ({site.name}) one-time code is {code}.\n\n"
        f"A Customer Service agent working on case {number} asked us to send it, to confirm "
        "this account is yours. Enter it on the page of your case (not on a phone call, not in "
        "an email). It expires in 10 minutes.\n\nIf you did not contact us, don't share the "
        "code with anyone and ignore this message: nothing changes without it.",
    )


def case_code_sms(site: Site, number: str, code: str) -> str:
    return (
        f"{code} is your {site.brand} code for case {number}. Enter it on your case page only. "
        "Don't share it with anyone."
    )


def agent_action(site: Site, number: str, what: str) -> tuple[str, str]:
    """What an agent did on the account, and why the owner hears of it."""
    return (
        f"{site.brand}: Customer Service {what}",
        f"While working on case {number}, {site.brand} Customer Service ({site.name}) {what}."
        "\n\nIf you asked us for help, no action is needed. If you didn't, reset your password "
        f"at {site.url(RESET)} and reply on your case.\n\n{NEVER_ASK} "
        + GENUINE.format(origin=site.origin),
    )


def agent_action_sms(site: Site, number: str, what: str) -> str:
    return f"{site.brand} Customer Service {what} (case {number}). Not you? {site.url(RESET)}"


def case_linked(site: Site, number: str) -> tuple[str, str]:
    return (
        f"{site.brand}: case {number} is now linked to your account",
        f"A one-time code we sent to you was entered on case {number}, so {site.brand} "
        f"Customer Service ({site.name}) now knows the case is yours and replies to the "
        "contacts on your account.\n\nIf you did not contact us, someone has your code: reset "
        f"your password at {site.url(RESET)}.\n\n" + GENUINE.format(origin=site.origin),
    )


def case_linked_sms(site: Site, number: str) -> str:
    return f"{site.brand}: case {number} is now linked to your account. Not you? {site.url(RESET)}"
