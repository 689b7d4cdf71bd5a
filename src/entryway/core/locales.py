"""Languages: which of a site's locales a request is answered in, and the catalogs' shape.

A locale is a BCP 47 tag with a region, as sites configure it: ``en-US``, ``fr-CA``. The
catalogs themselves (Babel ``.po`` files, compiled at start) are loaded by
``adapters.i18n``; here they are plain ``gettext`` translations, so flows and the web layer
can ask for words without knowing where they came from.
"""

from __future__ import annotations

import functools
import gettext
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# Locale tags as sites write them: language (2-3 letters) and region (2 letters or 3 digits).
_TAG = re.compile(r"^[a-z]{2,3}-(?:[A-Z]{2}|\d{3})$")
# What the footer's language choice says, each name in its own language.
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}
MAX_ACCEPT_LANGUAGE = 40  # entries read from one header; the rest is noise or an attack


def N_(message: str) -> str:
    """Marks a text for the catalog without translating it here: it is translated where it
    is shown, in the reader's language (the extraction keyword ``N_``)."""
    return message


def valid_tag(tag: str) -> bool:
    return bool(_TAG.match(tag))


def language(tag: str) -> str:
    """``fr-CA`` -> ``fr``."""
    return tag.partition("-")[0].lower()


def language_name(tag: str) -> str:
    """What the language choice shows for ``tag``: the language's own name for itself."""
    return LANGUAGE_NAMES.get(language(tag), tag)


def babel_name(tag: str) -> str:
    """``fr-CA`` -> ``fr_CA``, the name Babel and the catalog folders use."""
    lang, _, region = tag.partition("-")
    return f"{lang.lower()}_{region.upper()}" if region else lang.lower()


def ranges(header: str) -> tuple[list[str], set[str]]:
    """The language ranges of an ``Accept-Language`` header, most wanted first (RFC 9110
    12.5.4), and those refused with ``q=0``. Malformed parts are skipped, never an error:
    the header is the browser's guess, not the customer's word."""
    ranked: list[tuple[float, int, str]] = []
    refused: set[str] = set()
    for position, part in enumerate(header.split(",")[:MAX_ACCEPT_LANGUAGE]):
        name, _, params = part.strip().partition(";")
        name = name.strip().lower()
        if not name or len(name) > 35:
            continue
        weight = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = -1.0
        if weight == 0:
            refused.add(name)
        elif 0 < weight <= 1:
            ranked.append((-weight, position, name))
    return [name for _, _, name in sorted(ranked)], refused


def accepted(header: str) -> list[str]:
    """The wanted language ranges of an ``Accept-Language`` header, most wanted first."""
    return ranges(header)[0]


def negotiate(choice: str | None, accept_language: str, offered: tuple[str, ...]) -> str:
    """The locale a request is answered in: the customer's own choice (the language cookie)
    when the site offers it, else the best of the browser's ``Accept-Language`` among the
    site's locales (an exact tag first, then the same language; ``*`` is any locale the
    header did not refuse), else the site's default, the first it offers."""
    if not offered:
        raise ValueError("a site offers at least one locale")
    if choice and choice in offered:
        return choice
    return _from_header(accept_language, offered)


@functools.lru_cache(maxsize=512)  # browsers send a handful of distinct headers; bounded
def _from_header(accept_language: str, offered: tuple[str, ...]) -> str:
    wanted_ranges, refused = ranges(accept_language)
    by_lower = {tag.lower(): tag for tag in offered}
    for wanted in wanted_ranges:
        if wanted == "*":
            for tag in offered:
                if tag.lower() not in refused and language(tag) not in refused:
                    return tag
            continue
        if wanted in by_lower:
            return by_lower[wanted]
        same = [tag for tag in offered if language(tag) == language(wanted)]
        if same:
            return same[0]
    return offered[0]


@dataclass(frozen=True, slots=True)
class Catalogs:
    """The compiled translations, by locale tag; a locale without a catalog reads the
    source texts (English) as they are."""

    by_locale: Mapping[str, gettext.NullTranslations] = field(default_factory=dict)

    def get(self, tag: str) -> gettext.NullTranslations:
        found = self.by_locale.get(tag)
        return found if found is not None else gettext.NullTranslations()

    def gettext(self, tag: str, message: str) -> str:
        return self.get(tag).gettext(message)

    def locales(self) -> Iterable[str]:
        return self.by_locale.keys()
