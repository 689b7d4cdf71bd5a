"""Help articles in each of a site's languages: the shipped French (Canada) set is complete
and says the same things, an operator may translate, and a missing translation reads English."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path, PurePosixPath

import pytest

from entryway.adapters.help_articles import (
    SHIPPED_DIR,
    HelpArticleError,
    load_help_center,
    read_folder,
)
from entryway.adapters.i18n import load_catalogs
from entryway.core.articles import SHIPPED, Article, HelpCenter, placeholders
from entryway.core.sites import Site
from entryway.settings import demo_sites

SITES = demo_sites(8000)
US, UK, CA = SITES
SENDER = "Acme Market <no-reply@acme-market.example>"
FRENCH = SHIPPED_DIR / "fr-CA"
LINK = re.compile(r"\]\(([^)\s]*)\)")
NBSP, NNBSP = "\u00a0", "\u202f"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


def titles(center: HelpCenter, site: str, locale: str | None = None) -> dict[str, str]:
    return {a.slug: a.title for a in center.index(site, locale)}


# -- the shipped translation ---------------------------------------------------------------


def test_every_english_article_has_a_french_one_saying_the_same_things() -> None:
    english, french = read_folder(SHIPPED_DIR), read_folder(FRENCH, "fr-CA")
    assert sorted(french) == sorted(english)
    for slug, en in english.items():
        fr = french[slug]
        en_text, fr_text = en.path.read_text("utf-8"), fr.path.read_text("utf-8")
        assert LINK.findall(fr_text) == LINK.findall(en_text), slug  # same links, same order
        assert placeholders(fr_text) == placeholders(en_text), slug
        assert fr.title != en.title and fr.summary != en.summary, slug
        # The same outline: as many sections and list items, the buttons at the same place.
        for mark in (r"^## ", r"^- ", r"^\d+\. ", r"^\[[^\]]+\]\([^)]+\)$", r"^\{other_sites\}$"):
            assert len(re.findall(mark, fr_text, re.M)) == len(re.findall(mark, en_text, re.M)), (
                slug,
                mark,
            )


def test_the_package_ships_the_translations() -> None:
    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    globs = pyproject["tool"]["setuptools"]["package-data"]["entryway"]
    package = SHIPPED_DIR.parents[1]
    for slug in SHIPPED:
        # As setuptools reads a glob: "*" stays within one folder.
        relative = PurePosixPath((FRENCH / f"{slug}.md").relative_to(package).as_posix())
        assert any(
            relative.match(g) and len(relative.parts) == len(PurePosixPath(g).parts) for g in globs
        ), relative


@pytest.mark.parametrize("slug", SHIPPED)
def test_the_french_follows_canadian_usage_and_typography(slug: str) -> None:
    text = (FRENCH / f"{slug}.md").read_text("utf-8")
    words = re.sub(r"\{[a-z_]+\}|\]\([^)]*\)", " ", text)  # placeholders and link targets
    assert "'" not in words, "the apostrophe is ’"
    assert not re.search(r"[^\u00a0]:", words), "a no-break space before :"
    assert not re.search(r"[^\u202f][?!;]", words), "a narrow no-break space before ? ! ;"
    assert not re.search(r"«[^\u00a0]|[^\u00a0]»", words)
    for english in (r"\be-?mail", r"\bSMS\b", r"\bOTP\b", r"\bmobile\b", r"\btu\b", r"\bton\b"):
        assert not re.search(english, words, re.I), english


def test_the_french_uses_the_pages_labels() -> None:
    text = "\n".join(p.read_text("utf-8") for p in sorted(FRENCH.glob("*.md")))
    for label in (
        f"**Mot de passe oublié{NNBSP}?**",
        "[Aide sur le mot de passe](/password/forgot)",
        "**Je n’ai plus accès à ce numéro de téléphone ou à ce courriel**",
        "**Utiliser une autre méthode**",
        "**joindre le Service à la clientèle**",
        "[Connexion et sécurité](/account)",
        "Centre de messages",
        "[Écrivez-nous](/help/ask)",
        "[Se connecter](/signin)",
        "code à usage unique",
        "codes de secours",
        "vérification en deux étapes",
        "application d’authentification",
    ):
        assert label in text, label


# -- loading per locale --------------------------------------------------------------------


def test_each_site_has_its_articles_in_each_of_its_locales() -> None:
    center = load_help_center(SITES, SENDER)
    assert center.locales("ca") == ("en-CA", "fr-CA") and center.locales("us") == ("en-US",)
    french = {slug: src.title for slug, src in read_folder(FRENCH, "fr-CA").items()}
    assert titles(center, "ca", "fr-CA") == french
    assert titles(center, "ca", "en-CA")["locked"] == "Account locked?"
    assert [a.slug for a in center.index("ca", "fr-CA")] == list(SHIPPED)
    assert {a.lang for a in center.index("ca", "fr-CA")} == {"fr-CA"}
    assert {a.lang for a in center.index("ca", "en-CA")} == {"en"}
    # No locale, or one the site does not offer, is the site's default.
    assert center.index("ca") == center.index("ca", "en-CA") == center.index("ca", "de-DE")
    assert center.index("us", "fr-CA") == center.index("us")
    locked = center.article("ca", "locked", "fr-CA")
    assert locked is not None and locked.title == f"Compte verrouillé{NNBSP}?"
    assert "http://ca.localhost:8000" in locked.body_html
    assert center.article("ca", "nope", "fr-CA") is None


def test_the_french_articles_fill_in_the_site_in_french() -> None:
    center = load_help_center(SITES, SENDER)
    wrong = center.article("ca", "wrong-site", "fr-CA")
    assert wrong is not None
    assert "notre site United States ou United Kingdom avec" in wrong.body_html
    assert 'href="http://us.localhost:8000/signin">Acme Market United States<' in wrong.body_html
    english = center.article("ca", "wrong-site", "en-CA")
    assert english is not None and "United States or United Kingdom site" in english.body_html
    genuine = center.article("ca", "genuine-messages", "fr-CA")
    assert genuine is not None and "l’adresse no-reply@acme-market.example" in genuine.body_html
    assert not re.search(r"(?<!\\)\{[a-z_]+\}", genuine.body_html + genuine.title)


def test_a_site_with_no_other_says_so_in_its_language() -> None:
    alone = Site(
        code="qc",
        name="Québec",
        base_url="https://qc.example",
        locales=("fr-CA", "en-CA"),
        support_email="aide@qc.example",
    )
    center = load_help_center([alone], SENDER, catalogs=load_catalogs(["fr-CA"]))
    assert center.locales("qc") == ("fr-CA", "en-CA")
    assert center.index("qc") == center.index("qc", "fr-CA")
    french = center.article("qc", "wrong-site", "fr-CA")
    english = center.article("qc", "wrong-site", "en-CA")
    assert french is not None and "notre site aucun autre site régional" in french.body_html
    assert english is not None and "our no other regional site site" in english.body_html


def test_another_region_of_a_language_reads_the_shipped_translation() -> None:
    paris = Site(code="fr", name="France", base_url="https://fr.example", locales=("fr-FR",))
    center = load_help_center([paris, UK], SENDER)
    assert titles(center, "fr")["locked"] == f"Compte verrouillé{NNBSP}?"
    assert titles(center, "uk")["locked"] == "Account locked?"


# -- an operator's folder ------------------------------------------------------------------


def test_an_operator_translates_and_adds_in_their_folder(tmp_path: Path) -> None:
    write(tmp_path, "fr-CA/locked.md", "# Verrouillé chez {brand}?\n\nAppelez {site}.\n")
    write(tmp_path, "returns.md", "# Returns\n\nHow returns work on {other_site_names}.\n")
    center = load_help_center(SITES, SENDER, tmp_path)
    fr = titles(center, "ca", "fr-CA")
    assert fr["locked"] == "Verrouillé chez Acme Market?"
    assert fr["no-access"].startswith("Vous n’avez plus accès")  # the rest stays shipped
    assert titles(center, "ca", "en-CA")["locked"] == "Account locked?"
    # Not translated: the French reader gets the English article, written as English.
    returns = center.article("ca", "returns", "fr-CA")
    assert returns is not None and returns.title == "Returns" and returns.lang == "en"
    assert returns.summary_html == "How returns work on United States or United Kingdom."
    assert [a.slug for a in center.index("ca", "fr-CA")] == [*SHIPPED, "returns"]


def test_an_operators_english_article_sets_aside_the_shipped_translation(tmp_path: Path) -> None:
    write(tmp_path, "locked.md", "# Locked out?\n\nCall the {site} desk.\n")
    center = load_help_center(SITES, SENDER, tmp_path)
    locked = center.article("ca", "locked", "fr-CA")
    assert locked is not None and locked.title == "Locked out?" and locked.lang == "en"
    write(tmp_path, "fr-CA/locked.md", "# Verrouillé ?\n\nAppelez le comptoir {site}.\n")
    center = load_help_center(SITES, SENDER, tmp_path)
    assert titles(center, "ca", "fr-CA")["locked"] == "Verrouillé ?"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("fr-CA/returns.md", "translates no article; returns.md must be at the top"),
        ("fr_CA/locked.md", "named by its locale tag, such as fr-CA"),
        ("French/locked.md", "named by its locale tag, such as fr-CA"),
        ("fr-CA/Locked.md", "file name must be <slug>.md"),
    ],
)
def test_a_bad_translation_is_refused_naming_it(tmp_path: Path, name: str, message: str) -> None:
    write(tmp_path, name, "# T\n\nS.\n")
    with pytest.raises(HelpArticleError) as caught:
        load_help_center(SITES, SENDER, tmp_path)
    assert str(tmp_path / name.split("/")[0]) in str(caught.value)
    assert message in str(caught.value)


def test_a_translation_is_checked_like_any_article(tmp_path: Path) -> None:
    path = write(tmp_path, "fr-CA/locked.md", "# T\n\nS [x](https://evil.example/).\n")
    with pytest.raises(HelpArticleError, match="goes outside") as caught:
        load_help_center(SITES, SENDER, tmp_path)
    assert str(path) in str(caught.value)


def test_a_tools_hidden_folder_is_not_a_language(tmp_path: Path) -> None:
    write(tmp_path, ".git/HEAD.md", "not an article")
    assert titles(load_help_center(SITES, SENDER, tmp_path), "ca", "fr-CA")["locked"]


# -- the help center's own checks ----------------------------------------------------------


def test_every_locale_of_a_site_lists_the_same_articles() -> None:
    english = [Article(slug, slug, "", "") for slug in SHIPPED]
    with pytest.raises(ValueError, match="fr-CA does not list the same articles as en-CA"):
        HelpCenter({"ca": {"en-CA": english, "fr-CA": english[::-1]}})
    with pytest.raises(ValueError, match="fr-CA: missing help articles"):
        HelpCenter({"ca": {"en-CA": english, "fr-CA": english[1:]}})
    with pytest.raises(ValueError, match="no locale"):
        HelpCenter({"ca": {}})
