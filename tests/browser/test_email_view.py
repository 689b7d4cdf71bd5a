"""An email as the customer would see it: from the Message Center to its HTML part, shown in
a sandboxed frame, in English on the US site and in French on the Canada site."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import BRAND, Server, Shots
from tests.browser.french import FRENCH, Translated, expect, french
from tests.browser.test_journeys import NEW_PASSWORD, check_page, heading, register, unique_email

pytestmark = pytest.mark.browser

CHANGED = "lantern-orchard-river-9"


def _identity(text: str) -> str:
    return text


@pytest.mark.parametrize(("site", "locale"), [("us", "en-US"), ("ca", FRENCH)])
def test_an_email_as_it_looks(
    site: str, locale: str, server: Server, new_context: Callable[..., Any], shot: Shots
) -> None:
    t = french() if locale == FRENCH else _identity
    raw = new_context(locale=locale).new_page()
    page = Translated(raw, t) if locale == FRENCH else raw
    register(page, server, site, "Noor Haddad", unique_email("noor", site))
    page.goto(server.url(site, "/account/password"))
    page.get_by_label("Current password").fill(NEW_PASSWORD)
    page.get_by_label("New password", exact=True).fill(CHANGED)
    page.get_by_label("Re-enter new password").fill(CHANGED)
    page.get_by_role("button", name="Save changes").click()
    expect(heading(page, "Login & security")).to_be_visible()

    page.goto(server.url(site, "/account/messages"))
    expect(heading(page, "Message Center")).to_be_visible()
    subject = t("%(brand)s: your password was changed").replace("%(brand)s", BRAND)
    message = page.locator("article.message").filter(has_text=subject)
    message.get_by_role("link", name="View as the email looks").click()
    expect(page.locator("h1")).to_have_text(subject)
    frame = page.frame_locator("iframe.email-frame")
    first = t(
        "The password of your %(brand)s (%(site_name)s) account was changed, and every other "
        "device was signed out."
    )
    site_name = {"us": "United States", "ca": "Canada"}[site]
    expect(frame.locator("p").first).to_have_text(
        first.replace("%(brand)s", BRAND).replace("%(site_name)s", site_name)
    )
    # The demo brand's logo is the one remote image the email loads, from the site itself.
    logo = frame.get_by_role("img", name=BRAND)
    expect(logo).to_have_attribute("src", server.url(site, "/static/logo.png"))
    # Loaded, not only named: waits for the image (it may still be on its way once the
    # text shows), and fails when it never decodes.
    raw.frames[1].wait_for_function(
        "() => { const img = document.querySelector('img');"
        " return img !== null && img.complete && img.naturalWidth > 0; }"
    )
    # Its links are the site's own, shown as they are.
    reset = server.url(site, "/password/forgot")
    expect(frame.get_by_role("link", name=reset)).to_have_attribute("href", reset)
    iframe = raw.locator("iframe.email-frame")
    expect(iframe).to_have_attribute("sandbox", "")
    check_page(raw)
    shot(raw, "email-as-it-looks")
