"""Two-step verification (2SV) in a real browser: an authenticator app, backup codes, the
challenge after the password, and turning it off.

Codes are computed here from the key the page shows, as an authenticator app would. The
service accepts each 30-second TOTP step once per account (the enrolment code included), so a
test that needs a second app code waits for the next step once; the others use backup codes
or need no code at all. Same conventions as ``test_journeys.py``: elements found by label and
role, every page saved as a screenshot and given the accessibility smoke check.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from entryway.core import totp
from tests.browser.conftest import IN_FRENCH, Server, Shots
from tests.browser.french import expect, one_of, says, words
from tests.browser.test_journeys import (
    MOBILE,
    NEW_PASSWORD,
    check_page,
    enter_identifier,
    expect_redirected_to_sign_in,
    heading,
    no_sideways_scroll,
    register,
    sign_in,
    unique_email,
)
from tests.browser.test_reset import sign_out

pytestmark = pytest.mark.browser

expect.set_options(timeout=5000)

SETTINGS = "Two-Step Verification (2SV) Settings"
CHALLENGE = "Two-Step Verification"
BACKUP = "Use a backup method"
ADD_APP = "Add an authenticator app"
CODES = "Your backup codes"
TWO_STEP_OFF = "Off: your password alone opens your account."
TWO_STEP_ON = "On: a code from your authenticator app or phone is needed after your password."
WRONG_APP = "That code isn't right. Check your authenticator app and try again."
WRONG_BACKUP = "That backup code isn't right, or it was used already."
BACKUP_CODE = re.compile(r"^[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}$")


# -- helpers ------------------------------------------------------------------------------


def now_step() -> int:
    return totp.step_at(datetime.now(UTC))


def code_now(key: bytes) -> str:
    return totp.totp(key, now_step())


def wait_for_step_after(step: int) -> None:
    """Sleep until the TOTP step after ``step`` has begun (at most one period)."""
    left = (step + 1) * totp.PERIOD - datetime.now(UTC).timestamp()
    if left > 0:
        time.sleep(left + 0.05)
    while now_step() <= step:
        time.sleep(0.05)


def wrong_code(key: bytes) -> str:
    """Six digits that no step the service would look at right now accepts."""
    near = {totp.totp(key, now_step() + d) for d in range(-2, 3)}
    return next(c for c in ("123456", "654321", "111111") if c not in near)


def qr_and_key_problems(page: Page) -> list[str]:
    """The QR code drawn whole inside its box, big enough to scan; no key group split."""
    problems: list[str] = page.evaluate(
        """(label) => {
        const out = [];
        const svg = document.querySelector('main svg');
        const box = svg.getBoundingClientRect();
        if (box.width < 150 || Math.abs(box.width - box.height) > 1)
            out.push(`QR code is ${box.width}x${box.height}px`);
        for (const shape of svg.querySelectorAll('path, rect')) {
            const b = shape.getBoundingClientRect();
            if (b.left < box.left - 1 || b.top < box.top - 1
                    || b.right > box.right + 1 || b.bottom > box.bottom + 1)
                out.push(`QR code clipped: drawn ${b.width}x${b.height}px in a `
                         + `${box.width}x${box.height}px box`);
        }
        const key = [...document.querySelectorAll('main code')]
            .find((c) => c.parentElement.textContent.includes(label));
        const text = key.firstChild;
        let at = 0;
        for (const group of text.data.split(' ')) {
            const range = document.createRange();
            range.setStart(text, at);
            range.setEnd(text, at + group.length);
            if (range.getClientRects().length !== 1) out.push(`key group ${at} split`);
            at += group.length + 1;
        }
        return out;
    }""",
        words(page)("Key:").strip(),
    )
    return problems


def codes_problems(page: Page) -> list[str]:
    """Each backup code on one line, inside its own list item."""
    problems: list[str] = page.evaluate(
        """() => {
        const out = [];
        for (const code of document.querySelectorAll('main li code')) {
            const li = code.closest('li').getBoundingClientRect();
            const rects = code.getClientRects();
            if (rects.length !== 1) out.push(`${code.textContent} wraps`);
            const b = code.getBoundingClientRect();
            if (b.left < li.left - 1 || b.right > li.right + 1)
                out.push(`${code.textContent} sticks out of its list item`);
        }
        return out;
    }"""
    )
    return problems


def turn_on_or_manage(page: Page) -> re.Pattern[str]:
    """The 2SV link on Login & security, whichever it says."""
    return one_of(page, "Turn on two-step verification", "Manage two-step verification")


def two_step_row(page: Page) -> Any:
    """The 2SV row on Login & security."""
    return page.get_by_role("main").get_by_role("listitem").filter(has=heading(page, SETTINGS))


def open_settings(page: Page, shot: Shots) -> None:
    """From Login & security to the 2SV settings (the password was just given: no re-entry)."""
    expect(heading(page, "Login & security")).to_be_visible()
    page.get_by_role("link", name=turn_on_or_manage(page)).click()
    expect(heading(page, SETTINGS)).to_be_visible()
    check_page(page)
    shot(page, "settings")


def open_app_page(page: Page, shot: Shots) -> bytes:
    """From the settings to Add an authenticator app; the key it shows, decoded."""
    page.get_by_role("link", name=ADD_APP).click()
    expect(heading(page, ADD_APP)).to_be_visible()
    expect(page.get_by_role("img", name="QR code")).to_be_visible()
    key_text = page.get_by_role("main").locator("p", has_text="Key:").locator("code").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{1,4})+", key_text), key_text
    expect(page.get_by_label("Enter OTP")).to_be_visible()
    check_page(page)
    shot(page, "add-app")
    assert qr_and_key_problems(page) == []
    return totp.parse_key(key_text)


def confirm_app(page: Page, shot: Shots, key: bytes) -> tuple[int, list[str]]:
    """Enter the app's code; ends on Your backup codes. The step spent, and the codes."""
    step = now_step()
    page.get_by_label("Enter OTP").fill(totp.totp(key, step))
    page.get_by_role("button", name="Verify OTP and continue").click()
    expect(heading(page, CODES)).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Two-step verification is on.")
    shown = page.get_by_role("main").get_by_role("listitem")
    expect(shown).to_have_count(10)
    codes = [c.strip() for c in shown.locator("code").all_inner_texts()]
    assert len(set(codes)) == 10, codes
    assert all(BACKUP_CODE.match(c) for c in codes), codes
    expect(page.get_by_role("button", name="Download as a text file")).to_be_visible()
    check_page(page)
    shot(page, "backup-codes")
    assert codes_problems(page) == []
    return step, codes


def back_to_settings_on(page: Page, shot: Shots) -> None:
    """From the backup codes, "Done" leads to the settings, which now say 2SV is on."""
    page.get_by_role("link", name="Done").click()
    expect(heading(page, SETTINGS)).to_be_visible()
    main = page.get_by_role("main")
    expect(main).to_contain_text("Two-step verification is on.")
    expect(main.get_by_text("Authenticator app", exact=True)).to_be_visible()
    remove = page.get_by_role("button", name="Remove Authenticator app", exact=True)
    expect(remove).to_have_text("Remove")
    expect(main).to_contain_text(
        "Backup codes let you sign in when you don't have your phone. You have 10 unused codes."
    )
    expect(page.get_by_role("button", name="Get new backup codes")).to_be_visible()
    expect(page.get_by_role("button", name="Turn off two-step verification")).to_be_visible()
    check_page(page)
    shot(page, "settings-on")


def enrol(page: Page, shot: Shots) -> tuple[bytes, int, list[str]]:
    """On Login & security: add an app and end on the settings with 2SV on."""
    open_settings(page, shot)
    key = open_app_page(page, shot)
    step, codes = confirm_app(page, shot, key)
    back_to_settings_on(page, shot)
    return key, step, codes


def sign_in_to_challenge(
    page: Page, server: Server, site: str, email: str, shot: Shots | None = None
) -> None:
    """Identifier and password for an account with 2SV: ends on the challenge."""
    page.goto(server.url(site, "/signin"))
    enter_identifier(page, email)
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(heading(page, CHALLENGE)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/signin/two-step(\?|$)"))
    expect(page.get_by_label("Enter OTP")).to_be_visible()
    expect(page.get_by_role("link", name=BACKUP)).to_be_visible()
    expect(page.get_by_role("button", name="Cancel and sign out")).to_be_visible()
    if shot:
        check_page(page)
        shot(page, "challenge")


def open_backup_code(page: Page, shot: Shots | None = None) -> None:
    """From the challenge, by "Use a backup method", to the backup code form."""
    page.get_by_role("link", name=BACKUP).click()
    expect(heading(page, BACKUP)).to_be_visible()
    if shot:
        expect(page.get_by_role("link", name="Use my authenticator app")).to_be_visible()
        check_page(page)
        shot(page, "backup-methods")
    page.get_by_role("link", name="Use a backup code").click()
    expect(heading(page, "Enter a backup code")).to_be_visible()
    expect(page.get_by_label("Enter backup code")).to_be_visible()


def use_backup_code(page: Page, code: str) -> None:
    page.get_by_label("Enter backup code").fill(code)
    page.get_by_role("button", name="Sign in").click()


def expect_code_refused(page: Page, label: str) -> None:
    field = page.get_by_label(label)
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#code-error")).to_have_text(one_of(page, WRONG_APP, WRONG_BACKUP))


# -- 1. enrol an app, then sign in with it ------------------------------------------------


@pytest.mark.parametrize("site", ["us", IN_FRENCH])
def test_enrol_app_and_sign_in(site: str, server: Server, page: Page, shot: Shots) -> None:
    email = unique_email("ada", site)
    register(page, server, site, "Ada Byron", email)
    row = two_step_row(page)
    expect(row).to_contain_text(TWO_STEP_OFF)
    expect(row.get_by_role("link", name="Turn on two-step verification")).to_have_text("Turn on")
    check_page(page)
    shot(page, "account-off")

    open_settings(page, shot)
    expect(page.get_by_role("main")).to_contain_text("Two-step verification is off.")
    key = open_app_page(page, shot)

    # A wrong enrolment code keeps the same key and QR code on the page.
    page.get_by_label("Enter OTP").fill(wrong_code(key))
    page.get_by_role("button", name="Verify OTP and continue").click()
    expect(heading(page, ADD_APP)).to_be_visible()
    expect(page.get_by_label("Enter OTP")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#code-error")).to_have_text(
        "That code isn't right. Check the app and try again."
    )
    expect(page.get_by_role("img", name="QR code")).to_be_visible()
    shown = page.get_by_role("main").locator("p", has_text="Key:").locator("code").inner_text()
    assert totp.parse_key(shown) == key
    check_page(page)
    shot(page, "add-app-wrong-code")

    step, codes = confirm_app(page, shot, key)

    # The download carries exactly the codes on screen.
    with page.expect_download() as info:
        page.get_by_role("button", name="Download as a text file").click()
    download = info.value
    assert download.suggested_filename == "backup-codes.txt"
    saved = Path(download.path()).read_text()
    assert [line for line in saved.splitlines() if BACKUP_CODE.match(line)] == codes
    assert email in saved
    expect(heading(page, CODES)).to_be_visible()  # the download did not leave the page

    back_to_settings_on(page, shot)
    page.get_by_role("link", name="Login & security").click()
    expect(two_step_row(page)).to_contain_text(TWO_STEP_ON)
    expect(page.get_by_role("link", name="Manage two-step verification")).to_have_text("Manage")
    shot(page, "account-on")
    turned_on = "two-step verification was turned on with an authenticator app"
    server.wait_for_message(
        to=email, site=site, matching=lambda m: says(m["body"], turned_on, site)
    )

    sign_out(page)
    sign_in_to_challenge(page, server, site, email, shot)

    page.get_by_label("Enter OTP").fill(wrong_code(key))
    page.get_by_role("button", name="Sign in").click()
    expect(heading(page, CHALLENGE)).to_be_visible()
    expect_code_refused(page, "Enter OTP")
    check_page(page)
    shot(page, "challenge-wrong-code")

    # The enrolment code's step is spent: the next code the app shows is the one to use.
    wait_for_step_after(step)
    page.get_by_label("Enter OTP").fill(code_now(key))
    page.get_by_role("button", name="Sign in").click()
    expect(heading(page, "Login & security")).to_be_visible()
    expect(page).to_have_url(server.url(site, "/account"))
    expect(two_step_row(page)).to_contain_text(TWO_STEP_ON)
    check_page(page)
    shot(page, "signed-in")


# -- 2. a backup code, once ---------------------------------------------------------------


@pytest.mark.parametrize("site", ["us", "uk", IN_FRENCH])
def test_backup_code(site: str, server: Server, page: Page, shot: Shots) -> None:
    email = unique_email("bea", site)
    register(page, server, site, "Bea Quinn", email)
    _, _, codes = enrol(page, shot)
    sign_out(page)

    sign_in_to_challenge(page, server, site, email, shot)
    open_backup_code(page, shot)
    expect(page.get_by_role("button", name="Cancel and sign out")).to_be_visible()
    check_page(page)
    shot(page, "backup-code")

    # The way back to the app, and forth again.
    page.get_by_role("link", name="Choose another method").click()
    expect(heading(page, BACKUP)).to_be_visible()
    page.get_by_role("link", name="Use my authenticator app").click()
    expect(heading(page, CHALLENGE)).to_be_visible()
    expect(page.get_by_label("Enter OTP")).to_be_visible()
    open_backup_code(page)

    # Typed loosely: upper case, spaces for dashes.
    use_backup_code(page, codes[0].upper().replace("-", " "))
    expect(heading(page, "Login & security")).to_be_visible()
    expect(page).to_have_url(server.url(site, "/account"))
    shot(page, "signed-in")
    sign_out(page)

    # The same code again is refused; another one still works.
    sign_in_to_challenge(page, server, site, email)
    open_backup_code(page)
    use_backup_code(page, codes[0])
    expect(heading(page, "Enter a backup code")).to_be_visible()
    expect_code_refused(page, "Enter backup code")
    check_page(page)
    shot(page, "backup-code-reused")

    use_backup_code(page, codes[1])
    expect(heading(page, "Login & security")).to_be_visible()
    page.get_by_role("link", name=turn_on_or_manage(page)).click()
    expect(heading(page, SETTINGS)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(
        "Backup codes let you sign in when you don't have your phone. You have 8 unused codes."
    )
    shot(page, "settings-8-left")


# -- 3. leaving the challenge -------------------------------------------------------------


@pytest.mark.parametrize("site", ["us", "uk"])
def test_cancel_challenge(site: str, server: Server, page: Page, shot: Shots) -> None:
    email = unique_email("cy", site)
    register(page, server, site, "Cy Twombly", email)
    enrol(page, shot)
    sign_out(page)

    sign_in_to_challenge(page, server, site, email, shot)
    page.get_by_role("button", name="Cancel and sign out").click()
    expect(page).to_have_url(server.url(site, "/signin"))
    expect(heading(page, "Sign in")).to_be_visible()
    check_page(page)
    shot(page, "cancelled")

    # Neither the account nor the challenge is open any more.
    expect_redirected_to_sign_in(page, server, site)
    page.goto(server.url(site, "/signin/two-step"))
    expect(page).to_have_url(server.url(site, "/signin"))
    expect(heading(page, "Sign in")).to_be_visible()
    shot(page, "challenge-gone")


# -- 4. turning it off --------------------------------------------------------------------


@pytest.mark.parametrize("site", ["us", "uk"])
def test_turn_off(site: str, server: Server, page: Page, shot: Shots) -> None:
    email = unique_email("dee", site)
    register(page, server, site, "Dee Moss", email)
    enrol(page, shot)

    page.get_by_role("button", name="Turn off two-step verification").click()
    expect(heading(page, SETTINGS)).to_be_visible()
    main = page.get_by_role("main")
    expect(main).to_contain_text("Two-step verification is off.")
    expect(main).to_contain_text("No method yet.")
    expect(page.get_by_role("button", name="Turn off two-step verification")).to_have_count(0)
    expect(page.get_by_role("button", name="Get new backup codes")).to_have_count(0)
    check_page(page)
    shot(page, "settings-off")
    message = server.wait_for_message(
        to=email, site=site, matching=lambda m: "turned off" in m["body"]
    )
    assert "two-step verification was turned off" in message["body"]

    page.get_by_role("link", name="Login & security").click()
    expect(two_step_row(page)).to_contain_text(TWO_STEP_OFF)
    shot(page, "account-off")

    sign_out(page)
    sign_in(page, server, site, email, NEW_PASSWORD)  # straight to Login & security
    expect(two_step_row(page)).to_contain_text(TWO_STEP_OFF)
    check_page(page)
    shot(page, "signed-in")


# -- 5. on a phone ------------------------------------------------------------------------


def expect_within_viewport(page: Page, locator: Any) -> None:
    width = MOBILE["width"]
    for i in range(locator.count()):
        box = locator.nth(i).bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"{box} leaves the screen"


@pytest.mark.parametrize("site", ["us"])
def test_mobile(site: str, server: Server, new_context: Any, shot: Shots) -> None:
    page = new_context(viewport=MOBILE, is_mobile=True, has_touch=True).new_page()
    email = unique_email("eve", site)
    register(page, server, site, "Eve Polastri", email)
    open_settings(page, shot)
    no_sideways_scroll(page)

    key = open_app_page(page, shot)
    no_sideways_scroll(page)
    main = page.get_by_role("main")
    expect_within_viewport(page, page.get_by_role("img", name="QR code"))
    expect_within_viewport(page, main.locator("code"))
    expect_within_viewport(page, page.get_by_role("button", name="Verify OTP and continue"))

    confirm_app(page, shot, key)
    no_sideways_scroll(page)
    expect_within_viewport(page, main.get_by_role("listitem").locator("code"))
    expect_within_viewport(page, page.get_by_role("button", name="Download as a text file"))

    back_to_settings_on(page, shot)
    no_sideways_scroll(page)
