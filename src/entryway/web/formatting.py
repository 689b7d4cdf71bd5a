"""How pages write values: times in the site's zone, phone numbers, links in messages."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import phonenumbers
from markupsafe import Markup, escape

from entryway.core.sites import Site
from entryway.flows import words

_URL = re.compile(r"https?://[^\s<>\"'`]+")
NBSP = "\u00a0"
_TRAILING = ".,;:!?)]}"  # sentence punctuation after a link is not part of it


def when(value: datetime, site: Site, locale: str = "") -> str:
    """A moment in the site's own time zone, zone written, in ``locale`` (the site's default
    when not given): 1 Dec 2026, 4:05 PM EST (with no-break spaces inside the date and
    inside the time)."""
    return words.when(value, site, locale or site.locale, space=NBSP)


def phone(e164: str) -> str:
    """+12015550123 -> +1 201-555-0123, the way people write it."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def linkify(text: str, origin: str) -> Markup:
    """Escaped text whose links to ``origin`` are clickable; any other address stays text.

    A message's text could quote anything, so only our own origin becomes a link, and
    links that carried a token (taken out for the Message Center) stay text too."""
    parts: list[str] = []
    last = 0
    for found in _URL.finditer(text):
        url = found.group(0).rstrip(_TRAILING)
        if not _links_here(url, origin):
            continue
        parts.append(escape(text[last : found.start()]))
        parts.append(Markup('<a href="{0}">{0}</a>').format(url))
        last = found.start() + len(url)
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


def _links_here(url: str, origin: str) -> bool:
    if not url.startswith(origin):
        return False
    rest = url[len(origin) :]
    # "https://site.example.evil" and "https://site.example@evil" start alike: the origin
    # must end where the path, query or fragment begins.
    if rest and rest[0] not in "/?#":
        return False
    return "token" not in parse_qs(urlsplit(url).query)
