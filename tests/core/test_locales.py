"""Which language a request is answered in (core/locales.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from entryway.core.locales import accepted, babel_name, language_name, negotiate, valid_tag

CANADA = ("en-CA", "fr-CA")


@pytest.mark.parametrize(
    ("choice", "header", "expected"),
    [
        (None, "", "en-CA"),  # nothing said: the site's default
        (None, "fr-CA", "fr-CA"),
        (None, "fr", "fr-CA"),  # the same language, another or no region
        (None, "fr-FR,en;q=0.5", "fr-CA"),
        (None, "en-US,fr-CA;q=0.9", "en-CA"),
        (None, "de-DE, fr;q=0.3", "fr-CA"),  # the first the site offers, in the browser's order
        (None, "de-DE", "en-CA"),
        (None, "fr;q=0.2, en;q=0.8", "en-CA"),  # by weight, not by place
        (None, "en;q=0, *", "fr-CA"),  # '*' is any language not refused
        (None, "fr;q=0, en-CA;q=0", "en-CA"),  # all refused: the default still answers
        (None, "fr;q=bogus, en", "en-CA"),  # a malformed weight is left out
        ("fr-CA", "en", "fr-CA"),  # the customer's own choice wins
        ("de-DE", "fr", "fr-CA"),  # a choice the site does not offer is not taken
        ("fr", "", "en-CA"),  # a choice is a whole tag
    ],
)
def test_negotiate(choice: str | None, header: str, expected: str) -> None:
    assert negotiate(choice, header, CANADA) == expected


@given(st.text(max_size=300), st.one_of(st.none(), st.text(max_size=40)))
def test_any_header_or_cookie_gives_an_offered_locale(header: str, choice: str | None) -> None:
    """Whatever a browser (or an attacker) sends, the answer is one of the site's locales."""
    assert negotiate(choice, header, CANADA) in CANADA


def test_a_long_header_is_read_only_so_far() -> None:
    header = ",".join(["de"] * 1000 + ["fr"])
    assert negotiate(None, header, CANADA) == "en-CA"  # past the first 40 ranges: not read
    assert len(accepted(header)) == 40


def test_a_site_offers_at_least_one_locale() -> None:
    with pytest.raises(ValueError, match="at least one"):
        negotiate(None, "fr", ())


def test_tags_and_names() -> None:
    assert valid_tag("fr-CA") and valid_tag("es-419")
    assert not valid_tag("fr") and not valid_tag("fr_CA") and not valid_tag("FR-ca")
    assert babel_name("fr-CA") == "fr_CA"
    assert language_name("fr-CA") == "Français" and language_name("en-GB") == "English"
