"""Account recovery for someone who lost both the email and the phone, in a real browser.

1. Jane (UK) sets up verification questions, signs out and loses access: Sign in, Forgot
   your password?, I no longer have access to this email, Verify your identity, Confirm a
   recent order (read from /dev/orders), New email or mobile phone number, Enter OTP,
   Recovery requested; then the date, the old email's notice, the wait, Finish recovering
   your account, Create new password, and signing in with the new email only.
2. Jane (US) is still signed in elsewhere when someone recovers her account; This wasn't me
   from her old email cancels it and signs that browser out; the finish link never comes.
3. An unknown email walks the very same pages, in the same order, to Recovery requested.
4. The check on a 360 px screen (Sam, Canada), and This wasn't me there too.

This module runs its own demo server with waits of seconds (its clock is real: it runs in
another process). The recovery jobs run on the delivery loop every 5 seconds, so messages
are polled for with timeouts that cover a wait and two rounds of the loop; only a message
that must never come is watched for until the moment it would have come. Same conventions
as ``test_journeys.py``:
elements found by label and role, every page saved as a screenshot and given the
accessibility smoke check. Each journey uses its own demo account (none has two-step
verification, which would send the recovery to review instead of a wait).
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import (
    DEMO_PASSWORD,
    IN_FRENCH,
    Server,
    Shots,
    in_french,
    running_demo,
    site_code,
)
from tests.browser.french import expect, says, words_for
from tests.browser.test_journeys import (
    FAILED,
    MOBILE,
    account_nav,
    check_page,
    enter_identifier,
    heading,
    keep_french,
    no_sideways_scroll,
    sign_in,
)
from tests.browser.test_questions import CAR, FILM, PET, STREET, fill, open_questions
from tests.browser.test_reset import ask_for_code, no_access

pytestmark = pytest.mark.browser

expect.set_options(timeout=5000)

WAIT = timedelta(seconds=15)  # the waiting period this module's server runs with
REFUSAL_DELAY = timedelta(seconds=6)  # before "we could not verify it"
SWEEP = timedelta(seconds=5)  # how often the delivery loop weighs and moves recoveries
# Long enough for the recovery to be weighed (one round of the loop) and a little more.
WEIGHED = SWEEP.total_seconds() + 10
# Weighed, the whole wait, then one more round for the finish link, and a margin.
WAITED = (SWEEP * 2 + WAIT).total_seconds() + 10
SETTINGS = {
    "ENTRYWAY_RECOVERY_WAIT_MINUTES": str(WAIT.total_seconds() / 60),
    "ENTRYWAY_RECOVERY_WAIT_MINUTES_TWO_STEP": str(2 * WAIT.total_seconds() / 60),
    "ENTRYWAY_RECOVERY_REFUSAL_DELAY_MINUTES": str(REFUSAL_DELAY.total_seconds() / 60),
}
RECOVERED_PASSWORD = "amber-lighthouse-harvest-3"
ANSWERS = {PET: "Biscuit", STREET: "Mill Lane", FILM: "The Lion King", CAR: "Ford Fiesta"}
# Found by their addresses: the words before them are in the customer's language.
CANCEL_LINK = re.compile(r"(http\S+/recovery/cancel\?token=[A-Za-z0-9_-]+)")
FINISH_LINK = re.compile(r"(http\S+/recovery/finish\?token=[A-Za-z0-9_-]+)")
SITE_LINE = {"us": "United States", "uk": "United Kingdom", "ca": "Canada"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """This module's own demo server: waits of seconds, so a test sees a recovery through."""
    with running_demo(tmp_path_factory.mktemp("recovery-demo"), SETTINGS) as running:
        yield running


# -- helpers ------------------------------------------------------------------------------


def new_contact() -> str:
    """A fresh address that masks like every other one here: n***@example.org."""
    return f"n.{uuid.uuid4().hex[:10]}@example.org"


@dataclass(frozen=True, slots=True)
class Seen:
    """One page of the check as a person meets it, for comparing two walks."""

    path: str
    heading: str
    labels: tuple[str, ...]
    buttons: tuple[str, ...]
    text: str


def look(page: Page, shot: Shots, step: str, *, mobile: bool = False) -> Seen:
    """Smoke-check the page, save it, and note what it shows."""
    check_page(page)
    if mobile:
        no_sideways_scroll(page)
    shot(page, step)
    main = page.get_by_role("main")
    labels = tuple(
        page.evaluate(
            """() => [...document.querySelectorAll('main input:not([type=hidden])')]
                .map((e) => (e.labels.length ? e.labels[0].textContent
                    : e.getAttribute('aria-label') || e.name).trim())"""
        )
    )
    buttons = tuple(b.strip() for b in main.get_by_role("button").all_inner_texts())
    return Seen(
        path=urlsplit(page.url).path,
        heading=page.locator("h1").inner_text(),
        labels=labels,
        buttons=buttons,
        text=main.inner_text(),
    )


def set_questions(page: Page, shot: Shots, *, mobile: bool = False) -> None:
    """From Login & security: three questions with the ANSWERS; back on Login & security."""
    look(page, shot, "signed-in", mobile=mobile)
    open_questions(page, "Set")
    fill(page, [(PET, ANSWERS[PET]), (STREET, ANSWERS[STREET]), (FILM, ANSWERS[FILM])])
    look(page, shot, "set-questions", mobile=mobile)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Your verification questions were saved.")
    look(page, shot, "questions-saved", mobile=mobile)


def recent_order(page: Page, server: Server, site: str, email: str, shot: Shots) -> tuple[str, str]:
    """An order's number and total (as typed: no currency sign), read off /dev/orders in a
    tab of the same browser, as a tester would."""
    tab = page.context.new_page()
    tab.goto(server.url(site, "/dev/orders"))
    expect(heading(tab, "Demo orders")).to_be_visible()
    account = tab.get_by_role("article").filter(
        has_text=f"Site {site_code(site)} ({SITE_LINE[site_code(site)]}) · {email}"
    )
    first = account.get_by_role("listitem").first.locator("p").first.inner_text()
    # "Order 123 · 3 Nov · $12.34", or in French "... · 12,34 $" (typed as shown).
    found = re.fullmatch(r"\S+ (\S+) · .+ · \D*([0-9]+[.,][0-9]{2})\D*", first)
    assert found, first
    mobile = page.viewport_size == MOBILE
    look(tab, shot, "dev-orders", mobile=mobile)
    tab.close()
    return found.group(1), found.group(2)


@dataclass(frozen=True, slots=True)
class Check:
    """What someone who lost access types into the identity check."""

    site: str
    identifier: str  # the account's old email (or an unknown one)
    answers: Callable[[str], str]  # the answer to a question, by its text
    order: Callable[[Page], tuple[str, str]]  # an order's number and total
    contact: str  # the new email


@dataclass(frozen=True, slots=True)
class Walk:
    """A walk through the check: each page seen (question texts left out), and the questions."""

    seen: list[Seen]
    asked: list[str]


def walk_check(page: Page, server: Server, check: Check, shot: Shots) -> Walk:
    """From Sign in to Recovery requested, as someone who lost access."""
    mobile = page.viewport_size == MOBILE
    seen = []
    page.goto(server.url(check.site, "/signin"))
    expect(heading(page, "Sign in")).to_be_visible()
    page.get_by_label("Email or mobile phone number").fill(check.identifier)
    look(page, shot, "sign-in", mobile=mobile)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_label("Password", exact=True)).to_be_visible()
    look(page, shot, "password", mobile=mobile)
    page.get_by_role("link", name="Forgot your password?").click()
    expect(heading(page, "Password assistance")).to_be_visible()
    look(page, shot, "forgot-password", mobile=mobile)
    ask_for_code(page, check.identifier)
    look(page, shot, "password-assistance", mobile=mobile)
    page.get_by_role("link", name=no_access(page)).click()

    expect(heading(page, "Verify your identity")).to_be_visible()
    fields = page.get_by_role("main").get_by_role("textbox")
    expect(fields).to_have_count(3)
    asked = [page.locator(f"label[for='answer_{n}']").inner_text() for n in (1, 2, 3)]
    for question in asked:
        page.get_by_label(question, exact=True).fill(check.answers(question))
    seen.append(look(page, shot, "verify-your-identity", mobile=mobile))
    page.get_by_role("button", name="Continue").click()

    expect(heading(page, "Confirm a recent order")).to_be_visible()
    number, total = check.order(page)
    page.get_by_label("Order number").fill(number)
    page.get_by_label("Order total").fill(total)
    seen.append(look(page, shot, "confirm-a-recent-order", mobile=mobile))
    page.get_by_role("button", name="Continue").click()

    expect(heading(page, "New email or mobile phone number")).to_be_visible()
    page.get_by_label("New email or mobile phone number").fill(check.contact)
    seen.append(look(page, shot, "new-contact", mobile=mobile))
    page.get_by_role("button", name="Continue").click()

    expect(heading(page, "Enter OTP")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("n***@example.org")
    page.get_by_label("Enter OTP").fill(code_to(server, check.contact, check.site))
    seen.append(look(page, shot, "enter-otp", mobile=mobile))
    page.get_by_role("button", name="Continue").click()

    expect(heading(page, "Recovery requested")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(
        "Thank you. We'll look at your request and write to you at n***@example.org to tell you"
        " what happens next."
    )
    seen.append(look(page, shot, "recovery-requested", mobile=mobile))
    # The questions differ (the account's own, or decoys): what they are is kept apart.
    first = seen[0]
    text = first.text
    for question in asked:
        text = text.replace(question, "<question>")
    seen[0] = Seen(first.path, first.heading, ("<question>",) * 3, first.buttons, text)
    return Walk(seen, asked)


def code_to(server: Server, to: str, site: str) -> str:
    message = server.wait_for_message(
        to=to, site=site, matching=lambda m: m["kind"] == "recovery_code"
    )
    found = re.search(r"\b(\d{6})\b", message["body"])
    assert found, message
    return found.group(1)


def message(
    server: Server, to: str, site: str, kind: str, timeout: float = WEIGHED
) -> dict[str, Any]:
    return server.wait_for_message(
        to=to, site=site, matching=lambda m: m["kind"] == kind, timeout=timeout
    )


def link_in(found: dict[str, Any], pattern: re.Pattern[str], server: Server, site: str) -> str:
    """The link in a message; it must lead to the site's own origin."""
    match = pattern.search(found["body"])
    assert match, found["body"]
    link = match.group(1)
    assert link.startswith(server.origin(site) + "/recovery/"), link
    return link


def owner_check(site: str, email: str, server: Server, shot: Shots) -> Check:
    """The check as the account's owner answers it: right answers, a real order."""
    t = words_for(site)  # the questions are asked in the run's language
    answers = {t(question): answer for question, answer in ANSWERS.items()}
    return Check(
        site=site,
        identifier=email,
        answers=lambda question: answers[question],
        order=lambda page: recent_order(page, server, site, email, shot),
        contact=new_contact(),
    )


def expect_signed_out(page: Page, server: Server, site: str) -> None:
    page.goto(server.url(site, "/account"))
    expect(page).to_have_url(re.compile(re.escape(server.url(site, "/signin")) + r"(\?|$)"))
    expect(heading(page, "Sign in")).to_be_visible()


# -- 1. set up questions, lose access, wait, finish ----------------------------------------


@dataclass(frozen=True, slots=True)
class LostAccess:
    check: Check
    walk: Walk


def lose_access(page: Page, server: Server, site: str, email: str, shot: Shots) -> LostAccess:
    """The owner sets up the questions, signs out, then passes the identity check with them
    and an order of theirs: the first half of journey 1."""
    sign_in(page, server, site, email, DEMO_PASSWORD)
    keep_french(page, server, site)  # so the old email's notices are in French too
    set_questions(page, shot)
    account_nav(page).get_by_role("button", name="Sign out").click()
    expect(heading(page, "Sign in")).to_be_visible()
    check = owner_check(site, email, server, shot)
    return LostAccess(check, walk_check(page, server, check, shot))


@pytest.fixture(scope="module")
def lost_access(server: Server, browser: Any) -> Iterator[LostAccess]:
    """Jane (UK) loses access (``lose_access``); journey 3 compares its pages with these."""
    shot = Shots("recovery-lost-access")
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(5000)
    try:
        yield lose_access(context.new_page(), server, "uk", "jane@example.com", shot)
    finally:
        context.close()


@pytest.fixture(scope="module")
def canada_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of its own for the journey in French: the Canada site has one demo account
    with orders (Sam), and journey 4 needs him too."""
    with running_demo(tmp_path_factory.mktemp("recovery-demo-ca"), SETTINGS) as running:
        yield running


# Whose access is lost, by the test's site: journey 1 in English (Jane, UK), and in French.
LOSES_ACCESS = {"uk": "jane@example.com", IN_FRENCH: "sam@example.ca"}


@pytest.mark.parametrize("site", ["uk", IN_FRENCH])
def test_lose_access_wait_and_finish(
    site: str, request: pytest.FixtureRequest, new_context: Any, shot: Shots
) -> None:
    old = LOSES_ACCESS[site]
    if in_french(site):
        server: Server = request.getfixturevalue("canada_server")
        lost = lose_access(new_context().new_page(), server, site, old, shot)
    else:
        server = request.getfixturevalue("server")
        lost = request.getfixturevalue("lost_access")
    new = lost.check.contact
    # Told at once that we will write again, then the date once the check is weighed.
    received = message(server, new, site, "recovery_received")
    assert says(received["subject"], "we received your account recovery request", site)
    scheduled = message(server, new, site, "recovery_scheduled")
    assert says(scheduled["subject"], "can be finished after", site)
    # The old email hears of it, with its own This wasn't me link.
    notice = message(server, old, site, "recovery_notice")
    assert says(notice["subject"], "someone asked to recover your account", site)
    assert "n***@example.org" in notice["body"] and new not in notice["body"]
    link_in(notice, CANCEL_LINK, server, site)

    # Once the wait is over: Finish recovering your account, to the new email only.
    finish = message(server, new, site, "recovery_finish", timeout=WAITED)
    assert says(finish["subject"], "finish recovering your account", site)
    assert not [m for m in server.messages() if m["kind"] == "recovery_finish" and m["to"] == old]
    page = new_context().new_page()
    page.goto(link_in(finish, FINISH_LINK, server, site))
    expect(page).to_have_url(server.url(site, "/recovery/finish/password"))  # token gone
    expect(heading(page, "Create new password")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("n***@example.org")
    page.get_by_label("New password").fill(RECOVERED_PASSWORD)
    page.get_by_label("Re-enter password").fill(RECOVERED_PASSWORD)
    look(page, shot, "create-new-password")
    page.set_viewport_size(MOBILE)
    look(page, shot, "create-new-password-360", mobile=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_role("button", name="Save changes").click()

    expect(heading(page, "Your account is recovered")).to_be_visible()
    done = page.get_by_role("main")
    expect(done).to_contain_text(
        "Your new password is saved, and n***@example.org is now your account's email address:"
        " we've taken the old ones off."
    )
    expect(done).to_contain_text("set it up again")
    look(page, shot, "recovered")
    page.set_viewport_size(MOBILE)
    look(page, shot, "recovered-360", mobile=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    told = message(server, old, site, "recovery_ended")
    assert says(told["subject"], "recovered with a new contact", site)

    # Never signed in by the recovery: the old email no longer works, the new one does.
    page.get_by_role("main").get_by_role("link", name="Sign in").click()
    expect(heading(page, "Sign in")).to_be_visible()
    enter_identifier(page, old)
    page.get_by_label("Password", exact=True).fill(RECOVERED_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text(FAILED)
    look(page, shot, "old-email-refused")
    page.get_by_role("link", name="Change").click()
    enter_identifier(page, new)
    page.get_by_label("Password", exact=True).fill(RECOVERED_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(heading(page, "Login & security")).to_be_visible()
    main = page.get_by_role("main")
    expect(main).to_contain_text(new)
    expect(main).not_to_contain_text(old)
    expect(page.get_by_role("table")).to_contain_text("Account recovered with a new email or phone")
    look(page, shot, "signed-in-with-new-email")
    # The finish link worked once.
    page.goto(link_in(finish, FINISH_LINK, server, site))
    expect(heading(page, "This link can't be used any more")).to_be_visible()
    look(page, shot, "finish-link-used")


# -- 2. the old contact cancels -----------------------------------------------------------


def test_old_contact_cancels(server: Server, new_context: Any, shot: Shots) -> None:
    site, old = "us", "jane@example.com"
    # Jane sets up her questions and stays signed in on this browser.
    owner = new_context().new_page()
    sign_in(owner, server, site, old, DEMO_PASSWORD)
    set_questions(owner, shot)

    # Someone else (who knows her answers and an order) asks to recover her account.
    check = owner_check(site, old, server, shot)
    requester = new_context().new_page()
    walk_check(requester, server, check, shot)
    notice = message(server, old, site, "recovery_notice")
    started = datetime.fromisoformat(notice["created_at"])
    scheduled = message(server, check.contact, site, "recovery_scheduled")
    assert "can be finished after" in scheduled["subject"]
    # Her phone hears of it too, with a link of its own.
    text = message(server, "+12015550123", site, "recovery_notice")
    assert "/recovery/cancel?token=" in text["body"]

    # From her old email: This wasn't me, on another browser (her phone, say).
    mail = new_context().new_page()
    link = link_in(notice, CANCEL_LINK, server, site)
    mail.goto(link)
    expect(mail).to_have_url(server.url(site, "/recovery/cancel/confirm"))  # token gone
    expect(heading(mail, "Someone asked to recover your account")).to_be_visible()
    look(mail, shot, "this-wasnt-me")
    mail.set_viewport_size(MOBILE)
    look(mail, shot, "this-wasnt-me-360", mobile=True)
    mail.set_viewport_size({"width": 1280, "height": 800})
    mail.get_by_role("button", name="Cancel the recovery").click()
    expect(heading(mail, "Recovery cancelled")).to_be_visible()
    look(mail, shot, "recovery-cancelled")

    # Stopped: the browser she was signed in on is signed out, and both sides are told.
    expect_signed_out(owner, server, site)
    look(owner, shot, "owner-signed-out")
    stopped = message(server, check.contact, site, "recovery_ended")
    assert "your account recovery was stopped" in stopped["subject"]
    to_old = message(server, old, site, "recovery_ended")
    assert "was stopped" in to_old["subject"]
    # The link did its one job.
    mail.goto(link)
    expect(heading(mail, "This link can't be used any more")).to_be_visible()
    look(mail, shot, "cancel-link-used")

    # The finish link never comes, even after the wait and two more rounds of the loop.
    deadline = started + WAIT + SWEEP * 2
    while True:
        sent = {m["kind"] for m in server.messages() if m["to"] == check.contact}
        assert "recovery_finish" not in sent, sent
        if datetime.now(UTC) > deadline:
            break
        time.sleep(0.5)


# -- 3. the decoy -------------------------------------------------------------------------


def test_unknown_email_gets_the_same_pages(
    lost_access: LostAccess, server: Server, page: Page, shot: Shots
) -> None:
    site = "uk"
    nobody = f"nobody.{uuid.uuid4().hex[:8]}@example.com"
    decoy = Check(
        site=site,
        identifier=nobody,
        answers=lambda question: "Rex",
        order=lambda page: ("UK-12345678", "23.40"),
        contact=new_contact(),
    )
    walk = walk_check(page, server, decoy, shot)
    # The same pages in the same order, with the same words, labels and buttons.
    assert [s.path for s in walk.seen] == [s.path for s in lost_access.walk.seen]
    for mine, real in zip(walk.seen, lost_access.walk.seen, strict=True):
        assert mine == real
    assert len(set(walk.asked)) == 3
    # A code came, and then Recovery received, worded as for the real account.
    received = message(server, decoy.contact, site, "recovery_received")
    real = message(server, lost_access.check.contact, site, "recovery_received")
    assert (received["subject"], received["body"]) == (real["subject"], real["body"])
    # After the delay a refusal takes: we could not verify it (never a date, never a link).
    later = message(
        server,
        decoy.contact,
        site,
        "recovery_unverified",
        timeout=REFUSAL_DELAY.total_seconds() + 10,
    )
    assert "we could not verify your account recovery request" in later["subject"]
    assert "/recovery/" not in later["body"]
    kinds = {m["kind"] for m in server.messages() if m["to"] == decoy.contact}
    assert kinds == {"recovery_code", "recovery_received", "recovery_unverified"}, kinds

    # The decoy questions stay the same for that email.
    page.goto(server.url(site, "/recovery"))
    expect(heading(page, "Recover your account")).to_be_visible()
    page.get_by_label("Email or mobile phone number").fill(nobody)
    look(page, shot, "recover-your-account")
    page.get_by_role("button", name="Continue").click()
    expect(heading(page, "Verify your identity")).to_be_visible()
    again = [page.locator(f"label[for='answer_{n}']").inner_text() for n in (1, 2, 3)]
    assert again == walk.asked
    look(page, shot, "verify-your-identity-again")


# -- 4. on a small screen -----------------------------------------------------------------


def test_recovery_on_a_small_screen(server: Server, new_context: Any, shot: Shots) -> None:
    site, old = "ca", "sam@example.ca"
    phone = new_context(viewport=MOBILE, is_mobile=True, has_touch=True).new_page()
    sign_in(phone, server, site, old, DEMO_PASSWORD)
    set_questions(phone, shot, mobile=True)
    account_nav(phone).get_by_role("button", name="Sign out").click()
    expect(heading(phone, "Sign in")).to_be_visible()
    check = owner_check(site, old, server, shot)
    walk_check(phone, server, check, shot)

    # The old email's This wasn't me, on a phone too; it ends this recovery.
    notice = message(server, old, site, "recovery_notice")
    mail = new_context(viewport=MOBILE, is_mobile=True, has_touch=True).new_page()
    mail.goto(link_in(notice, CANCEL_LINK, server, site))
    expect(heading(mail, "Someone asked to recover your account")).to_be_visible()
    look(mail, shot, "this-wasnt-me", mobile=True)
    mail.get_by_role("button", name="Cancel the recovery").click()
    expect(heading(mail, "Recovery cancelled")).to_be_visible()
    look(mail, shot, "recovery-cancelled", mobile=True)
