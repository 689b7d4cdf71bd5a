"""Page fixes in a real browser, each page saved at 1280 and at 360 px wide.

The header when signed in (one row at 360 px), list rows that stack their buttons under
the text on a phone, the second step's ways out, the phone code page's way back, the
sign-in page after signing out everywhere, the wait countdown (with and without
JavaScript), the way back from the verify page, redirects after forms that create
something, the first app's and the first phone's pages, times in the site's zone, Message
Center links, the favicon and the footer's help links. Same conventions as ``test_journeys.py``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from tests.browser.conftest import DEMO_PASSWORD, Server, Shots, running_demo
from tests.browser.test_journeys import (
    MOBILE,
    NEW_PASSWORD,
    account_nav,
    check_page,
    enter_identifier,
    heading,
    no_sideways_scroll,
    register,
    unique_email,
)
from tests.browser.test_two_step import (
    ADD_APP,
    BACKUP,
    CHALLENGE,
    SETTINGS,
    confirm_app,
    enrol,
    open_app_page,
    open_settings,
)
from tests.browser.test_two_step_more import masked, phone_code, seen_ids

pytestmark = pytest.mark.browser

expect.set_options(timeout=5000)

DESKTOP: ViewportSize = {"width": 1280, "height": 800}
WAIT = re.compile(r"Please wait (\d+) seconds? before trying again")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """This module's demo server: the progressive delay from the first failure, no locks."""
    policy = {
        "ENTRYWAY_DELAY_AFTER_FAILURES": "1",
        "ENTRYWAY_LOCK_AFTER_FAILURES": "50",
        "ENTRYWAY_KNOWN_DEVICE_LOCK_AFTER": "50",
        "ENTRYWAY_UNUSUAL_AFTER_FAILURES": "50",
        "ENTRYWAY_IP_UNUSUAL_AFTER": "1000",
        "ENTRYWAY_IP_REFUSE_AFTER": "1000",
    }
    with running_demo(tmp_path_factory.mktemp("demo-pages"), policy) as running:
        yield running


def both_widths(page: Page, shot: Shots, step: str) -> None:
    """Screenshots at desktop and phone width; at 360 px nothing scrolls sideways."""
    page.set_viewport_size(DESKTOP)
    shot(page, step)
    page.set_viewport_size(MOBILE)
    no_sideways_scroll(page)
    shot(page, step + "-360")
    page.set_viewport_size(DESKTOP)


def expect_signed_in_header(page: Page, name: str) -> None:
    nav = account_nav(page)
    expect(nav.get_by_role("link", name=name)).to_be_visible()
    expect(nav.get_by_role("button", name="Sign out")).to_be_visible()
    expect(nav.get_by_role("link", name="Sign in")).to_have_count(0)


# -- the header, and where the footer's help leads -----------------------------------------


def test_header_names_the_customer_everywhere(server: Server, page: Page, shot: Shots) -> None:
    site = "us"
    register(page, server, site, "Rosa Díaz", unique_email("rosa", site))
    for path, title in (
        ("/help", "Help center"),
        ("/help/sign-in", "Can't sign in?"),
        ("/dev/outbox", "Demo outbox"),
        ("/no-such-page", "Sorry"),
    ):
        page.goto(server.url(site, path))
        expect(heading(page, title)).to_be_visible()
        expect_signed_in_header(page, "Rosa Díaz")
        check_page(page)
        both_widths(page, shot, path.strip("/").replace("/", "-"))
    # The 404 page offers the account, not a sign-in.
    expect(page.get_by_role("link", name="Login & security")).to_be_visible()
    expect(page.get_by_role("main").get_by_role("link", name="sign in")).to_have_count(0)

    page.goto(server.url(site, "/help/sign-in"))
    page.get_by_role("contentinfo").get_by_role("link", name="Help center").click()
    expect(heading(page, "Help center")).to_be_visible()
    expect(page.get_by_role("contentinfo")).to_contain_text("Need more help? Ask us.")
    expect(
        page.get_by_role("contentinfo").get_by_role("link", name="Ask us", exact=True)
    ).to_have_attribute("href", "/help/ask")


def test_home_page_and_favicon(server: Server, page: Page, shot: Shots) -> None:
    page.goto(server.url("uk", "/"))
    main = page.get_by_role("main")
    expect(main).to_contain_text("two-step verification")
    expect(main).not_to_contain_text("orders")
    check_page(page)
    both_widths(page, shot, "home")
    icon = page.locator('link[rel="icon"]')
    expect(icon).to_have_attribute("href", "/static/favicon.svg")
    for path in ("/favicon.ico", "/static/favicon.svg"):
        status, body = server.get("uk", path)
        assert status == 200 and body.lstrip().startswith(b"<svg"), path


# -- the wait countdown -------------------------------------------------------------------


def wrong_until_a_wait(page: Page, *, at_least: int) -> int:
    """Wrong passwords, waiting out each delay, until the page asks to wait ``at_least``
    seconds or more; returns the seconds it asks for."""
    for attempt in range(12):
        page.get_by_label("Password", exact=True).fill(f"not-my-password-{attempt}")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_be_visible()
        found = WAIT.search(page.get_by_role("alert").inner_text())
        if found and int(found.group(1)) >= at_least:
            return int(found.group(1))
        time.sleep(int(found.group(1)) + 0.3 if found else 0)
        if found:  # waited out: the next try is a real failure again
            page.goto(page.url)
    raise AssertionError("the page never asked to wait")


def test_wait_counts_down_and_reads_right_without_javascript(
    server: Server, new_context: Any, shot: Shots
) -> None:
    site, email = "ca", "sam@example.ca"
    page = new_context().new_page()
    page.goto(server.url(site, "/signin"))
    enter_identifier(page, email)
    seconds = wrong_until_a_wait(page, at_least=3)
    button = page.get_by_role("button", name="Sign in")
    expect(button).to_be_disabled()  # nothing to gain from trying before the wait is over
    check_page(page)
    both_widths(page, shot, "wait")
    time.sleep(1.2)
    counted = WAIT.search(page.get_by_role("alert").inner_text())
    assert counted and int(counted.group(1)) < seconds, page.get_by_role("alert").inner_text()
    expect(page.get_by_role("alert")).to_contain_text("You can try again now", timeout=40000)
    expect(button).to_be_enabled()
    shot(page, "wait-over")
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    button.click()
    expect(heading(page, "Login & security")).to_be_visible()

    plain = new_context(java_script_enabled=False).new_page()
    plain.goto(server.url(site, "/signin"))
    enter_identifier(plain, "nobody@example.ca")
    wrong_until_a_wait(plain, at_least=2)
    alert = plain.get_by_role("alert")
    expect(alert).to_contain_text(WAIT)  # the sentence is whole and right as served
    expect(plain.get_by_role("button", name="Sign in")).to_be_enabled()
    both_widths(plain, shot, "wait-no-javascript")


# -- registration: back from the verify page, a resend, a reload --------------------------


def test_verify_page_leads_back_and_a_reload_sends_nothing(
    server: Server, page: Page, shot: Shots
) -> None:
    site = "us"
    typo = unique_email("lee", site).replace("example.com", "exmaple.com")
    page.goto(server.url(site, "/register"))
    page.get_by_label("Your name").fill("Lee Park")
    page.get_by_label("Email or mobile phone number").fill(typo)
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Re-enter password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(heading(page, "Verify your account")).to_be_visible()
    server.wait_for_message(to=typo, site=site)

    page.get_by_role("button", name="Resend OTP").click()
    expect(page).to_have_url(server.url(site, "/register/verify?resent=1"))
    expect(page.get_by_role("status")).to_contain_text("We sent a new OTP to")
    # Messages enter the outbox with the request that sends them: a reload that sent
    # again would show here at once.
    sent = [m for m in server.messages() if m["to"] == typo]
    page.reload()
    expect(heading(page, "Verify your account")).to_be_visible()
    assert [m for m in server.messages() if m["to"] == typo] == sent and len(sent) == 2
    check_page(page)
    both_widths(page, shot, "verify")

    back = page.get_by_role("link", name=re.compile(r"^Wrong email address or mobile number\?"))
    back.click()
    expect(heading(page, "Create account")).to_be_visible()
    expect(page).to_have_url(server.url(site, "/register?correct=1"))
    # What was typed comes back to be corrected; the password is typed again.
    expect(page.get_by_label("Your name")).to_have_value("Lee Park")
    expect(page.get_by_label("Email or mobile phone number")).to_have_value(typo)
    expect(page.get_by_label("Password", exact=True)).to_have_value("")


# -- two-step settings: the first app's name, codes shown once, the first phone -----------


def test_first_app_after_an_abandoned_set_up(server: Server, page: Page, shot: Shots) -> None:
    site = "uk"
    register(page, server, site, "Mia Jones", unique_email("mia", site))
    open_settings(page, shot)
    page.get_by_role("link", name=ADD_APP).click()
    expect(heading(page, ADD_APP)).to_be_visible()
    page.go_back()  # left unfinished
    page.reload()
    key = open_app_page(page, shot)
    confirm_app(page, shot, key)
    expect(page).to_have_url(server.url(site, "/account/two-step/backup-codes"))
    both_widths(page, shot, "backup-codes")
    page.reload()  # shown once: a reload makes no new set and shows none
    expect(heading(page, SETTINGS)).to_be_visible()
    main = page.get_by_role("main")
    expect(main.get_by_text("Authenticator app", exact=True)).to_be_visible()
    expect(main).not_to_contain_text(re.compile(r"Authenticator app \d"))
    expect(main).to_contain_text("You have 10 unused codes.")
    expect(main).to_contain_text(
        re.compile(r"added\s\d{1,2}\s\w{3}\s\d{4},\s\d{2}:\d{2}\s(GMT|BST)")
    )
    check_page(page)
    both_widths(page, shot, "settings-first-app")


def test_first_phone_is_added_and_times_carry_the_zone(
    server: Server, page: Page, shot: Shots
) -> None:
    site = "us"
    register(page, server, site, "Ada Byron", unique_email("ada", site))
    activity = page.get_by_role("table")
    expect(activity).to_contain_text(re.compile(r"\d{1,2}:\d{2}\s(AM|PM)\sE[SD]T"))
    expect(activity).not_to_contain_text("UTC")
    both_widths(page, shot, "account-times")
    page.get_by_role("link", name="Add mobile number").click()
    expect(heading(page, "Add a mobile phone number")).to_be_visible()
    expect(page.get_by_label("Mobile phone number", exact=True)).to_be_visible()
    check_page(page)
    both_widths(page, shot, "add-phone")


# -- Message Center links -----------------------------------------------------------------


def test_message_center_links_go_to_our_own_origin(server: Server, page: Page, shot: Shots) -> None:
    site = "us"
    register(page, server, site, "Kai Moana", unique_email("kai", site))
    page.goto(server.url(site, "/account/password"))
    page.get_by_label("Current password").fill(NEW_PASSWORD)
    page.get_by_label("New password", exact=True).fill("lantern-orchard-river-9")
    page.get_by_label("Re-enter new password").fill("lantern-orchard-river-9")
    page.get_by_role("button", name="Save changes").click()
    expect(heading(page, "Login & security")).to_be_visible()
    page.get_by_role("link", name="Open Message Center").click()
    expect(heading(page, "Message Center")).to_be_visible()
    message = page.locator("article.message").filter(has_text="your password was changed")
    link = message.get_by_role("link", name=server.url(site, "/password/forgot"))
    expect(link).to_have_attribute("href", server.url(site, "/password/forgot"))
    check_page(page)
    both_widths(page, shot, "message-center")
    link.click()  # the message's "reset your password" leads to the reset itself
    expect(page).to_have_url(server.url(site, "/password/forgot"))


# -- list rows, the header at 360 px, the second step's ways out --------------------------

LONG_NAME = "Walker Five-Renamed"


def rows_layout(page: Page) -> list[dict[str, Any]]:
    """Each list row with buttons: its label, and where its text and its actions sit."""
    found: list[dict[str, Any]] = page.evaluate(
        """() => [...document.querySelectorAll('ul.rows > li')]
            .filter((li) => li.children.length > 1)
            .map((li) => {
                const text = li.children[0].getBoundingClientRect();
                const acts = [...li.children].slice(1).map((e) => e.getBoundingClientRect());
                const row = li.getBoundingClientRect();
                return {
                    label: li.children[0].innerText.split('\\n')[0],
                    textWidth: text.width,
                    textBottom: text.bottom,
                    actionsTop: Math.min(...acts.map((a) => a.top)),
                    actionsRight: Math.max(...acts.map((a) => a.right)),
                    overlap: acts.some((a) => a.left < text.right && a.right > text.left
                        && a.top < text.bottom && a.bottom > text.top),
                    rowRight: row.right,
                    buttons: li.querySelectorAll('button, a.button').length,
                };
            })"""
    )
    return found


def expect_readable_rows(page: Page, *, narrow: bool) -> list[dict[str, Any]]:
    """No row squeezes its text beside its buttons; on a phone, a row with two buttons has
    them under the text; on a desktop, every row keeps its buttons beside the text."""
    rows = rows_layout(page)
    assert rows, "no list rows with buttons on " + page.url
    for row in rows:
        assert row["textWidth"] >= 200, row
        assert not row["overlap"] and row["actionsRight"] <= row["rowRight"] + 1, row
        if narrow and row["buttons"] > 1:
            assert row["actionsTop"] >= row["textBottom"] - 1, row
        if not narrow:
            assert row["actionsTop"] < row["textBottom"], row
    return rows


def expect_compact_header(page: Page, name: str) -> None:
    """At 360 px the signed-in header is one row: the brand, then "Account" and "Sign out";
    the name stays in the link for screen readers and nothing is cut off with an ellipsis."""
    nav = account_nav(page)
    link = nav.get_by_role("link", name=name)
    expect(link).to_be_visible()
    expect(link.locator(".me-short")).to_be_visible()
    expect(link.locator(".me-short")).to_have_text(re.compile(r"^\s*Account$"))
    hidden = link.locator(".me-name").bounding_box()
    assert hidden and hidden["width"] <= 1, "the name is shown as well"
    box = page.get_by_role("banner").bounding_box()
    brand = page.get_by_role("banner").get_by_role("link").first.bounding_box()
    navbox = nav.bounding_box()
    assert box and brand and navbox
    assert navbox["y"] < brand["y"] + brand["height"], "the account links went to a second row"
    assert box["height"] <= 80, f"header {box['height']}px tall"
    cut = link.evaluate("(a) => a.scrollWidth > a.clientWidth")
    assert not cut, "the account link is cut off"


def both_widths_checked(page: Page, shot: Shots, step: str, name: str) -> None:
    """``both_widths`` with the header and the list rows checked at each width."""
    page.set_viewport_size(DESKTOP)
    expect(account_nav(page).get_by_role("link", name=name)).to_have_text(name, use_inner_text=True)
    if page.locator("ul.rows").count():
        expect_readable_rows(page, narrow=False)
    shot(page, step)
    page.set_viewport_size(MOBILE)
    no_sideways_scroll(page)
    expect_compact_header(page, name)
    if page.locator("ul.rows").count():
        expect_readable_rows(page, narrow=True)
    shot(page, step + "-360")
    page.set_viewport_size(DESKTOP)


def test_rows_header_and_second_step_on_a_phone(server: Server, page: Page, shot: Shots) -> None:
    site, number, wrong = "us", "+1 201 555 0188", "+1 201 555 0189"
    email = unique_email("walker", site)
    register(page, server, site, LONG_NAME, email)
    _, _, codes = enrol(page, shot)
    main = page.get_by_role("main")
    expect(main.get_by_text("Authenticator app", exact=True)).to_be_visible()

    # A phone: first a wrong number, corrected from the code page.
    page.get_by_role("link", name="Add a phone").click()
    expect(heading(page, "Add a phone")).to_be_visible()
    page.get_by_label("Mobile phone number").fill(wrong)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("main")).to_contain_text(masked(wrong))
    check_page(page)
    both_widths_checked(page, shot, "phone-code", LONG_NAME)
    page.get_by_role("link", name="Wrong number? Go back and correct it").click()
    expect(heading(page, "Add a phone")).to_be_visible()
    expect(page.get_by_label("Mobile phone number")).to_be_visible()
    page.get_by_label("Mobile phone number").fill(number)
    seen = seen_ids(server)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Enter OTP").fill(phone_code(server, number, site, "sms", seen))
    page.get_by_role("button", name="Verify OTP and continue").click()
    expect(heading(page, SETTINGS)).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Your phone was added.")
    phone_row = page.get_by_role("main").get_by_role("listitem").filter(has_text=masked(number))
    make = phone_row.get_by_role("button", name=f"Make Phone {masked(number)} preferred")
    expect(make).to_have_text("Make preferred")
    check_page(page)
    both_widths_checked(page, shot, "settings-app-and-phone", LONG_NAME)

    # Signed in already, the sign-in and registration forms lead to the account.
    for path in ("/signin", "/register"):
        page.goto(server.url(site, path))
        expect(page).to_have_url(server.url(site, "/account"))
        expect(heading(page, "Login & security")).to_be_visible()

    # The second step names its one method and both ways out.
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    page.goto(server.url(site, "/signin"))
    enter_identifier(page, email)
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(heading(page, CHALLENGE)).to_be_visible()
    ways_out = page.get_by_role("main").locator("p", has_text="Can't use")
    expect(ways_out).to_have_text(
        "Can't use your authenticator app? Use a backup method, or contact Customer Service."
    )
    expect(ways_out.get_by_role("link", name=BACKUP, exact=True)).to_be_visible()
    contact = ways_out.get_by_role("link", name="contact Customer Service", exact=True)
    expect(contact).to_be_visible()
    check_page(page)
    both_widths(page, shot, "second-step")
    ways_out.get_by_role("link", name=BACKUP, exact=True).click()
    expect(heading(page, BACKUP)).to_be_visible()
    page.get_by_role("link", name="Use a backup code").click()
    expect(page.get_by_role("main")).to_contain_text(
        "No backup code at hand? Choose another method, or contact Customer Service."
    )
    both_widths(page, shot, "backup-code")
    page.get_by_label("Enter backup code").fill(codes[0])
    page.get_by_label("Don't ask for a code on this browser").check()
    page.get_by_role("button", name="Sign in").click()
    expect(heading(page, "Login & security")).to_be_visible()

    # Login & security: the account rows, two devices' worth of rows, a remembered browser.
    expect(page.get_by_role("main")).to_contain_text("Remembered browsers")
    expect(page.get_by_role("button", name=re.compile(r"^Forget .*, remembered"))).to_have_count(1)
    check_page(page)
    both_widths_checked(page, shot, "account", LONG_NAME)
    page.goto(server.url(site, "/no-such-page"))
    both_widths_checked(page, shot, "not-found", LONG_NAME)


def test_signing_out_everywhere_is_confirmed(server: Server, page: Page, shot: Shots) -> None:
    site = "ca"
    email = unique_email("noor", site)
    register(page, server, site, "Noor Haddad", email)
    page.get_by_role("button", name="Sign out everywhere").click()
    expect(page).to_have_url(server.url(site, "/signin?signed_out=everywhere"))
    expect(heading(page, "Sign in")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("You're signed out on every device.")
    expect(account_nav(page).get_by_role("link", name="Sign in")).to_be_visible()
    check_page(page)
    both_widths(page, shot, "signed-out-everywhere")
    page.goto(server.url(site, "/register"))  # signed out: the form again
    expect(heading(page, "Create account")).to_be_visible()

    # The end of an unlock in the browser that was locked out: the password step, filled in.
    page.goto(server.url(site, "/signin"))
    enter_identifier(page, email)
    page.goto(server.url(site, "/signin/password?unlocked=new"))
    expect(page.get_by_role("status")).to_contain_text("Your account is unlocked")
    expect(page.get_by_role("main")).to_contain_text(email)
    expect(page.get_by_label("Password", exact=True)).to_be_visible()
    check_page(page)
    both_widths(page, shot, "unlocked-password-step")
