"""Passkeys in a real browser, with Chromium's DevTools virtual authenticator (a platform
authenticator that keeps discoverable credentials and verifies its user): add a passkey on
Login & security, sign out, sign in with it by the button, remove it; and the sign-in page
without JavaScript shows no passkey control and still signs in by password."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import DEMO_PASSWORD, Server, Shots
from tests.browser.french import expect

pytestmark = pytest.mark.browser

expect.set_options(timeout=8000)


def virtual_authenticator(context: Any, page: Any) -> None:
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )


def sign_in_by_password(page: Any, server: Server, email: str) -> None:
    page.goto(server.url("us", "/signin"))
    page.get_by_label("Email or mobile phone number").fill(email)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Login & security")).to_be_visible()


def sign_out(page: Any, server: Server) -> None:
    page.goto(server.url("us", "/account"))
    page.get_by_role("navigation", name="Account").get_by_role("button", name="Sign out").click()


def test_add_a_passkey_sign_in_with_it_and_remove_it(
    new_context: Any, server: Server, shot: Shots
) -> None:
    context = new_context()
    page = context.new_page()
    page.goto(server.url("us", "/signin"))
    virtual_authenticator(context, page)
    sign_in_by_password(page, server, "jane@example.com")
    page.get_by_role("link", name="Manage passkeys").click()
    expect(page.get_by_role("heading", name="Passkeys")).to_be_visible()
    expect(page.get_by_text("You have no passkeys yet.")).to_be_visible()
    expect(page.locator("#passkey-unsupported")).to_be_hidden()
    shot(page, "passkeys-none")
    page.get_by_label("Name (optional)").fill("Work laptop")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_text("Your passkey was added.")).to_be_visible()
    expect(page.get_by_text("Work laptop")).to_be_visible()
    shot(page, "passkey-added")

    # Autofill: signed out, the sign-in page asks for a passkey quietly (conditional
    # mediation), and the virtual authenticator answers as a customer picking it from the
    # field's list would: signed in again, without a password.
    sign_out(page, server)
    expect(page.get_by_role("heading", name="Login & security")).to_be_visible()
    page.goto(server.url("us", "/account/passkeys"))
    expect(page.get_by_text("last used")).to_be_visible()

    # The button, in a browser without passkey autofill.
    context.add_init_script(
        "PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);"
    )
    sign_out(page, server)
    expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_visible()
    shot(page, "sign-in-with-a-passkey")
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("heading", name="Login & security")).to_be_visible()

    page.goto(server.url("us", "/account/passkeys"))
    page.get_by_role("button", name="Remove the passkey Work laptop").click()
    expect(page.get_by_text("That passkey was removed.")).to_be_visible()
    expect(page.get_by_text("You have no passkeys yet.")).to_be_visible()
    shot(page, "passkey-removed")


def test_without_javascript_no_passkey_control_and_the_password_still_works(
    new_context: Any, server: Server, shot: Shots
) -> None:
    page = new_context(java_script_enabled=False).new_page()
    page.goto(server.url("us", "/signin"))
    expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_hidden()
    shot(page, "sign-in-without-script")
    sign_in_by_password(page, server, "jane@example.com")
    page.goto(server.url("us", "/account/passkeys"))
    expect(page.get_by_role("button", name="Add a passkey")).to_be_hidden()
    expect(page.locator("#passkey-unsupported")).to_be_visible()
