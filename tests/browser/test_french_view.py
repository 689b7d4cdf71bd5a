"""The French run's lookups (tests/browser/french.py) on a small catalog: no browser needed."""

from __future__ import annotations

import re

from tests.browser.french import Catalog, Translated, _translate_pattern, one_of, words

CATALOG = Catalog(
    {
        "Sign in": "Se connecter",
        "Forgot your password?": "Mot de passe oublié\u202f?",
        "Your code is %(code)s.": "Votre code est %(code)s.",
        "%(brand)s %(site)s": "%(brand)s %(site)s",
        'Each regional %(brand)s site has its own accounts. <a href="%(url)s">Sign in</a> '
        "there.": "Chaque site régional %(brand)s a ses propres comptes. "
        '<a href="%(url)s">Connectez-vous</a> là-bas.',
        "Case %(number)s": "Demande %(number)s",
    },
    [
        (
            "You have %(num)s unused code.",
            "You have %(num)s unused codes.",
            ("Il vous reste %(num)s code inutilisé.", "Il vous reste %(num)s codes inutilisés."),
        )
    ],
)


def test_whole_entries_templates_and_titles() -> None:
    assert CATALOG("Sign in") == "Se connecter"
    assert CATALOG("Your code is 123456.") == "Votre code est 123456."
    assert CATALOG("Case 12345678") == "Demande 12345678"
    # A title part by part; an entry of placeholders alone never matches any two words.
    assert CATALOG("Sign in · Acme Market Canada") == "Se connecter · Acme Market Canada"
    assert CATALOG("jane@example.com") == "jane@example.com"


def test_plurals_follow_the_french_rule() -> None:
    assert CATALOG("You have 1 unused code.") == "Il vous reste 1 code inutilisé."
    assert CATALOG("You have 10 unused codes.") == "Il vous reste 10 codes inutilisés."
    assert CATALOG("You have 0 unused codes.") == "Il vous reste 0 code inutilisé."


def test_a_piece_of_a_sentence_is_looked_for_as_the_whole_french_sentence() -> None:
    found = CATALOG.containing("has its own accounts")
    assert isinstance(found, re.Pattern)
    page = "Chaque site régional Acme Market a ses propres comptes. Connectez-vous là-bas."
    assert found.search(page)
    # Words found in two sentences: either French sentence will do.
    either = CATALOG.containing("unused code")
    assert isinstance(either, re.Pattern)
    assert either.search("Il vous reste 3 codes inutilisés.")
    assert either.search("Il vous reste 1 code inutilisé.")
    assert CATALOG.containing("no such words anywhere") == "no such words anywhere"


def test_patterns_of_one_label_are_translated_and_others_kept() -> None:
    title = _translate_pattern(CATALOG, re.compile("Sign in · Acme Market Canada"))
    assert title.search("Se connecter · Acme Market Canada")
    asked = _translate_pattern(CATALOG, re.compile(r"^Forgot your password\?$"))
    assert asked.fullmatch("Mot de passe oublié\u202f?")
    kept = re.compile(r"/signin/password(\?|$)")
    assert _translate_pattern(CATALOG, kept) is kept


def test_one_of_reads_in_the_page_s_language() -> None:
    class Page:
        pass

    french = Translated(Page(), CATALOG)
    assert words(french) is CATALOG
    assert one_of(french, "Sign in", "a/b").fullmatch("Se connecter")
    assert one_of(Page(), "Sign in", "a/b").fullmatch("a/b")
    assert one_of(Page(), "a/b").pattern == r"^(?:a\/b)$"  # "/" would end it in the browser


def test_english_left_on_a_french_page_is_found() -> None:
    page = "Se connecter\nEach regional Acme Market site has its own accounts. Sign in there."
    assert CATALOG.english_left(page) == ["site has its own accounts. Sign in there"]
    french = "Chaque site régional Acme Market a ses propres comptes. Connectez-vous là-bas."
    assert CATALOG.english_left(french) == []
