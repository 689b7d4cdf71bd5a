"""Download your data in a real browser: from Login & security to the file it saves, in
English and in French, and on a 360 px screen. Same conventions as ``test_journeys.py``.
A password older than ten minutes is asked again first; that needs a frozen clock and is
covered over HTTP (tests/web/test_data_download.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import IN_FRENCH, Server, Shots
from tests.browser.french import expect
from tests.browser.test_journeys import (
    MOBILE,
    check_page,
    heading,
    no_sideways_scroll,
    register,
    unique_email,
)

pytestmark = pytest.mark.browser

expect.set_options(timeout=5000)


@pytest.mark.parametrize("site", ["us", IN_FRENCH])
def test_download_your_data_saves_the_file(
    site: str, server: Server, page: Page, shot: Shots, tmp_path: Path
) -> None:
    email = unique_email("ana", site)
    register(page, server, site, "Ana Lopez", email)
    page.get_by_role("link", name="Download your data").click()
    expect(heading(page, "Download your data")).to_be_visible()
    check_page(page)
    shot(page, "page")
    with page.expect_download() as waiting:
        page.get_by_role("button", name="Download your data").click()
    download = waiting.value
    assert download.suggested_filename.startswith("account-data-")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    document = json.loads(saved.read_text(encoding="utf-8"))
    assert document["account"]["email"] == email
    assert document["account"]["name"] == "Ana Lopez"
    assert "$argon2" not in saved.read_text(encoding="utf-8")
    page.goto(page.url.rsplit("/account", 1)[0] + "/account")
    expect(page.get_by_role("table")).to_contain_text("Your data downloaded")
    shot(page, "activity")


def test_download_your_data_on_a_small_screen(
    server: Server, new_context: Any, shot: Shots
) -> None:
    page = new_context(viewport=MOBILE, is_mobile=True, has_touch=True).new_page()
    register(page, server, "us", "Eve Polastri", unique_email("eve", "us"))
    page.get_by_role("link", name="Download your data").click()
    expect(heading(page, "Download your data")).to_be_visible()
    no_sideways_scroll(page)
    shot(page, "page")
