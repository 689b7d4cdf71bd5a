"""Passkeys in a real browser, with Chromium's DevTools virtual authenticator (a platform
authenticator that keeps discoverable credentials and verifies its user): add a passkey on
Login & security, sign out, sign in with it by the button, remove it; and the sign-in page
without JavaScript shows no passkey control and still signs in by password."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import DEMO_PASSWORD, IN_FRENCH, Server, Shots
from tests.browser.french import expect
from tests.browser.test_journeys import check_page, heading, register, unique_email
from tests.browser.test_reset import sign_out
from tests.browser.test_two_step import enrol, sign_in_to_challenge

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


def sign_out_here(page: Any, server: Server) -> None:
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
    sign_out_here(page, server)
    expect(page.get_by_role("heading", name="Login & security")).to_be_visible()
    page.goto(server.url("us", "/account/passkeys"))
    expect(page.get_by_text("last used")).to_be_visible()

    # The button, in a browser without passkey autofill.
    context.add_init_script(
        "PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);"
    )
    sign_out_here(page, server)
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


NO_AUTOFILL = "PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);"


@pytest.mark.parametrize("site", ["us", IN_FRENCH])
def test_a_passkey_as_the_second_step_renamed_then_removed(
    site: str, server: Server, new_context: Any, shot: Shots
) -> None:
    """An account with two-step verification on: its passkey is offered at the challenge and
    under Use a backup method; renamed on its own page, then removed."""
    context = new_context()
    # Autofill on the sign-in page would sign in with the passkey at once (a whole sign-in):
    # this journey types the password, to reach the second step.
    context.add_init_script(NO_AUTOFILL)
    page = context.new_page()
    email = unique_email("pia", site)
    register(page, server, site, "Pia Sorensen", email)
    virtual_authenticator(context, page)
    enrol(page, shot)
    page.get_by_role("link", name="Login & security").click()
    page.get_by_role("link", name="Manage passkeys").click()
    page.get_by_label("Name (optional)").fill("Laptop")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_text("Your passkey was added.")).to_be_visible()

    page.get_by_role("link", name="Rename the passkey Laptop").click()
    expect(heading(page, "Rename a passkey")).to_be_visible()
    check_page(page)
    shot(page, "rename")
    page.get_by_label("Passkey name").fill("Work laptop")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Your passkey was renamed.")).to_be_visible()
    expect(page.get_by_text("Work laptop")).to_be_visible()
    check_page(page)
    shot(page, "renamed")

    # At the challenge: beside the code.
    sign_out(page)
    sign_in_to_challenge(page, server, site, email)
    expect(page.get_by_role("button", name="Use a passkey")).to_be_visible()
    check_page(page)
    shot(page, "challenge-with-passkey")
    page.get_by_role("button", name="Use a passkey").click()
    expect(heading(page, "Login & security")).to_be_visible()

    # Under Use a backup method, on its own page.
    sign_out(page)
    sign_in_to_challenge(page, server, site, email)
    page.get_by_role("link", name="Use a backup method").click()
    page.get_by_role("link", name="Use a passkey").click()
    expect(heading(page, "Use a passkey")).to_be_visible()
    expect(page.locator("#passkey-unsupported")).to_be_hidden()
    check_page(page)
    shot(page, "second-step-passkey")
    page.get_by_role("button", name="Use a passkey").click()
    expect(heading(page, "Login & security")).to_be_visible()

    page.get_by_role("link", name="Manage passkeys").click()
    page.get_by_role("button", name="Remove the passkey Work laptop").click()
    expect(page.get_by_text("That passkey was removed.")).to_be_visible()
    sign_out(page)
    sign_in_to_challenge(page, server, site, email)
    expect(page.get_by_role("button", name="Use a passkey")).to_have_count(0)


def test_without_javascript_the_challenge_hides_the_passkey_and_takes_a_code(
    server: Server, new_context: Any, shot: Shots
) -> None:
    """An account with a passkey and two-step verification, in a browser without script:
    the passkey controls stay hidden, the backup code signs in."""
    context = new_context()
    context.add_init_script(NO_AUTOFILL)
    page = context.new_page()
    email = unique_email("noa", "us")
    register(page, server, "us", "Noa Levi", email)
    virtual_authenticator(context, page)
    _, _, codes = enrol(page, shot)
    page.get_by_role("link", name="Login & security").click()
    page.get_by_role("link", name="Manage passkeys").click()
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_text("Your passkey was added.")).to_be_visible()

    bare = new_context(java_script_enabled=False).new_page()
    sign_in_to_challenge(bare, server, "us", email)
    expect(bare.get_by_role("button", name="Use a passkey")).to_be_hidden()
    shot(bare, "challenge-without-script")
    bare.get_by_role("link", name="Use a backup method").click()
    expect(bare.get_by_role("link", name="Use a passkey")).to_be_hidden()
    bare.goto(server.url("us", "/signin/two-step?method=passkey"))
    expect(bare.locator("#passkey-unsupported")).to_be_visible()
    expect(bare.get_by_role("button", name="Use a passkey")).to_be_hidden()
    shot(bare, "passkey-step-without-script")
    bare.get_by_role("link", name="Use a backup method").click()
    bare.get_by_role("link", name="Use a backup code").click()
    bare.get_by_label("Enter backup code").fill(codes[0])
    bare.get_by_role("button", name="Sign in").click()
    expect(heading(bare, "Login & security")).to_be_visible()
