"""How pages write values: times in the site's zone, phone numbers, links in messages."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import phonenumbers
from markupsafe import Markup, escape

from entryway.core.sites import Site

# Regions whose customers read a 12-hour clock; everyone else gets 24 hours.
TWELVE_HOUR_REGIONS = frozenset({"US", "CA", "AU", "NZ", "IN", "PH"})
_URL = re.compile(r"https?://[^\s<>\"'`]+")
NBSP = "\u00a0"
_TRAILING = ".,;:!?)]}"  # sentence punctuation after a link is not part of it


def when(value: datetime, site: Site) -> str:
    """A moment in the site's own time zone, zone written: 1 Dec 2026, 4:05 PM EST (with
    no-break spaces inside the date and inside the time)."""
    if value.tzinfo is None:  # stored times are UTC
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(site.zone)
    region = site.locale.rpartition("-")[2].upper()
    if region in TWELVE_HOUR_REGIONS:
        clock = f"{local.hour % 12 or 12}:{local:%M}{NBSP}{'AM' if local.hour < 12 else 'PM'}"
    else:
        clock = f"{local:%H:%M}"
    zone = local.tzname() or site.timezone
    if zone[:1] in "+-":  # zones without a common abbreviation: say the offset plainly
        zone = "UTC" + zone
    # The date and the time each stay on one line in narrow columns; only the comma breaks.
    return f"{local.day}{NBSP}{local:%b}{NBSP}{local:%Y}, {clock}{NBSP}{zone}"


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
