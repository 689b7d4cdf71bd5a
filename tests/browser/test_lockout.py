"""Locked for unusual activity, in a real browser: the lock, the unlock link, unusual sign-in.

This module runs its own demo server with a quicker policy (locked at the 5th failure, no
progressive delay before that), so the journeys take seconds instead of minutes while the
other browser modules keep the defaults. The per-address limits are raised out of reach:
every test here fails from 127.0.0.1, and what is tested is the account's own budget.

Every test locks or challenges its own account (jane on the US site for the full journey,
sam on the Canada site for it in French, accounts created through the pages for the rest),
so the tests don't interfere. Same conventions as ``test_journeys.py``: elements found by
label and role, every page saved as a screenshot and given the accessibility smoke check.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, ViewportSize

from tests.browser.conftest import (
    BRAND,
    CODE,
    DEMO_PASSWORD,
    IN_FRENCH,
    Server,
    Shots,
    in_french,
    running_demo,
)
from tests.browser.french import expect, words_for
from tests.browser.test_journeys import (
    DEMO,
    FAILED,
    NEW_PASSWORD,
    account_nav,
    check_page,
    enter_identifier,
    heading,
    keep_french,
    no_sideways_scroll,
    register,
    sign_in,
    unique_email,
)

pytestmark = pytest.mark.browser

expect.set_options(timeout=5000)

LOCK_AFTER = 5
UNUSUAL_AFTER = 3  # the default
POLICY = {
    "ENTRYWAY_LOCK_AFTER_FAILURES": str(LOCK_AFTER),
    "ENTRYWAY_DELAY_AFTER_FAILURES": "50",  # never reached: no waiting between tries
    "ENTRYWAY_UNUSUAL_AFTER_FAILURES": str(UNUSUAL_AFTER),
    "ENTRYWAY_IP_UNUSUAL_AFTER": "1000",
    "ENTRYWAY_IP_REFUSE_AFTER": "1000",
}
LOCKED_HEADING = "Your account is locked"
LOCKED = "This account is locked because of unusual activity"
UNLOCKED = "Your account is unlocked and your new password is saved."
UNLOCK_PASSWORD = "amber-lighthouse-canvas-3"
CONFIRM_HEADING = "Confirm it's you"
WRONG_CODE = "That code isn't right. Check the latest message and try again."
NewContext = Callable[..., Any]
MOBILE: ViewportSize = {"width": 360, "height": 740}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """This module's own demo server, with the quick lockout policy."""
    with running_demo(tmp_path_factory.mktemp("demo-lockout"), POLICY) as running:
        yield running


# -- helpers ------------------------------------------------------------------------------


def wrong_password(page: Page, attempt: int) -> None:
    page.get_by_label("Password", exact=True).fill(f"not-my-password-{attempt}")
    page.get_by_role("button", name="Sign in").click()


def expect_failed(page: Page) -> None:
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("There was a problem")
    expect(alert).to_contain_text(FAILED)


def expect_locked(page: Page) -> None:
    expect(page).to_have_url(re.compile(r"/signin/password"))
    expect(heading(page, "Sign in")).to_be_visible()
    alert = page.get_by_role("alert")
    expect(alert.get_by_role("heading", name=LOCKED_HEADING, exact=True)).to_be_visible()
    expect(alert).to_contain_text(LOCKED)
    expect(alert).not_to_contain_text(FAILED)
    expect(alert.get_by_role("link", name="Forgot your password?")).to_be_visible()
    # No password box that cannot work, and the way out is offered once.
    expect(page.get_by_label("Password", exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="Forgot your password?")).to_have_count(1)


def lock_account(
    page: Page, server: Server, site: str, identifier: str, shot: Shots | None = None
) -> None:
    """Wrong passwords from ``page``'s browser until the account locks (the last one)."""
    page.goto(server.url(site, "/signin"))
    enter_identifier(page, identifier)
    for attempt in range(1, LOCK_AFTER):
        wrong_password(page, attempt)
        expect_failed(page)
        if shot and attempt == 1:
            check_page(page)
            shot(page, "wrong-password")
    wrong_password(page, LOCK_AFTER)
    expect_locked(page)


def sign_in_attempt(page: Page, server: Server, site: str, identifier: str, password: str) -> None:
    page.goto(server.url(site, "/signin"))
    enter_identifier(page, identifier)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def lock_email(server: Server, to: str, site: str) -> dict[str, Any]:
    message = server.wait_for_message(
        to=to, site=site, matching=lambda m: m["kind"] == "account_locked"
    )
    assert message["channel"] == "email"
    assert message["subject"] == words_for(site)(f"{BRAND}: your account is locked")
    return message


def unlock_link(message: dict[str, Any]) -> str:
    """The unlock link, found by its address (the sentence before it is in the customer's
    language)."""
    found = re.search(r"(\S+/unlock\?token=[A-Za-z0-9_\-]+)$", message["body"], re.MULTILINE)
    assert found, message["body"]
    return found.group(1)


def code_in(server: Server, to: str, site: str, kind: str, after: set[Any]) -> str:
    """The code in the first message of ``kind`` to ``to`` that was not in ``after``."""
    message = server.wait_for_message(
        to=to, site=site, matching=lambda m: m["kind"] == kind and m["id"] not in after
    )
    found = CODE.search(message["body"])
    assert found, message
    return found.group(1)


def message_ids(server: Server) -> set[Any]:
    return {m["id"] for m in server.messages()}


def expect_unlock_choices(page: Page, server: Server, site: str, *options: str) -> None:
    expect(page).to_have_url(server.url(site, "/unlock/choose"))
    expect(heading(page, "Unlock your account")).to_be_visible()
    expect(page.get_by_role("radio")).to_have_count(len(options))
    for option in options:
        expect(page.get_by_role("radio", name=option, exact=True)).to_be_visible()


def expect_link_expired(page: Page, server: Server, site: str) -> None:
    expect(page).to_have_url(server.url(site, "/unlock/expired"))
    expect(heading(page, "Unlock your account")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("This unlock link was used already")
    expect(page.get_by_role("link", name="Forgot your password?")).to_be_visible()


# -- 1. the whole journey: locked, unlock link, identity check, new password ---------------


# Who is locked out on each site, and where the account can be sent a code.
LOCKED_OUT = {
    "us": (
        "Jane Doe",
        (
            "Email it to j***@example.com",
            "Text it to •••-•••-0123",
            "Call •••-•••-0123 and read it out",
        ),
    ),
    IN_FRENCH: ("Sam Tremblay", ("Email it to s***@example.ca",)),
}


@pytest.mark.parametrize("site", ["us", IN_FRENCH])
def test_lock_and_unlock(
    site: str, server: Server, page: Page, shot: Shots, new_context: NewContext
) -> None:
    email, (name, choices) = DEMO[site][0], LOCKED_OUT[site]
    if in_french(site):  # the lock email is written in the account's own language
        owner = new_context().new_page()
        sign_in(owner, server, site, email)
        keep_french(owner, server, site)
        owner.context.close()
    before = message_ids(server)

    lock_account(page, server, site, email, shot)
    check_page(page)
    shot(page, "locked")
    # Refused before the password is looked at: the right one gets the same answer (typed
    # on a fresh password page: the locked page has no box for it).
    page.goto(server.url(site, "/signin/password"))
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect_locked(page)
    # The notice on a phone-sized screen.
    page.set_viewport_size(MOBILE)
    no_sideways_scroll(page)
    shot(page, "locked-mobile")

    # One email, from the site's own address, with the unlock link.
    message = lock_email(server, email, site)
    assert message["id"] not in before
    locks = [m for m in server.messages() if m["kind"] == "account_locked" and m["to"] == email]
    assert len(locks) == 1, "a second try on a locked account must not send another email"
    link = unlock_link(message)
    assert link.startswith(server.url(site, "/unlock?token="))

    # The link, opened in another browser (where the email was read).
    mail_reader = new_context().new_page()
    mail_reader.goto(link)
    expect_unlock_choices(mail_reader, server, site, *choices)
    assert "token" not in mail_reader.url
    expect(mail_reader.get_by_role("main")).to_contain_text("let's make sure it's you")
    check_page(mail_reader)
    shot(mail_reader, "unlock-choose")
    sent_before = message_ids(server)
    mail_reader.get_by_role("radio", name=choices[0]).check()
    mail_reader.get_by_role("button", name="Continue").click()

    expect(mail_reader).to_have_url(server.url(site, "/unlock/code"))
    expect(heading(mail_reader, "Unlock your account")).to_be_visible()
    expect(mail_reader.get_by_role("main")).to_contain_text(f"{email[0]}***@{email.split('@')[1]}")
    expect(mail_reader.get_by_role("button", name="Resend OTP")).to_be_visible()
    check_page(mail_reader)
    mail_reader.get_by_label("Enter OTP").fill(
        code_in(server, email, site, "unlock_code", sent_before)
    )
    shot(mail_reader, "unlock-code")
    mail_reader.get_by_role("button", name="Continue").click()

    expect(mail_reader).to_have_url(server.url(site, "/unlock/new"))
    expect(heading(mail_reader, "Create new password")).to_be_visible()
    expect(mail_reader.get_by_role("main")).to_contain_text("someone tried to guess your password")
    expect(mail_reader.get_by_role("button", name="Keep my current password")).to_have_count(0)
    mail_reader.get_by_label("New password").fill(UNLOCK_PASSWORD)
    mail_reader.get_by_label("Re-enter password").fill(UNLOCK_PASSWORD)
    check_page(mail_reader)
    shot(mail_reader, "unlock-new-password")
    mail_reader.get_by_role("button", name="Save changes").click()

    expect(mail_reader).to_have_url(server.url(site, "/signin?unlocked=new"))
    expect(heading(mail_reader, "Sign in")).to_be_visible()
    expect(mail_reader.get_by_role("status")).to_contain_text(UNLOCKED)
    check_page(mail_reader)
    shot(mail_reader, "unlocked")

    # The old password is gone (the first browser is told so, not that it is locked) ...
    sign_in_attempt(page, server, site, email, DEMO_PASSWORD)
    expect_failed(page)
    shot(page, "old-password-refused")

    # ... and the new one signs in. Unlocking cleared the count, so there is no code to enter.
    mail_reader.get_by_label("Email or mobile phone number").fill(email)
    mail_reader.get_by_role("button", name="Continue").click()
    mail_reader.get_by_label("Password", exact=True).fill(UNLOCK_PASSWORD)
    shot(mail_reader, "sign-in-new-password")
    mail_reader.get_by_role("button", name="Sign in").click()
    expect(mail_reader).to_have_url(server.url(site, "/account"))
    expect(heading(mail_reader, "Login & security")).to_be_visible()
    expect(account_nav(mail_reader).get_by_role("link", name=name)).to_be_visible()
    activity = mail_reader.get_by_role("table")
    for what in (
        "Failed sign-in attempt",
        "Account locked after unusual activity",
        "Unlock link opened",
        "Password reset",
        "Account unlocked",
    ):
        expect(activity).to_contain_text(what)
    check_page(mail_reader)
    shot(mail_reader, "signed-in")

    # The lock email is in the Message Center, so it can be checked; its token is not.
    token = link.partition("token=")[2]
    mail_reader.goto(server.url(site, "/account/messages"))
    expect(heading(mail_reader, "Message Center")).to_be_visible()
    lock_message = mail_reader.get_by_role("article").filter(
        has=mail_reader.get_by_role("heading", name=f"{BRAND}: your account is locked")
    )
    expect(lock_message).to_have_count(1)
    expect(lock_message).to_contain_text(server.url(site, "/unlock?token=hidden"))
    expect(mail_reader.get_by_role("main")).not_to_contain_text(token)
    check_page(mail_reader)
    shot(mail_reader, "message-center")


# -- 2. the lock email names the site's own address ---------------------------------------


@pytest.mark.parametrize("site", ["us", "uk"])
def test_unlock_link_uses_site_origin(
    site: str, server: Server, page: Page, shot: Shots, new_context: NewContext
) -> None:
    email = unique_email("lou", site)
    register(page, server, site, "Lou Martin", email)

    # The guesser's browser claims another host through forwarding headers (the demo trusts
    # no proxy): the link must still point at the site's configured origin.
    guesser = new_context(
        extra_http_headers={
            "X-Forwarded-Host": "evil.example",
            "X-Forwarded-Proto": "https",
            "Forwarded": "host=evil.example;proto=https",
        }
    ).new_page()
    lock_account(guesser, server, site, email)
    expect(guesser.get_by_role("alert")).not_to_contain_text("evil.example")
    check_page(guesser)
    shot(guesser, "locked")

    message = lock_email(server, email, site)
    assert "evil.example" not in message["body"]
    link = unlock_link(message)
    assert re.fullmatch(re.escape(server.url(site, "/unlock?token=")) + r"[A-Za-z0-9_\-]+", link)
    # Every other address in the email is the site's own, too.
    for url in re.findall(r"https?://[^\s)]+", message["body"]):
        assert url.startswith(server.origin(site)), url

    # The link works on its own site, and only there.
    other = "uk" if site == "us" else "us"
    elsewhere = new_context().new_page()
    elsewhere.goto(link.replace(server.origin(site), server.origin(other)))
    expect_link_expired(elsewhere, server, other)
    shot(elsewhere, "other-site-refuses-link")
    elsewhere.goto(link)
    expect_unlock_choices(elsewhere, server, site, f"Email it to l***@{email.partition('@')[2]}")
    shot(elsewhere, "unlock-choose")


# -- 3. unusual sign-in: a right password after failures, from a new browser --------------


@pytest.mark.parametrize("site", ["us", IN_FRENCH])
def test_unusual_sign_in(
    site: str, server: Server, page: Page, shot: Shots, new_context: NewContext
) -> None:
    email = unique_email("uma", site)
    register(page, server, site, "Uma Patel", email)

    # A browser that never signed in to this account, after a few failures.
    stranger = new_context().new_page()
    stranger.goto(server.url(site, "/account/messages"))
    expect(stranger).to_have_url(re.compile(r"/signin\?return_to=%2Faccount%2Fmessages$"))
    enter_identifier(stranger, email)
    for attempt in range(1, UNUSUAL_AFTER + 1):
        wrong_password(stranger, attempt)
        expect_failed(stranger)
    sent_before = message_ids(server)
    stranger.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    stranger.get_by_role("button", name="Sign in").click()

    expect(stranger).to_have_url(re.compile(r"/signin/confirm\?return_to=%2Faccount%2Fmessages$"))
    expect(heading(stranger, CONFIRM_HEADING)).to_be_visible()
    main = stranger.get_by_role("main")
    expect(main).to_contain_text(  # with the reason
        "Your password was right, but we don't recognise this device and there were failed"
        " attempts to sign in to your account lately, so we need to check it's you."
    )
    expect(main).to_contain_text("u***@example.com")
    expect(stranger.get_by_role("button", name="Resend OTP")).to_be_visible()
    check_page(stranger)
    shot(stranger, "confirm")
    stranger.set_viewport_size(MOBILE)
    no_sideways_scroll(stranger)
    shot(stranger, "confirm-mobile")
    message = server.wait_for_message(
        to=email,
        site=site,
        matching=lambda m: m["kind"] == "unusual_sign_in_code" and m["id"] not in sent_before,
    )
    assert message["subject"] == words_for(site)(f"{BRAND}: confirm it's you signing in")
    right = CODE.search(message["body"])
    assert right, message

    stranger.get_by_label("Enter OTP").fill(right.group(1))
    stranger.get_by_role("button", name="Continue").click()
    expect(stranger).to_have_url(server.url(site, "/account/messages"))
    expect(heading(stranger, "Message Center")).to_be_visible()
    expect(account_nav(stranger).get_by_role("link", name="Uma Patel")).to_be_visible()
    # The owner is told, and the code itself is not shown.
    expect(stranger.get_by_role("main")).to_contain_text(f"{BRAND}: new sign-in confirmed")
    expect(stranger.get_by_role("main")).not_to_contain_text(right.group(1))
    check_page(stranger)
    shot(stranger, "signed-in")

    # That browser is recognised from now on: no code the next time.
    account_nav(stranger).get_by_role("button", name="Sign out").click()
    expect(heading(stranger, "Sign in")).to_be_visible()
    sign_in(stranger, server, site, email, NEW_PASSWORD)


def test_unusual_sign_in_right_password_not_counted(
    server: Server, page: Page, shot: Shots, new_context: NewContext
) -> None:
    """A right password sent to "Confirm it's you" is not a failure: typing it again and
    again never locks the account (nor, as it once did, reads as locked with no email)."""
    site = "us"
    email = unique_email("una", site)
    register(page, server, site, "Una Berg", email)

    stranger = new_context().new_page()
    stranger.goto(server.url(site, "/signin"))
    enter_identifier(stranger, email)
    for attempt in range(1, UNUSUAL_AFTER + 1):
        wrong_password(stranger, attempt)
        expect_failed(stranger)
    # The right password twice (the customer went back and signed in again): 3 failures.
    for _ in range(2):
        sent_before = message_ids(server)
        sign_in_attempt(stranger, server, site, email, NEW_PASSWORD)
        expect(heading(stranger, CONFIRM_HEADING)).to_be_visible()
        right = code_in(server, email, site, "unusual_sign_in_code", sent_before)
    shot(stranger, "confirm")

    # One wrong code: the 4th failure, one below the lock.
    stranger.get_by_label("Enter OTP").fill(f"{(int(right) + 1) % 1_000_000:06d}")
    stranger.get_by_role("button", name="Continue").click()
    expect(heading(stranger, CONFIRM_HEADING)).to_be_visible()
    shot(stranger, "confirm-wrong-code")
    expect(stranger.locator("#code-error")).to_have_text(WRONG_CODE)
    expect(stranger.get_by_label("Enter OTP")).to_have_attribute("aria-invalid", "true")

    stranger.get_by_label("Enter OTP").fill(right)
    stranger.get_by_role("button", name="Continue").click()
    expect(heading(stranger, "Login & security")).to_be_visible()
    assert not [m for m in server.messages() if m["to"] == email and m["kind"] == "account_locked"]


# -- 4. a recognised browser still signs in while the account is locked -------------------


def test_recognised_browser_not_locked_out(
    server: Server, page: Page, shot: Shots, new_context: NewContext
) -> None:
    site = "us"
    email = unique_email("rey", site)
    register(page, server, site, "Rey Costa", email)
    account_nav(page).get_by_role("button", name="Sign out").click()
    # The owner's usual browser: it has signed in with the password before.
    sign_in(page, server, site, email, NEW_PASSWORD)
    account_nav(page).get_by_role("button", name="Sign out").click()
    expect(heading(page, "Sign in")).to_be_visible()

    guesser = new_context().new_page()
    lock_account(guesser, server, site, email)
    shot(guesser, "locked")
    lock_email(server, email, site)

    # The owner's browser signs in as usual, with no code to enter.
    page.goto(server.url(site, "/signin"))
    enter_identifier(page, email)
    expect(page.get_by_role("alert")).to_have_count(0)
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(server.url(site, "/account"))
    expect(heading(page, "Login & security")).to_be_visible()
    check_page(page)
    shot(page, "recognised-signed-in")

    # The lock still holds everywhere else, even for the right password.
    guesser.goto(server.url(site, "/signin/password"))
    guesser.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    guesser.get_by_role("button", name="Sign in").click()
    expect_locked(guesser)
    stranger = new_context().new_page()
    sign_in_attempt(stranger, server, site, email, NEW_PASSWORD)
    expect_locked(stranger)
    shot(stranger, "still-locked-elsewhere")


# -- 5. an unlock link works once ---------------------------------------------------------


def test_used_unlock_link(server: Server, page: Page, shot: Shots, new_context: NewContext) -> None:
    site = "us"
    email = unique_email("ivy", site)
    register(page, server, site, "Ivy Chen", email)
    guesser = new_context().new_page()
    lock_account(guesser, server, site, email)
    link = unlock_link(lock_email(server, email, site))
    choice = "Email it to i***@example.com"

    # Only opening the link (as a mail scanner would) does not use it up ...
    scanner = new_context().new_page()
    scanner.goto(link)
    expect_unlock_choices(scanner, server, site, choice)

    # ... picking where the code goes does (the owner is on a phone).
    owner = new_context(viewport=MOBILE).new_page()
    owner.goto(link)
    expect_unlock_choices(owner, server, site, choice)
    no_sideways_scroll(owner)
    shot(owner, "unlock-choose-mobile")
    owner.get_by_role("radio", name=choice).check()
    owner.get_by_role("button", name="Continue").click()
    expect(owner).to_have_url(server.url(site, "/unlock/code"))
    expect(owner.get_by_label("Enter OTP")).to_be_visible()
    no_sideways_scroll(owner)
    shot(owner, "unlock-code-mobile")

    again = new_context().new_page()
    again.goto(link)
    expect_link_expired(again, server, site)
    check_page(again)
    shot(again, "link-used")
    # The browser that opened it before the pick cannot go on either.
    scanner.get_by_role("radio", name=choice).check()
    scanner.get_by_role("button", name="Continue").click()
    expect_link_expired(scanner, server, site)

    # A made-up token looks the same.
    again.goto(server.url(site, "/unlock?token=not-a-real-token"))
    expect_link_expired(again, server, site)
    again.set_viewport_size(MOBILE)
    no_sideways_scroll(again)
    shot(again, "link-expired-mobile")
