"""Verification questions in a real browser: set them up from Login & security, see an
answer refused on its own field, change them, and the same on a 360 px screen.

Same conventions as ``test_journeys.py``: elements found by label and role, every page saved
as a screenshot and given the accessibility smoke check. The password-again step needs a
session older than ten minutes, so it is covered over HTTP with a frozen clock
(tests/web/test_questions.py) rather than here.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import BRAND, IN_FRENCH, Server, Shots
from tests.browser.french import expect, words_for
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

ROW = "Verification questions"
PET = "What was the name of your first pet?"
STREET = "On what street did you live when you were ten?"
FILM = "What was the first film you saw at a cinema?"
CAR = "What was the make and model of the first car you owned?"
NAME_REFUSED = "Don't use your name, email address or phone number as an answer."


def open_questions(page: Page, action: str) -> None:
    page.get_by_role("link", name=f"{action} verification questions").click()
    expect(heading(page, ROW)).to_be_visible()


def fill(page: Page, answers: list[tuple[str, str]]) -> None:
    for n, (question, answer) in enumerate(answers, start=1):
        page.get_by_label(f"Question {n}", exact=True).select_option(label=question)
        page.get_by_label(f"Answer {n}", exact=True).fill(answer)


@pytest.mark.parametrize("site", ["us", "uk", IN_FRENCH])
def test_set_then_change_verification_questions(
    site: str, server: Server, page: Page, shot: Shots
) -> None:
    email = unique_email("ana", site)
    register(page, server, site, "Ana Lopez", email)
    row = page.get_by_role("listitem").filter(has=heading(page, ROW))
    expect(row).to_contain_text("Not set")
    shot(page, "account-not-set")

    open_questions(page, "Set")
    check_page(page)
    shot(page, "form")
    # The name is refused, on its own field; the other answers must be typed again.
    fill(page, [(PET, "Rex"), (STREET, "Elm Street"), (FILM, "Ana Lopez")])
    page.get_by_role("button", name="Save").click()
    answer_3 = page.get_by_label("Answer 3", exact=True)
    expect(answer_3).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#answer_3-error")).to_have_text(NAME_REFUSED)
    expect(page.get_by_label("Answer 1", exact=True)).to_have_value("")
    expect(page.get_by_label("Question 3", exact=True)).to_have_value("first_film")
    check_page(page)
    shot(page, "refused")

    fill(page, [(PET, "Rex"), (STREET, "Elm Street"), (FILM, "Jaws")])
    page.get_by_role("button", name="Save").click()
    expect(heading(page, "Login & security")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Your verification questions were saved.")
    expect(row).to_contain_text("3 questions set on")
    expect(page.get_by_role("table")).to_contain_text("Verification questions set")
    message = server.wait_for_message(
        to=email, site=site, matching=lambda m: m["kind"] == "questions_changed"
    )
    t = words_for(site)
    assert "Rex" not in message["body"]
    assert message["subject"] == t(f"{BRAND}: your verification questions were set")
    check_page(page)
    shot(page, "account-set")

    open_questions(page, "Change")
    expect(page.get_by_label("Question 1", exact=True)).to_have_value("first_pet")
    expect(page.get_by_label("Answer 1", exact=True)).to_have_value("")  # never prefilled
    fill(page, [(CAR, "Fiat Panda"), (STREET, "Elm Street"), (FILM, "Jaws")])
    shot(page, "change")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Your verification questions were saved.")
    server.wait_for_message(
        to=email,
        site=site,
        matching=lambda m: (
            m["kind"] == "questions_changed"
            and m["subject"] == t(f"{BRAND}: your verification questions were changed")
        ),
    )


def test_questions_on_a_small_screen(server: Server, new_context: Any, shot: Shots) -> None:
    page = new_context(viewport=MOBILE, is_mobile=True, has_touch=True).new_page()
    register(page, server, "us", "Eve Polastri", unique_email("eve", "us"))
    no_sideways_scroll(page)
    shot(page, "account")
    open_questions(page, "Set")
    no_sideways_scroll(page)
    shot(page, "form")
    fill(page, [(PET, "Rex"), (CAR, "Mini Cooper"), (FILM, "Jaws")])
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Your verification questions were saved.")
    no_sideways_scroll(page)
    shot(page, "account-set")
