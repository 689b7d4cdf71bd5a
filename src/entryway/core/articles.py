"""Help articles as values: slugs, placeholders and every site's rendered help center.

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


class HelpCenter:
    """Every site's articles, rendered once at start, in the order the index lists them."""

    def __init__(self, by_site: Mapping[str, Sequence[Article]]) -> None:
        self._index = {code: tuple(articles) for code, articles in by_site.items()}
        self._by_slug = {
            code: {a.slug: a for a in articles} for code, articles in self._index.items()
        }
        for code, articles in self._index.items():
            if len(self._by_slug[code]) != len(articles):
                raise ValueError(f"site {code!r}: two articles share a slug")
            missing = [slug for slug in SHIPPED if slug not in self._by_slug[code]]
            if missing:
                raise ValueError(f"site {code!r}: missing help articles {missing}")

    def index(self, site_code: str) -> tuple[Article, ...]:
        """The site's articles in index order."""
        return self._index[site_code]

    def article(self, site_code: str, slug: str) -> Article | None:
        """The site's article ``slug``, or None (the page answers 404)."""
        return self._by_slug[site_code].get(slug)
