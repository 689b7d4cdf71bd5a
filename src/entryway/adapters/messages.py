"""Every email and text message rendered from a template, in its reader's language.

A message ``name`` has ``messages/<name>.txt`` (blocks ``subject`` and ``body``: the plain
text part), optionally ``messages/<name>.html`` (the HTML part; without one, the text part
is laid out in ``messages/_email.html``), and a text message ``messages/<name>.sms.txt``.
An operator's folder (setting ``TEMPLATES_DIR``) is searched first, so any of these can be
replaced by name without touching the package. README "Message templates" lists the names
and the values each one gets."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
)
from markupsafe import Markup, escape

from entryway.core.locales import Catalogs
from entryway.core.sites import Site
from entryway.flows import words
from entryway.flows.ports import Rendered

PACKAGED = Path(__file__).resolve().parent.parent / "messages"
_URL = re.compile(r"https?://[^\s<>\"'`]+")
_TRAILING = ".,;:!?)]}»"  # sentence punctuation after a link is not part of it
_BLANK_LINES = re.compile(r"\n{3,}")


class MessageTemplateError(Exception):
    """A template that cannot be used: the service refuses to start (or the test fails)."""


class MessageTemplates:
    """Renders messages; one Jinja environment per locale, made when first asked for."""

    def __init__(self, catalogs: Catalogs, override: Path | None = None) -> None:
        self._catalogs = catalogs
        folders = [PACKAGED] if override is None else [override / "messages", PACKAGED]
        self._loader = ChoiceLoader([FileSystemLoader(folder) for folder in folders])
        self._envs: dict[tuple[str, bool], Environment] = {}

    def _env(self, locale: str, html: bool) -> Environment:
        key = (locale, html)
        env = self._envs.get(key)
        if env is None:
            env = Environment(
                loader=self._loader,
                autoescape=html,  # noqa: S701 (text parts are plain text, not HTML)
                undefined=StrictUndefined,  # a missing value is an error, never a blank
                # In a text part a blank line is a paragraph break, so a tag's own newline
                # stays (_tidy removes the extra ones at the ends).
                trim_blocks=html,
                lstrip_blocks=True,
                keep_trailing_newline=False,
                extensions=["jinja2.ext.i18n"],
            )
            env.policies["ext.i18n.trimmed"] = True  # a paragraph's line breaks are layout
            env.install_gettext_translations(  # type: ignore[attr-defined]
                self._catalogs.get(locale), newstyle=True
            )
            self._envs[key] = env
        return env

    def _values(self, site: Site, locale: str, values: dict[str, Any]) -> dict[str, Any]:
        def when(value: datetime) -> str:
            return words.when(value, site, locale)

        def money(amount: Decimal, currency: str) -> str:
            return words.money(amount, currency, locale)

        url: Callable[[str], str] = site.url
        return {
            "site": site,
            "brand": site.brand,
            "site_name": site.name,
            "origin": site.origin,
            "locale": locale,
            "url": url,
            "when": when,
            "money": money,
            **values,
        }

    def email(self, name: str, site: Site, locale: str, **values: Any) -> Rendered:
        """Subject, text part and HTML part of the email ``name``."""
        context = self._values(site, locale, values)
        template = self._env(locale, html=False).get_template(f"{name}.txt")
        try:
            blocks = template.blocks
            subject = _one_line(_render_block(template, blocks, "subject", context))
            text = _tidy(_render_block(template, blocks, "body", context))
        except KeyError as exc:
            raise MessageTemplateError(f"messages/{name}.txt has no block {exc}") from None
        html_env = self._env(locale, html=True)
        try:
            own = html_env.get_template(f"{name}.html")
        except TemplateNotFound:
            own = html_env.get_template("_email.html")
        html = own.render(
            subject=subject, text=text, paragraphs=paragraphs(text, site.origin), **context
        )
        return Rendered(subject=subject, text=text, html=html)

    def sms(self, name: str, site: Site, locale: str, **values: Any) -> str:
        """The text message ``name``: one line of plain words."""
        context = self._values(site, locale, values)
        template = self._env(locale, html=False).get_template(f"{name}.sms.txt")
        return _one_line(template.render(**context))

    def names(self) -> list[str]:
        """Every message template name the package ships (for tests and README)."""
        return sorted(
            path.name.removesuffix(".txt")
            for path in PACKAGED.glob("*.txt")
            if not path.name.startswith("_")
        )


def _render_block(template: Any, blocks: Any, name: str, context: dict[str, Any]) -> str:
    return "".join(blocks[name](template.new_context(context)))


_ASCII_SPACE = re.compile(r"[ \t\r\n\f\v]+")


def _one_line(text: str) -> str:
    """Runs of layout whitespace as one space; a no-break space (French « : », « ? ») is a
    character of the text and stays (str.split would take it for layout)."""
    return _ASCII_SPACE.sub(" ", text).strip()


def _tidy(text: str) -> str:
    """Paragraphs one blank line apart, no space at either end of a line."""
    lines = [line.strip() for line in text.strip().splitlines()]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines))


def paragraphs(text: str, origin: str) -> list[Markup]:
    """The text part's paragraphs as HTML: escaped, with links to the site's own origin
    clickable (nothing else becomes a link, so a customer's or agent's words quoted in a
    message can never plant one)."""
    return [_linked(part.strip(), origin) for part in text.split("\n\n") if part.strip()]


def _linked(text: str, origin: str) -> Markup:
    parts: list[str] = []
    last = 0
    for found in _URL.finditer(text):
        url = found.group(0).rstrip(_TRAILING)
        rest = url[len(origin) :]
        if not url.startswith(origin) or (rest and rest[0] not in "/?#"):
            continue
        parts.append(escape(text[last : found.start()]))
        parts.append(Markup('<a href="{0}" style="color:inherit">{0}</a>').format(url))
        last = found.start() + len(url)
    parts.append(escape(text[last:]))
    return Markup("<br>\n").join(Markup("").join(parts).split("\n"))
