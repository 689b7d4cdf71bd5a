"""Words for one reader: which locale they read, and dates, times and sums written in it.

Pages (web) and messages (adapters.messages) both write through here, so a date reads the
same on a page as in the email about it."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from babel.dates import format_date, format_datetime, format_time, get_timezone_name
from babel.numbers import format_currency

from entryway.core.local_time import TWELVE_HOUR_REGIONS
from entryway.core.locales import babel_name, language
from entryway.core.sites import Site
from entryway.flows.records import Account, Requester

NBSP = "\u00a0"


def reader_locale(site: Site, account: Account | None, who: Requester | None = None) -> str:
    """The locale a message is written in: the account's preferred language where the
    site still offers it, else the language of the request that caused the message (a
    code to a new address has no account yet), else the site's default."""
    for candidate in (account.locale if account else "", who.locale if who else ""):
        if candidate and candidate in site.locales:
            return candidate
    return site.locale


def request_locale(site: Site, who: Requester | None) -> str:
    """The request's own locale, when the site offers it."""
    if who is not None and who.locale in site.locales:
        return who.locale
    return site.locale


def when(value: datetime, site: Site, locale: str, *, space: str = " ") -> str:
    """A moment in the site's time zone, zone named, as readers of ``locale`` write it:
    18 Jan 2026, 7:00 AM EST; 18 janv. 2026, 07 h 00 HNE. ``space`` goes inside the date and
    the time (a no-break space on pages, so only the comma may break)."""
    if value.tzinfo is None:  # stored times are UTC
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(site.zone)
    if language(locale) == "en":
        # The house style of every English site: day first, short month, the clock its
        # region reads (core.local_time), the zone's own abbreviation.
        twelve = site.locale.rpartition("-")[2].upper() in TWELVE_HOUR_REGIONS
        clock = "h:mm a" if twelve else "HH:mm"
        text = format_datetime(local, f"d MMM y, {clock}", locale="en")
        zone = local.tzname() or site.timezone
        if zone[:1] in "+-":  # zones without a common abbreviation: say the offset plainly
            zone = "UTC" + zone
    else:
        name = babel_name(locale)
        text = (
            f"{format_date(local, 'medium', locale=name)}, "
            f"{format_time(local, 'short', locale=name)}"
        )
        zone = get_timezone_name(local, "short", locale=name, zone_variant=None)
    return f"{text} {zone}".replace(" ", space).replace(f",{space}", ", ")


def money(amount: Decimal, currency: str, locale: str) -> str:
    """A sum as readers of ``locale`` write it: $1,234.50; 1 234,50 $."""
    return format_currency(amount, currency, locale=babel_name(locale))
