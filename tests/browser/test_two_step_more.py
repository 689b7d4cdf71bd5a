"""Two-step verification with a phone in a real browser: adding one by text or voice call,
the challenge that texts or calls a code, the backup methods page, remembered browsers, and
Contact Customer Service from a half-finished sign-in.

Codes are read from the demo outbox: a text message carries the six digits, a voice call's
words read each digit out separated by ", ". Every test uses a fresh account and its own
US mobile number (a number gets at most ten codes a day; +1 201 555 0123 belongs to a demo
account). Same conventions as ``test_two_step.py``: elements found by label and role, every
page saved as a screenshot and given the accessibility smoke check.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import CODE, Server, Shots
from tests.browser.test_journeys import (
    NEW_PASSWORD,
    account_nav,
    check_page,
    enter_identifier,
    heading,
    register,
    sign_in,
    unique_email,
)
from tests.browser.test_reset import sign_out
from tests.browser.test_two_step import (
    BACKUP,
    CHALLENGE,
    CODES,
    SETTINGS,
    codes_problems,
    open_settings,
    two_step_row,
)

pytestmark = pytest.mark.browser

expect.set_options(timeout=5000)

ADD_PHONE = "Add a phone"
CONTACT = "Contact Customer Service"
RECEIVED = "We received your request"
REMEMBER = "Don't require OTP on this browser"
VOICE_CODE = re.compile(r"\b(\d(?:, \d){5})\b")
CASE_NUMBER = re.compile(r"\b\d{8}\b")
FIREFOX_MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.0; rv:120.0) Gecko/20100101 Firefox/120.0"


# -- helpers ------------------------------------------------------------------------------


def e164(number: str) -> str:
    """ "+1 201 555 0161" -> "+12015550161", as the outbox addresses it."""
    return "+" + re.sub(r"\D", "", number)


def masked(number: str) -> str:
    """How the pages show a North American number: "•••-•••-0161"."""
    return "•••-•••-" + re.sub(r"\D", "", number)[-4:]


def seen_ids(server: Server) -> set[Any]:
    return {m["id"] for m in server.messages()}


def phone_code(server: Server, number: str, site: str, channel: str, seen: set[Any]) -> str:
    """The code in the first new text (or call) to ``number`` since ``seen`` was taken."""
    message = server.wait_for_message(
        to=e164(number),
        site=site,
        matching=lambda m: m["id"] not in seen and m["kind"] == "two_step_code",
    )
    assert message["channel"] == channel, message
    if channel == "voice":
        spoken = VOICE_CODE.search(message["body"])
        assert spoken, message["body"]
        assert message["body"].count(spoken.group(1)) == 2, "a call reads the code twice"
        return spoken.group(1).replace(", ", "")
    found = CODE.search(message["body"])
    assert found, message["body"]
    return found.group(1)


def add_phone(
    page: Page, server: Server, site: str, number: str, channel: str, shot: Shots
) -> list[str]:
    """From Login & security (2SV off): add ``number`` as a phone, confirmed by a code sent
    by ``channel``; ends on the settings with 2SV on. The backup codes shown."""
    open_settings(page, shot)
    expect(page.get_by_role("main")).to_contain_text("Two-step verification is off.")
    page.get_by_role("link", name=ADD_PHONE).click()

    expect(heading(page, ADD_PHONE)).to_be_visible()
    expect(page.get_by_role("radio", name="Text message")).to_be_checked()
    expect(page.get_by_role("radio", name="Voice call")).not_to_be_checked()
    page.get_by_label("Mobile phone number").fill(number)
    page.get_by_role("radio", name="Voice call" if channel == "voice" else "Text message").check()
    check_page(page)
    shot(page, "add-phone")
    seen = seen_ids(server)
    page.get_by_role("button", name="Continue").click()

    expect(heading(page, ADD_PHONE)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(masked(number))
    expect(page.get_by_label("Mobile phone number")).to_have_count(0)
    check_page(page)
    shot(page, "add-phone-code")
    page.get_by_label("Enter OTP").fill(phone_code(server, number, site, channel, seen))
    page.get_by_role("button", name="Verify OTP and continue").click()

    expect(heading(page, CODES)).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Two-step verification is on.")
    shown = page.get_by_role("main").get_by_role("listitem")
    expect(shown).to_have_count(10)
    codes = [c.strip() for c in shown.locator("code").all_inner_texts()]
    assert len(set(codes)) == 10, codes
    check_page(page)
    shot(page, "backup-codes")
    assert codes_problems(page) == []

    page.get_by_role("link", name="Done").click()
    expect(heading(page, SETTINGS)).to_be_visible()
    main = page.get_by_role("main")
    expect(main).to_contain_text("Two-step verification is on.")
    label = f"Phone {masked(number)}"
    expect(main.get_by_text(label, exact=True)).to_be_visible()
    row = main.get_by_role("listitem").filter(has_text=label)
    expect(row.get_by_text("Preferred", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name=f"Remove {label}")).to_have_text("Remove")
    expect(main).to_contain_text("You have 10 unused codes.")
    check_page(page)
    shot(page, "settings-on")

    # The change is told by email and by a text to the new phone.
    server.wait_for_message(
        to=e164(number), site=site, matching=lambda m: m["kind"] == "two_step_changed"
    )
    page.get_by_role("link", name="Login & security").click()
    expect(heading(page, "Login & security")).to_be_visible()
    expect(two_step_row(page)).to_contain_text("On")
    return codes


def sign_in_to_phone_challenge(
    page: Page, server: Server, site: str, email: str, number: str, shot: Shots | None = None
) -> None:
    """Identifier and password for an account whose preferred method is a phone: ends on
    the challenge offering a text or a call, before any code was sent."""
    page.goto(server.url(site, "/signin"))
    enter_identifier(page, email)
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(heading(page, CHALLENGE)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/signin/two-step(\?|$)"))
    main = page.get_by_role("main")
    expect(main).to_contain_text(f"send a one-time password (OTP) to your phone {masked(number)}")
    expect(page.get_by_role("button", name="Text me a code")).to_be_visible()
    expect(page.get_by_role("button", name="Call me with a code")).to_be_visible()
    expect(page.get_by_label("Enter OTP")).to_have_count(0)  # nothing sent yet
    expect(page.get_by_role("link", name=BACKUP)).to_be_visible()
    expect(page.get_by_role("link", name=CONTACT)).to_be_visible()
    expect(page.get_by_role("button", name="Cancel and sign out")).to_be_visible()
    if shot:
        check_page(page)
        shot(page, "challenge")


def expect_code_form(page: Page, sent: str) -> None:
    """The challenge after a text or call went out: ``sent`` describes it."""
    expect(heading(page, CHALLENGE)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(sent)
    expect(page.get_by_label("Enter OTP")).to_be_visible()
    expect(page.get_by_role("checkbox", name=REMEMBER)).not_to_be_checked()
    expect(page.get_by_role("button", name="Text me a code")).to_have_count(0)


def text_me_a_code(
    page: Page, server: Server, site: str, number: str, shot: Shots | None = None
) -> str:
    """On the challenge: "Text me a code"; the code from the outbox."""
    seen = seen_ids(server)
    page.get_by_role("button", name="Text me a code").click()
    expect_code_form(page, f"We've texted a one-time password (OTP) to {masked(number)}.")
    if shot:
        check_page(page)
        shot(page, "challenge-texted")
    return phone_code(server, number, site, "sms", seen)


def finish_sign_in(page: Page, server: Server, site: str, code: str) -> None:
    page.get_by_label("Enter OTP").fill(code)
    page.get_by_role("button", name="Sign in").click()
    expect(heading(page, "Login & security")).to_be_visible()
    expect(page).to_have_url(server.url(site, "/account"))
    expect(two_step_row(page)).to_contain_text("On")


def remembered_rows(page: Page) -> Any:
    """The rows under "Remembered browsers" on Login & security."""
    section = page.get_by_role("main").locator(
        "h2:text-is('Remembered browsers') + p + ul.rows > li"
    )
    return section


# -- 1. add a phone by text, sign in with a text ------------------------------------------


@pytest.mark.parametrize(("site", "number"), [pytest.param("us", "+1 201 555 0161", id="us")])
def test_phone_by_text(site: str, number: str, server: Server, page: Page, shot: Shots) -> None:
    email = unique_email("pia", site)
    register(page, server, site, "Pia Lund", email)
    add_phone(page, server, site, number, "sms", shot)
    message = server.wait_for_message(
        to=email, site=site, matching=lambda m: "turned on" in m["body"]
    )
    assert f"two-step verification was turned on with {masked(number)}" in message["body"]
    check_page(page)
    shot(page, "account-on")

    sign_out(page)
    sign_in_to_phone_challenge(page, server, site, email, number, shot)
    code = text_me_a_code(page, server, site, number, shot)
    finish_sign_in(page, server, site, code)
    # The box was left unticked: nothing is remembered.
    expect(remembered_rows(page)).to_have_text(["No remembered browsers."])
    assert "ew_browser" not in {c["name"] for c in page.context.cookies(server.origin(site))}
    check_page(page)
    shot(page, "signed-in")


# -- 2. a call, through "Use a backup method" ---------------------------------------------


@pytest.mark.parametrize(("site", "number"), [pytest.param("us", "+1 201 555 0162", id="us")])
def test_phone_by_call(site: str, number: str, server: Server, page: Page, shot: Shots) -> None:
    email = unique_email("rui", site)
    register(page, server, site, "Rui Costa", email)
    add_phone(page, server, site, number, "voice", shot)
    sign_out(page)

    sign_in_to_phone_challenge(page, server, site, email, number)
    page.get_by_role("link", name=BACKUP).click()
    expect(heading(page, BACKUP)).to_be_visible()
    expect(page.get_by_role("link", name="Use my authenticator app")).to_have_count(0)  # none
    expect(page.get_by_role("button", name=f"Text a code to {masked(number)}")).to_be_visible()
    call = page.get_by_role("button", name=f"Call {masked(number)} with a code")
    expect(call).to_be_visible()
    expect(page.get_by_role("link", name="Use a backup code")).to_be_visible()
    expect(page.get_by_role("link", name=CONTACT)).to_be_visible()
    check_page(page)
    shot(page, "backup-methods")

    seen = seen_ids(server)
    call.click()
    expect_code_form(page, f"We're calling {masked(number)} to read out a one-time password (OTP).")
    check_page(page)
    shot(page, "challenge-called")
    code = phone_code(server, number, site, "voice", seen)

    # A wrong code keeps the code form; the right one still works after it.
    page.get_by_label("Enter OTP").fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="Sign in").click()
    expect(heading(page, CHALLENGE)).to_be_visible()
    expect(page.get_by_label("Enter OTP")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#code-error")).to_contain_text("That code isn't right.")
    expect(page.get_by_role("main")).to_contain_text(masked(number))
    check_page(page)
    shot(page, "challenge-wrong-code")
    finish_sign_in(page, server, site, code)
    shot(page, "signed-in")


# -- 3. remembered browsers ---------------------------------------------------------------


@pytest.mark.parametrize(("site", "number"), [pytest.param("us", "+1 201 555 0163", id="us")])
def test_remembered_browser(
    site: str, number: str, server: Server, page: Page, shot: Shots, new_context: Any
) -> None:
    email = unique_email("sol", site)
    register(page, server, site, "Sol Reyes", email)
    add_phone(page, server, site, number, "sms", shot)
    expect(remembered_rows(page)).to_have_text(["No remembered browsers."])
    expect(page.get_by_role("button", name="Forget all browsers")).to_have_count(0)
    sign_out(page)

    # Ticking the box, then passing the challenge, remembers this browser.
    sign_in_to_phone_challenge(page, server, site, email, number)
    code = text_me_a_code(page, server, site, number)
    page.get_by_role("checkbox", name=REMEMBER).check()
    check_page(page)
    shot(page, "challenge-remember")
    finish_sign_in(page, server, site, code)
    cookies = {c["name"]: c for c in page.context.cookies(server.origin(site))}
    assert "ew_browser" in cookies, cookies.keys()
    assert cookies["ew_browser"]["httpOnly"] is True
    assert cookies["ew_browser"]["expires"] > 0, "a remembered browser should outlive it"

    # Signing out and in again on this browser skips the challenge.
    sign_out(page)
    sign_in(page, server, site, email, NEW_PASSWORD)  # straight to Login & security
    expect(page).to_have_url(server.url(site, "/account"))
    expect(heading(page, "Remembered browsers")).to_be_visible()
    rows = remembered_rows(page)
    expect(rows).to_have_count(1)
    expect(rows.get_by_role("button", name=re.compile(r"^Forget "))).to_have_text("Forget")
    expect(page.get_by_role("button", name="Forget all browsers")).to_be_visible()
    check_page(page)
    shot(page, "remembered-one")

    # Another browser is still challenged; remembered too, it can be forgotten alone.
    laptop = new_context(user_agent=FIREFOX_MAC).new_page()
    sign_in_to_phone_challenge(laptop, server, site, email, number)
    check_page(laptop)
    shot(laptop, "other-browser-challenge")
    code = text_me_a_code(laptop, server, site, number)
    laptop.get_by_role("checkbox", name=REMEMBER).check()
    finish_sign_in(laptop, server, site, code)

    page.reload()
    expect(rows).to_have_count(2)
    forget_laptop = page.get_by_role("button", name=re.compile(r"^Forget Firefox on Mac"))
    expect(forget_laptop).to_have_text("Forget")
    shot(page, "remembered-two")
    forget_laptop.click()
    expect(heading(page, "Login & security")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text(
        "Done: forgotten browsers will ask for a code again."
    )
    expect(rows).to_have_count(1)
    expect(page.get_by_role("button", name=re.compile(r"^Forget Firefox on Mac"))).to_have_count(0)
    check_page(page)
    shot(page, "forgot-other")

    account_nav(laptop).get_by_role("button", name="Sign out").click()
    sign_in_to_phone_challenge(laptop, server, site, email, number)

    # "Forget all browsers": this one asks again too.
    page.get_by_role("button", name="Forget all browsers").click()
    expect(heading(page, "Login & security")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text(
        "Done: forgotten browsers will ask for a code again."
    )
    expect(rows).to_have_text(["No remembered browsers."])
    expect(page.get_by_role("button", name="Forget all browsers")).to_have_count(0)
    check_page(page)
    shot(page, "forgot-all")
    sign_out(page)
    sign_in_to_phone_challenge(page, server, site, email, number)
    shot(page, "challenged-again")


# -- 4. Contact Customer Service from the challenge ---------------------------------------


@pytest.mark.parametrize(("site", "number"), [pytest.param("us", "+1 201 555 0164", id="us")])
def test_contact_customer_service(
    site: str, number: str, server: Server, page: Page, shot: Shots
) -> None:
    name = "Tove Marsh"
    email = unique_email("tove", site)
    register(page, server, site, name, email)
    add_phone(page, server, site, number, "sms", shot)
    sign_out(page)

    sign_in_to_phone_challenge(page, server, site, email, number, shot)
    page.get_by_role("link", name=CONTACT).click()
    expect(heading(page, CONTACT)).to_be_visible()
    expect(page).to_have_url(server.url(site, "/signin/two-step/help"))
    message = page.get_by_label("Your message")
    expect(message).to_be_visible()
    check_page(page)
    shot(page, "contact")

    # An empty message is refused on the page.
    page.get_by_role("button", name="Send").click()
    expect(heading(page, CONTACT)).to_be_visible()
    expect(message).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#message-error")).to_have_text("Tell us what happened.")
    check_page(page)
    shot(page, "contact-empty")

    message.fill("I lost my phone on holiday and can't get the codes.")
    page.get_by_role("button", name="Send").click()
    expect(heading(page, RECEIVED)).to_be_visible()
    main = page.get_by_role("main")
    found = CASE_NUMBER.search(main.inner_text())
    assert found, main.inner_text()
    number_shown = found.group(0)
    expect(main.locator("strong")).to_have_text(number_shown)
    check_page(page)
    shot(page, "contact-received")

    # Nothing on the page tells whose account this is.
    whole = page.locator("body").inner_text()
    for secret in (email, email.split("@")[0], name, "Tove", masked(number), "@example.com"):
        assert secret not in whole, f"{secret!r} is shown on {page.url}"
    expect(account_nav(page).get_by_role("link", name="Sign in")).to_be_visible()

    # The case number also reaches the account's email.
    sent = server.wait_for_message(
        to=email, site=site, matching=lambda m: number_shown in m["body"]
    )
    assert sent["channel"] == "email"
    assert sent["kind"] == "support_case"
    assert number_shown in sent["subject"]
