"""The API reference at /api/docs renders in a real browser from our own origin, under the
site's Content-Security-Policy: no CDN, no violation, and "Try it out" reaches the API."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DEMO_PASSWORD, Server, Shots

pytestmark = pytest.mark.browser

expect.set_options(timeout=10000)  # Swagger UI's bundle is 1.5 MB of script to start

# Every violation the page meets, seen by the document itself (set before any script runs).
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
});
"""


def watch(page: Page) -> tuple[list[str], list[str]]:
    """Console errors and every address the page requests, collected as it runs."""
    errors: list[str] = []
    requested: list[str] = []
    page.add_init_script(WATCH_CSP)

    def on_console(message: Any) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    page.on("request", lambda request: requested.append(request.url))
    return errors, requested


def test_api_docs_render_offline_under_the_csp(server: Server, page: Page, shot: Shots) -> None:
    errors, requested = watch(page)
    page.goto(server.url("us", "/api/docs"))
    operation = page.locator(".opblock").filter(has=page.get_by_text("/api/v1/sign-in", exact=True))
    expect(page.get_by_text("/api/v1/sign-in", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Entryway")).to_be_visible()
    shot(page, "reference", full_page=False)

    # "Try it out" sends a real request from the page: connect-src must allow our origin.
    operation.get_by_text("/api/v1/sign-in", exact=True).click()
    operation.get_by_role("button", name="Try it out").click()
    operation.locator("textarea.body-param__text").fill(
        f'{{"identifier": "jane@example.com", "password": "{DEMO_PASSWORD}"}}'
    )
    operation.get_by_role("button", name="Execute").click()
    live = operation.locator(".live-responses-table tbody .response-col_status")
    expect(live).to_have_text("200")
    operation.locator(".live-responses-table").scroll_into_view_if_needed()
    shot(page, "try-it-out", full_page=False)

    assert page.evaluate("() => window.__cspViolations") == []
    # The only console error allowed is the browser asking for a favicon this page lacks.
    assert [e for e in errors if "favicon" not in e and "404" not in e] == []
    origin = server.origin("us")
    foreign = [u for u in requested if urlsplit(u)._replace(path="", query="").geturl() != origin]
    assert foreign == [], f"requests to other origins: {foreign}"
    assert origin + "/api/docs/swagger-ui-bundle.js" in requested
    assert origin + "/openapi.json" in requested


def test_api_docs_at_360px(server: Server, new_context: Any, shot: Shots) -> None:
    page = new_context(viewport={"width": 360, "height": 740}).new_page()
    page.goto(server.url("uk", "/api/docs"))
    expect(page.get_by_text("/api/v1/sign-in", exact=True)).to_be_visible()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360, f"the reference scrolls sideways: {width}px wide"
    shot(page, "mobile", full_page=False)
