"""Help articles as values: slugs, placeholders and every site's help center per language.

Reading and rendering the Markdown is the adapters' job (adapters/help_articles.py); what
lives here is what the pages and the troubleshooter need to agree on without it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# The articles we ship, in the order the help index lists them (PRODUCT.md 9). An operator's
# folder may replace any of them or add more; it can never remove one, so the troubleshooter
# can always lead to these.
SHIPPED = (
    "forgot-password",
    "no-access",
    "locked",
    "suspended",
    "two-step",
    "code-not-arriving",
    "wrong-site",
    "genuine-messages",
)
# Help pages that are not articles; an article by one of these names could never be reached.
RESERVED = frozenset({"sign-in", "contact", "ask"})
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_SLUG = 60
# {name}; a backslash before the brace keeps it as written (Markdown then shows "{name}").
PLACEHOLDER = re.compile(r"(?<!\\)\{([a-z_]+)\}")


def is_slug(value: str) -> bool:
    """Whether ``value`` can name an article in a URL: lower-case words joined by hyphens."""
    return len(value) <= MAX_SLUG and SLUG.fullmatch(value) is not None


def placeholders(text: str) -> list[str]:
    """The placeholder names ``text`` uses, in order of first use."""
    return list(dict.fromkeys(PLACEHOLDER.findall(text)))


def fill(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each known ``{name}`` replaced by its value and every other brace kept.

    Deliberately not ``str.format``: operator text must not reach attribute or index
    lookups (``{site.__class__}``), and a stray brace must not raise."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


@dataclass(frozen=True, slots=True)
class Article:
    """One article as rendered for one site; ``*_html`` is already safe to send."""

    slug: str
    title: str  # plain text
    summary_html: str  # the first paragraph, inline (for the index)
    body_html: str  # everything under the title, the summary paragraph included
    # The language the text is written in ("en", "fr-CA"): a page in French showing an
    # article that has no translation yet can mark that part lang="en".
    lang: str = ""


class HelpCenter:
    """Every site's articles in each of its locales, rendered once at start, in the order
    the index lists them.

    ``by_site[code]`` maps each of the site's locales to its articles, the site's default
    locale first (``Site.locales``). Every locale has the same slugs in the same order, so an
    article's address is the same in every language; a locale the site does not offer reads
    the default's."""

    def __init__(self, by_site: Mapping[str, Mapping[str, Sequence[Article]]]) -> None:
        self._index: dict[str, dict[str, tuple[Article, ...]]] = {}
        self._by_slug: dict[str, dict[str, dict[str, Article]]] = {}
        self._default: dict[str, str] = {}
        for code, by_locale in by_site.items():
            if not by_locale:
                raise ValueError(f"site {code!r}: no locale has help articles")
            self._default[code] = next(iter(by_locale))
            self._index[code] = {tag: tuple(arts) for tag, arts in by_locale.items()}
            self._by_slug[code] = {
                tag: {a.slug: a for a in arts} for tag, arts in self._index[code].items()
            }
            slugs = [a.slug for a in self._index[code][self._default[code]]]
            for tag, articles in self._index[code].items():
                if len(self._by_slug[code][tag]) != len(articles):
                    raise ValueError(f"site {code!r}, {tag}: two articles share a slug")
                missing = [slug for slug in SHIPPED if slug not in self._by_slug[code][tag]]
                if missing:
                    raise ValueError(f"site {code!r}, {tag}: missing help articles {missing}")
                if [a.slug for a in articles] != slugs:
                    raise ValueError(
                        f"site {code!r}: {tag} does not list the same articles as "
                        f"{self._default[code]}"
                    )

    def locales(self, site_code: str) -> tuple[str, ...]:
        """The locales the site's help center is written in, its default first."""
        return tuple(self._index[site_code])

    def _locale(self, site_code: str, locale: str | None) -> str:
        return locale if locale in self._index[site_code] else self._default[site_code]

    def index(self, site_code: str, locale: str | None = None) -> tuple[Article, ...]:
        """The site's articles in index order, in ``locale`` (default: the site's own)."""
        return self._index[site_code][self._locale(site_code, locale)]

    def article(self, site_code: str, slug: str, locale: str | None = None) -> Article | None:
        """The site's article ``slug`` in ``locale``, or None (the page answers 404)."""
        return self._by_slug[site_code][self._locale(site_code, locale)].get(slug)
