"""Password assistance in a real browser: a one-time code by email or text, a new password.

Tests that change a password register their own account, so the demo accounts keep theirs.
Codes are read from the demo outbox. Same conventions as ``test_journeys.py``: elements found
by label and role, every page saved as a screenshot and given the accessibility smoke check.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import CODE, Server, Shots
from tests.browser.french import expect, one_of
from tests.browser.test_journeys import (
    FAILED,
    NEW_PASSWORD,
    SITES,
    WITH_FRENCH,
    account_nav,
    check_page,
    enter_identifier,
    heading,
    register,
    sign_in,
    unique_email,
)

pytestmark = pytest.mark.browser

expect.set_options(timeout=5000)

RESET_PASSWORD = "copper-kettle-orchard-9"
WRONG_CODE = "That code isn't right. Check the latest message and try again."
RESET_DONE = "Your password was changed and every device was signed out."
NO_ACCESS = "I no longer have access to this phone number/email"
NO_ACCESS_EMAIL = "I no longer have access to this email"


def no_access(page: Page) -> re.Pattern[str]:
    """The no-access link: its label names what the account has (both contacts, only an
    email or only a phone)."""
    return one_of(page, NO_ACCESS, NO_ACCESS_EMAIL, "I no longer have access to this phone number")


# -- helpers ------------------------------------------------------------------------------


def reset_code(server: Server, to: str, site: str, channel: str = "email") -> str:
    """The code in the newest password-reset message to ``to`` over ``channel``."""
    message = server.wait_for_message(
        to=to,
        site=site,
        matching=lambda m: m["kind"] == "reset_code" and m["channel"] == channel,
    )
    found = CODE.search(message["body"])
    assert found, message
    return found.group(1)


def ask_for_code(page: Page, identifier: str) -> None:
    """On Password assistance: submit the identifier (lands on the choice or the code page)."""
    expect(heading(page, "Password assistance")).to_be_visible()
    page.get_by_label("Email or mobile phone number").fill(identifier)
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/password/forgot/(choose|code)$"))


def expect_code_page(page: Page, sent_to: str, no_access_label: str | None = None) -> None:
    expect(page).to_have_url(re.compile(r"/password/forgot/code$"))
    expect(heading(page, "Password assistance")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(sent_to)
    expect(page.get_by_label("Enter OTP")).to_be_visible()
    expect(page.get_by_role("button", name="Resend OTP")).to_be_visible()
    link = no_access(page) if no_access_label is None else no_access_label
    expect(page.get_by_role("link", name=link)).to_be_visible()


def choose(page: Page, option: str) -> None:
    """On the choice page: pick where the code goes and continue."""
    page.get_by_role("radio", name=option, exact=True).check()
    page.get_by_role("button", name="Continue").click()


def expect_choices(page: Page, *options: str) -> None:
    expect(page).to_have_url(re.compile(r"/password/forgot/choose$"))
    expect(heading(page, "Password assistance")).to_be_visible()
    radios = page.get_by_role("radio")
    expect(radios).to_have_count(len(options))
    for option in options:
        expect(page.get_by_role("radio", name=option, exact=True)).to_be_visible()


def new_password(page: Page, shot: Shots) -> None:
    """On Create new password: save RESET_PASSWORD; lands back on the password page."""
    expect(heading(page, "Create new password")).to_be_visible()
    page.get_by_label("New password").fill(RESET_PASSWORD)
    page.get_by_label("Re-enter password").fill(RESET_PASSWORD)
    check_page(page)
    shot(page, "new-password")
    page.get_by_role("button", name="Save changes").click()
    expect(page).to_have_url(re.compile(r"/signin/password\?reset=done$"))
    expect(heading(page, "Sign in")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(RESET_DONE)
    check_page(page)
    shot(page, "reset-done")


def sign_out(page: Page) -> None:
    account_nav(page).get_by_role("button", name="Sign out").click()
    expect(heading(page, "Sign in")).to_be_visible()


# -- 1. reset by email --------------------------------------------------------------------


@pytest.mark.parametrize("site", WITH_FRENCH)
def test_reset_by_email(
    site: str, server: Server, page: Page, shot: Shots, new_context: Any
) -> None:
    email = unique_email("rita", site)
    register(page, server, site, "Rita Reyes", email)
    # Another device signed in to the same account: the reset must sign it out.
    laptop = new_context().new_page()
    sign_in(laptop, server, site, email, NEW_PASSWORD)
    sign_out(page)

    enter_identifier(page, email)
    shot(page, "password")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(heading(page, "Password assistance")).to_be_visible()
    expect(page.get_by_label("Email or mobile phone number")).to_have_value(email)
    check_page(page)
    shot(page, "password-assistance")
    ask_for_code(page, email)

    # One email on file: the code goes out at once, no choice to make.
    expect_code_page(page, "r***@example.com", NO_ACCESS_EMAIL)  # no phone on file
    expect(page.get_by_role("main")).to_contain_text("Didn't get it?")
    check_page(page)
    page.get_by_label("Enter OTP").fill(reset_code(server, email, site))
    shot(page, "enter-otp")
    page.get_by_role("button", name="Continue").click()

    new_password(page, shot)
    message = server.wait_for_message(
        to=email, site=site, matching=lambda m: m["kind"] == "password_changed"
    )
    assert message["channel"] == "email"

    # The old password no longer works; the new one does.
    expect(page.get_by_text(email, exact=True)).to_be_visible()
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text(FAILED)
    shot(page, "old-password-refused")
    page.get_by_label("Password", exact=True).fill(RESET_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(heading(page, "Login & security")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("Failed sign-in attempt")
    shot(page, "signed-in")

    # The other device was signed out.
    expect(heading(laptop, "Login & security")).to_be_visible()
    laptop.reload()
    expect(laptop).to_have_url(re.compile(re.escape(server.url(site, "/signin")) + r"(\?|$)"))
    expect(heading(laptop, "Sign in")).to_be_visible()
    shot(laptop, "other-device-signed-out")


# -- 2. reset by text message -------------------------------------------------------------

PHONES = [
    pytest.param("us", "+1 201 555 0142", "+12015550142", id="us"),
    pytest.param("uk", "07400 123457", "+447400123457", id="uk"),
]


@pytest.mark.parametrize(("site", "typed", "e164"), PHONES)
def test_reset_by_sms(
    site: str, typed: str, e164: str, server: Server, page: Page, shot: Shots
) -> None:
    email = unique_email("tom", site)
    register(page, server, site, "Tom Okafor", email)
    masked = ("•••-•••-" if e164.startswith("+1") else "+44 ••••• ••") + e164[-4:]

    # Add a mobile number on Login & security.
    page.get_by_role("link", name="Add mobile number").click()
    expect(heading(page, "Add a mobile phone number")).to_be_visible()  # none yet: not "Change"
    page.get_by_label("Mobile phone number", exact=True).fill(typed)
    page.get_by_role("button", name="Continue").click()
    expect(heading(page, "Confirm your new mobile phone number")).to_be_visible()
    page.get_by_label("Enter OTP").fill(server.code_for(e164, site))
    page.get_by_role("button", name="Continue").click()
    expect(heading(page, "Login & security")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Your mobile number was added.")
    shot(page, "phone-added")
    sign_out(page)

    # From the sign-in page's own "Forgot your password?" link, with the phone number.
    page.get_by_role("link", name="Forgot your password?").click()
    ask_for_code(page, typed)
    expect_choices(
        page,
        "Email it to t***@example.com",
        f"Text it to {masked}",
        f"Call {masked} and read it out",
    )
    expect(page.get_by_role("link", name=NO_ACCESS)).to_be_visible()
    check_page(page)
    shot(page, "choose")
    choose(page, f"Text it to {masked}")

    expect_code_page(page, masked, NO_ACCESS)  # an email and a phone on file
    expect(page.get_by_role("main")).to_contain_text("We've texted a one-time password")
    check_page(page)
    page.get_by_label("Enter OTP").fill(reset_code(server, e164, site, "sms"))
    shot(page, "enter-otp")
    page.get_by_role("button", name="Continue").click()

    new_password(page, shot)
    page.get_by_label("Password", exact=True).fill(RESET_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(heading(page, "Login & security")).to_be_visible()


# -- 3. unknown address -------------------------------------------------------------------


@pytest.mark.parametrize("site", SITES)
def test_reset_unknown_address(site: str, server: Server, page: Page, shot: Shots) -> None:
    # A real account first (jane; on the US site she also has a phone, so there is a choice).
    page.goto(server.url(site, "/password/forgot"))
    ask_for_code(page, "jane@example.com")
    if "/choose" in page.url:
        choose(page, "Email it to j***@example.com")
    expect_code_page(page, "j***@example.com")
    right = reset_code(server, "jane@example.com", site)
    page.get_by_label("Enter OTP").fill(f"{(int(right) + 1) % 1_000_000:06d}")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_label("Enter OTP")).to_have_attribute("aria-invalid", "true")
    real_error = page.locator("#code-error").inner_text()
    assert real_error == WRONG_CODE
    shot(page, "real-wrong-code")

    # An address with no account looks and acts the same, and nothing is sent.
    before = {m["id"] for m in server.messages()}
    nobody = f"nobody-{uuid.uuid4().hex[:10]}@example.com"
    page.goto(server.url(site, "/password/forgot"))
    ask_for_code(page, nobody)
    if "/choose" in page.url:
        expect(page.get_by_role("radio", name="Email it to n***@example.com")).to_be_visible()
        check_page(page)
        shot(page, "unknown-choose")
        choose(page, "Email it to n***@example.com")
    expect_code_page(page, "n***@example.com")
    check_page(page)
    shot(page, "unknown-enter-otp")
    page.get_by_label("Enter OTP").fill("123456")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_label("Enter OTP")).to_have_attribute("aria-invalid", "true")
    assert page.locator("#code-error").inner_text() == real_error
    check_page(page)
    shot(page, "unknown-wrong-code")

    messages = server.messages()
    assert not [m for m in messages if m["to"] == nobody]
    assert {m["id"] for m in messages} == before, "nothing should be sent for an unknown address"


# -- 4. resend ----------------------------------------------------------------------------


def test_reset_resend_waits(server: Server, page: Page, shot: Shots) -> None:
    site = "us"
    page.goto(server.url(site, "/password/forgot"))
    ask_for_code(page, "+1 201 555 0123")  # the demo account jane, by phone
    choose(page, "Text it to •••-•••-0123")
    expect_code_page(page, "•••-•••-0123")
    expect(page.get_by_text("Didn't get it? Give it half a minute")).to_be_visible()
    reset_code(server, "+12015550123", site, "sms")
    sent = len([m for m in server.messages() if m["kind"] == "reset_code"])
    shot(page, "enter-otp")

    page.get_by_role("button", name="Resend OTP").click()
    expect(page.get_by_label("Enter OTP")).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_have_text(
        re.compile(r"Please wait \d+ seconds before asking again\.")
    )
    check_page(page)
    shot(page, "resend-too-soon")
    assert len([m for m in server.messages() if m["kind"] == "reset_code"]) == sent


# -- 5. no access to the contact ----------------------------------------------------------


def test_reset_no_access_help(server: Server, page: Page, shot: Shots) -> None:
    site = "uk"
    page.goto(server.url(site, "/signin"))
    enter_identifier(page, "oliver@example.co.uk")
    page.get_by_role("link", name="Forgot your password?").click()
    ask_for_code(page, "oliver@example.co.uk")
    expect_choices(
        page,
        "Email it to o***@example.co.uk",
        "Text it to +44 ••••• ••3456",
        "Call +44 ••••• ••3456 and read it out",
    )
    shot(page, "choose")

    # The link opens the identity check for the identifier typed (tests/web/test_identity_check.py
    # walks it); the help article says what it involves and leads there too.
    page.get_by_role("link", name=NO_ACCESS).click()
    expect(heading(page, "Verify your identity")).to_be_visible()
    expect(page.get_by_role("textbox")).to_have_count(3)
    check_page(page)
    shot(page, "verify-your-identity")
    page.goto(server.url(site, "/help/no-access"))
    expect(heading(page, "No access to your email or phone?")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("Customer Service")
    check_page(page)
    shot(page, "no-access")
    page.get_by_role("main").get_by_role("link", name="Recover your account").first.click()
    expect(heading(page, "Recover your account")).to_be_visible()
    expect(page.get_by_label("Email or mobile phone number")).to_be_visible()
    page.go_back()
    page.get_by_role("main").get_by_role("link", name="Password assistance").click()
    expect(heading(page, "Password assistance")).to_be_visible()
