"""Customer journeys in a real browser, on two regional sites (US and UK), and each once
more on the Canada site in French ("ca-fr": see tests/browser/french.py).

Every element is found the way a customer (or a screen reader) finds it: by its label, role
and accessible name. Every page visited is also saved as a full-page screenshot, and gets a
small accessibility smoke check (labelled fields, named buttons and links, one h1, a lang).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import (
    BRAND,
    DEMO_PASSWORD,
    IN_FRENCH,
    SITE_NAMES,
    Server,
    Shots,
    in_french,
    site_code,
)
from tests.browser.french import expect, untranslated

pytestmark = pytest.mark.browser

expect.set_options(timeout=5000)

SITES = ["us", "uk"]
# The journeys, and once more in French on the Canada site.
WITH_FRENCH = [*SITES, IN_FRENCH]
# The demo account each site's journeys sign in with: (email, name).
DEMO = {
    "us": ("jane@example.com", "Jane Doe"),
    "uk": ("jane@example.com", "Jane Doe"),
    "ca": ("sam@example.ca", "Sam Tremblay"),
    IN_FRENCH: ("sam@example.ca", "Sam Tremblay"),
}
NEW_PASSWORD = "quiet-meadow-lantern-7"
FAILED = "We couldn't sign you in with that email or mobile number and password."
ELSEWHERE = (
    f"Each regional {BRAND} site has its own accounts. If you created your account on another"
    " site, sign in there:"
)
MOBILE = {"width": 360, "height": 740}


# -- helpers ------------------------------------------------------------------------------


def unique_email(who: str, site: str) -> str:
    return f"{who}.{site}.{uuid.uuid4().hex[:8]}@example.com"


def check_page(page: Page) -> None:
    """Accessibility smoke check of the page as it is now (once a navigation a click may
    have started has loaded: evaluated mid-way, there is no document to check)."""
    page.wait_for_load_state()
    problems = page.evaluate(
        """() => {
        const out = [];
        const name = (e) => (e.getAttribute('aria-label') || e.textContent || '').trim();
        for (const e of document.querySelectorAll(
                'input:not([type=hidden]), select, textarea')) {
            const labelled = (e.labels && e.labels.length > 0
                && [...e.labels].some((l) => l.textContent.trim()))
                || e.getAttribute('aria-label') || e.getAttribute('aria-labelledby');
            if (!labelled) out.push('unlabelled field: ' + (e.name || e.id || e.type));
        }
        for (const e of document.querySelectorAll('button, a[href]')) {
            if (!name(e)) out.push('nameless ' + e.tagName.toLowerCase() + ': ' + e.outerHTML);
        }
        const h1 = document.querySelectorAll('h1').length;
        if (h1 !== 1) out.push('expected one h1, found ' + h1);
        if (!document.documentElement.lang) out.push('html has no lang');
        if (!document.title.trim()) out.push('page has no title');
        if (!document.querySelector('main')) out.push('page has no main landmark');
        return out;
    }"""
    )
    assert problems == [], f"{page.url}: {problems}"


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    viewport = page.viewport_size
    assert viewport is not None
    assert width <= viewport["width"], f"{page.url} scrolls sideways: {width}px wide"


def heading(page: Page, text: str) -> Any:
    return page.get_by_role("heading", name=text, exact=True)


def account_nav(page: Page) -> Any:
    return page.get_by_role("navigation", name="Account")


def open_sign_in(page: Page, server: Server, site: str) -> None:
    page.goto(server.url(site, "/signin"))
    expect(heading(page, "Sign in")).to_be_visible()
    expect(page).to_have_title(re.compile(f"Sign in · {BRAND} {SITE_NAMES[site]}"))


def enter_identifier(page: Page, identifier: str) -> None:
    page.get_by_label("Email or mobile phone number").fill(identifier)
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/signin/password"))
    expect(page.get_by_label("Password", exact=True)).to_be_visible()


def sign_in(
    page: Page,
    server: Server,
    site: str,
    identifier: str,
    password: str = DEMO_PASSWORD,
    *,
    remember: bool = False,
) -> None:
    """The whole identifier-first sign-in, expected to land on Login & security."""
    page.goto(server.url(site, "/signin"))
    enter_identifier(page, identifier)
    page.get_by_label("Password", exact=True).fill(password)
    if remember:
        page.get_by_label("Keep me signed in").check()
    page.get_by_role("button", name="Sign in").click()
    expect(heading(page, "Login & security")).to_be_visible()


def register(
    page: Page, server: Server, site: str, name: str, email: str, shot: Shots | None = None
) -> None:
    """Create and verify an account through the pages; ends on Login & security."""
    page.goto(server.url(site, "/register"))
    expect(heading(page, "Create account")).to_be_visible()
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email or mobile phone number").fill(email)
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Re-enter password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(heading(page, "Verify your account")).to_be_visible()
    page.get_by_label("Enter OTP").fill(server.code_for(email, site))
    if shot:
        shot(page, "verify")
    page.get_by_role("button", name="Continue").click()
    expect(heading(page, "Login & security")).to_be_visible()


def keep_french(page: Page, server: Server, site: str) -> None:
    """In the French run, a signed-in demo account (which has no language of its own yet)
    is set to French on Login & security, as a French-speaking customer would set it: the
    emails it gets then follow. Elsewhere nothing is done."""
    if not in_french(site):
        return
    page.goto(server.url(site, "/account"))
    page.get_by_role("button", name="Change language to Français").click()
    expect(heading(page, "Login & security")).to_be_visible()
    expect(page.get_by_role("button", name="Change language to English")).to_be_visible()


def expect_redirected_to_sign_in(page: Page, server: Server, site: str) -> None:
    page.goto(server.url(site, "/account"))
    expect(page).to_have_url(re.compile(re.escape(server.url(site, "/signin")) + r"(\?|$)"))
    expect(heading(page, "Sign in")).to_be_visible()
    expect(account_nav(page).get_by_role("link", name="Sign in")).to_be_visible()


# -- 1. create account --------------------------------------------------------------------


@pytest.mark.parametrize("site", WITH_FRENCH)
def test_create_account(site: str, server: Server, page: Page, shot: Shots) -> None:
    email = unique_email("ana", site)

    open_sign_in(page, server, site)
    check_page(page)
    shot(page, "signin")
    page.get_by_role("link", name="Create your account").click()

    expect(heading(page, "Create account")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(
        f"Accounts are separate on each regional site: this one is for {BRAND} {SITE_NAMES[site]}."
    )
    check_page(page)
    page.get_by_label("Your name").fill("Ana López")
    page.get_by_label("Email or mobile phone number").fill(email)
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Re-enter password").fill(NEW_PASSWORD)
    shot(page, "register")
    page.get_by_role("button", name="Continue").click()

    expect(heading(page, "Verify your account")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("a***@example.com")
    check_page(page)
    message = server.wait_for_message(to=email, site=site)
    assert message["channel"] == "email"
    assert f"({SITE_NAMES[site]})" in message["body"]
    page.get_by_label("Enter OTP").fill(server.code_for(email, site))
    shot(page, "verify")
    page.get_by_role("button", name="Continue").click()

    expect(heading(page, "Login & security")).to_be_visible()
    expect(page).to_have_url(server.url(site, "/account"))
    expect(page.get_by_role("main")).to_contain_text(email)
    expect(account_nav(page).get_by_role("link", name="Ana López")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("Account verified")
    check_page(page)
    shot(page, "account")

    account_nav(page).get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(server.url(site, "/signin"))
    expect(heading(page, "Sign in")).to_be_visible()
    check_page(page)
    shot(page, "signed-out")
    expect_redirected_to_sign_in(page, server, site)


# -- 2. identifier-first sign-in ----------------------------------------------------------


@pytest.mark.parametrize("site", WITH_FRENCH)
def test_identifier_first_sign_in(
    site: str, server: Server, page: Page, shot: Shots, new_context: Any
) -> None:
    email, name = DEMO[site]
    typed = email[0].upper() + email[1:].replace("@e", "@E")  # as a customer might type it
    open_sign_in(page, server, site)
    shot(page, "signin")
    page.get_by_label("Email or mobile phone number").fill("someone@example.com")
    page.get_by_role("button", name="Continue").click()

    # The identifier is shown with a way to change it.
    expect(page.get_by_text("someone@example.com", exact=True)).to_be_visible()
    check_page(page)
    shot(page, "password-first-try")
    page.get_by_role("link", name="Change").click()
    expect(heading(page, "Sign in")).to_be_visible()
    identifier = page.get_by_label("Email or mobile phone number")
    expect(identifier).to_have_value("someone@example.com")
    identifier.fill(typed)
    page.get_by_role("button", name="Continue").click()

    expect(heading(page, "Sign in")).to_be_visible()
    expect(page.get_by_text(typed, exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Change")).to_be_visible()
    expect(page.get_by_role("link", name="Forgot your password?")).to_be_visible()
    remember = page.get_by_role("checkbox", name="Keep me signed in")
    expect(remember).not_to_be_checked()
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    remember.check()
    check_page(page)
    shot(page, "password")
    page.get_by_role("button", name="Sign in").click()

    expect(heading(page, "Login & security")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(email)
    expect(account_nav(page).get_by_role("link", name=name)).to_be_visible()
    check_page(page)
    shot(page, "account")

    # "Keep me signed in" gives a lasting session cookie.
    cookies = {c["name"]: c for c in page.context.cookies(server.origin(site))}
    assert cookies["ew_session"]["expires"] > 0, "remembered session should outlive the browser"
    assert cookies["ew_session"]["httpOnly"] is True
    assert "ew_ident" not in cookies, "the remembered identifier should be cleared"

    # Without it, the session ends with the browser.
    other = new_context().new_page()
    sign_in(other, server, site, email)
    cookies = {c["name"]: c for c in other.context.cookies(server.origin(site))}
    assert cookies["ew_session"]["expires"] == -1

    # "Forgot your password?" starts Password assistance (the journey is in test_reset.py).
    # Signed out first: a signed-in browser is sent on from /signin to the account.
    other.goto(server.url(site, "/signin"))
    expect(heading(other, "Login & security")).to_be_visible()
    account_nav(other).get_by_role("button", name="Sign out").click()
    expect(heading(other, "Sign in")).to_be_visible()
    enter_identifier(other, email)
    other.get_by_role("link", name="Forgot your password?").click()
    expect(heading(other, "Password assistance")).to_be_visible()
    expect(other.get_by_label("Email or mobile phone number")).to_have_value(email)
    check_page(other)
    shot(other, "forgot-password")


# -- 3. wrong password, wrong site --------------------------------------------------------


@pytest.mark.parametrize("site", WITH_FRENCH)
def test_wrong_password(site: str, server: Server, page: Page, shot: Shots) -> None:
    email = DEMO[site][0]
    open_sign_in(page, server, site)
    enter_identifier(page, email)
    page.get_by_label("Password", exact=True).fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("There was a problem")
    expect(alert).to_contain_text(FAILED)
    expect(alert).to_contain_text(ELSEWHERE)
    for code, name in SITE_NAMES.items():
        link = alert.get_by_role("link", name=f"{BRAND} {name}")
        if code == site_code(site):
            expect(link).to_have_count(0)
        else:
            expect(link).to_have_attribute("href", server.url(code, "/signin"))
    expect(page.get_by_label("Password", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Password", exact=True)).to_have_value("")
    expect(page.get_by_text(email, exact=True)).to_be_visible()
    check_page(page)
    shot(page, "failed")

    # The customer can still get it right on the same page.
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(heading(page, "Login & security")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("Failed sign-in attempt")


# Each address is tried once per run: the wrong-site notice is sent at most once a day per
# address and home site, so two tests must not aim at the same (address, home site).
WRONG_SITE = [
    pytest.param("us", "sam@example.ca", "ca", "email", id="us-sam-on-ca"),
    pytest.param("us", "oliver@example.co.uk", "uk", "email", id="us-oliver-on-uk"),
    pytest.param("uk", "+1 201 555 0123", "us", "sms", id="uk-jane-phone-on-us"),
    pytest.param(IN_FRENCH, "+44 7400 123456", "uk", "sms", id="ca-fr-oliver-phone-on-uk"),
]


@pytest.mark.parametrize(("site", "identifier", "home", "channel"), WRONG_SITE)
def test_wrong_site(
    site: str,
    identifier: str,
    home: str,
    channel: str,
    server: Server,
    page: Page,
    shot: Shots,
) -> None:
    open_sign_in(page, server, site)
    enter_identifier(page, identifier)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)  # right password, wrong site
    page.get_by_role("button", name="Sign in").click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(FAILED)
    expect(alert).to_contain_text(ELSEWHERE)
    home_link = alert.get_by_role("link", name=f"{BRAND} {SITE_NAMES[home]}")
    expect(home_link).to_have_attribute("href", server.url(home, "/signin"))
    check_page(page)
    shot(page, "failed")
    seen = alert.inner_text()

    # The owner hears from their own site where the account is.
    to = identifier if channel == "email" else "+" + re.sub(r"\D", "", identifier)
    message = server.wait_for_message(
        to=to, site=home, matching=lambda m: SITE_NAMES[home] in m["body"]
    )
    assert message["channel"] == channel
    assert server.url(home, "/signin") in message["body"]
    if channel == "email":
        assert message["subject"] == f"{BRAND}: your account is on our {SITE_NAMES[home]} site"
        assert "Each regional site has its own accounts" in message["body"]
        assert server.origin(site) in message["body"]

    # The demo outbox page shows it too (a demo tool: in English whatever the language).
    page.get_by_role("contentinfo").get_by_role("link", name="Demo outbox").click()
    outbox = untranslated(page)
    expect(heading(outbox, "Demo outbox")).to_be_visible()
    expect(
        outbox.get_by_role("article").filter(has_text=message["body"][:40]).first
    ).to_be_visible()
    check_page(page)
    shot(page, "outbox")

    # Nothing on screen tells this apart from an address with no account anywhere.
    page.goto(server.url(site, "/signin"))
    enter_identifier(page, "nobody.at.all@example.com" if channel == "email" else "+1 415 555 0100")
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text(seen)


# -- 4. Login & security ------------------------------------------------------------------


@pytest.mark.parametrize("site", WITH_FRENCH)
def test_login_and_security(site: str, server: Server, page: Page, shot: Shots) -> None:
    email = unique_email("lee", site)
    register(page, server, site, "Lee Park", email)

    main = page.get_by_role("main")
    expect(main).to_contain_text(email)
    expect(main.get_by_text("This device")).to_be_visible()
    expect(heading(page, "Recent security activity")).to_be_visible()
    activity = page.get_by_role("table")
    for what in ("Account created", "Account verified"):
        expect(activity).to_contain_text(what)
    check_page(page)
    shot(page, "account")

    page.get_by_role("link", name="Edit name").click()
    expect(heading(page, "Change your name")).to_be_visible()
    new_name = page.get_by_label("New name")
    expect(new_name).to_have_value("Lee Park")
    new_name.fill("Lee J. Park")
    check_page(page)
    shot(page, "edit-name")
    page.get_by_role("button", name="Save changes").click()

    expect(heading(page, "Login & security")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Your name was updated.")
    expect(account_nav(page).get_by_role("link", name="Lee J. Park")).to_be_visible()
    expect(main.get_by_text("Lee J. Park", exact=True)).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("Name changed")
    shot(page, "name-changed")

    expect(heading(page, "Message Center")).to_be_visible()
    page.get_by_role("link", name="Open Message Center").click()
    expect(heading(page, "Message Center")).to_be_visible()
    expect(page.get_by_role("article")).to_have_count(1)
    expect(page.get_by_role("article")).to_contain_text(f"{BRAND}: your one-time code")
    check_page(page)
    shot(page, "message-center")
    page.get_by_role("link", name="Login & security").click()
    expect(heading(page, "Login & security")).to_be_visible()


@pytest.mark.parametrize("site", WITH_FRENCH)
def test_sign_out_everywhere(
    site: str, server: Server, page: Page, shot: Shots, new_context: Any
) -> None:
    email = unique_email("kim", site)
    register(page, server, site, "Kim Lee", email)
    # A second device, to see "Sign out everywhere" reach it.
    laptop = new_context(
        user_agent="Mozilla/5.0 (Macintosh; Intel Mac OS X 14.0; rv:120.0) Gecko/20100101 "
        "Firefox/120.0"
    ).new_page()
    sign_in(laptop, server, site, email, NEW_PASSWORD)

    page.reload()
    main = page.get_by_role("main")
    expect(main.get_by_text("This device")).to_be_visible()
    expect(main.get_by_text("Firefox on Mac")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("Signed in")
    shot(page, "two-devices")

    page.get_by_role("button", name="Sign out everywhere").click()
    page.wait_for_load_state()
    landed = page.get_by_role("main").inner_text()
    assert page.url == server.url(site, "/signin?signed_out=everywhere"), (
        f"ended on {page.url}: {landed!r}"
    )
    expect(heading(page, "Sign in")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("You're signed out on every device.")
    check_page(page)
    shot(page, "signed-out")
    expect_redirected_to_sign_in(page, server, site)
    expect_redirected_to_sign_in(laptop, server, site)


# -- 5. regional sites are separate -------------------------------------------------------


@pytest.mark.parametrize(("site", "other"), [("us", "uk"), ("uk", "us")])
def test_sites_are_separate(site: str, other: str, server: Server, page: Page, shot: Shots) -> None:
    sign_in(page, server, site, "jane@example.com")
    shot(page, f"signed-in-{site}")

    page.goto(server.url(other, "/account"))
    expect(page).to_have_url(server.url(other, "/signin?return_to=%2Faccount"))
    expect(heading(page, "Sign in")).to_be_visible()
    expect(page).to_have_title(re.compile(SITE_NAMES[other]))
    expect(page.get_by_role("banner")).to_contain_text(SITE_NAMES[other])
    expect(account_nav(page).get_by_role("link", name="Sign in")).to_be_visible()
    check_page(page)
    shot(page, f"not-signed-in-{other}")

    # Still signed in where we were.
    page.goto(server.url(site, "/account"))
    expect(heading(page, "Login & security")).to_be_visible()


# -- 6. mobile ---------------------------------------------------------------------------


@pytest.mark.parametrize("site", SITES)
def test_mobile(site: str, server: Server, new_context: Any, shot: Shots) -> None:
    page = new_context(viewport=MOBILE, is_mobile=True, has_touch=True).new_page()
    open_sign_in(page, server, site)
    no_sideways_scroll(page)
    check_page(page)
    shot(page, "signin")

    enter_identifier(page, "jane@example.com")
    no_sideways_scroll(page)
    shot(page, "password")
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(heading(page, "Login & security")).to_be_visible()
    no_sideways_scroll(page)
    check_page(page)
    shot(page, "account")
