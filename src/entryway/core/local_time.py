"""Times written for people: in the site's own time zone, with the zone named, so a date in
a message means the same to the reader wherever the server runs."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from entryway.core.sites import Site

# Regions whose customers read a 12-hour clock; everyone else gets 24 hours.
TWELVE_HOUR_REGIONS = frozenset({"US", "CA", "AU", "NZ", "IN", "PH"})


def site_time(value: datetime, site: Site, *, space: str = " ") -> str:
    """``value`` as the site's customers read it: 18 Jan 2026, 7:00 AM EST. ``space`` goes
    inside the date and inside the time: plain for message text, a no-break space on pages
    (web/formatting.py), so that only the comma may break in a narrow column."""
    if value.tzinfo is None:  # stored times are UTC
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(site.zone)
    region = site.locale.rpartition("-")[2].upper()
    if region in TWELVE_HOUR_REGIONS:
        clock = f"{local.hour % 12 or 12}:{local:%M}{space}{'AM' if local.hour < 12 else 'PM'}"
    else:
        clock = f"{local:%H:%M}"
    zone = local.tzname() or site.timezone
    if zone[:1] in "+-":  # zones without a common abbreviation: say the offset plainly
        zone = "UTC" + zone
    return f"{local.day}{space}{local:%b}{space}{local:%Y}, {clock}{space}{zone}"


def day_starts(text: str, site: Site) -> datetime:
    """``YYYY-MM-DD`` as the moment that day begins on the site's clock (in UTC): a
    suspension "until 1 Mar 2026" ends as 1 March starts where its customer lives, whatever
    zone the staff member or the server is in. ValueError for anything but a real date."""
    day = date.fromisoformat(text.strip()) if len(text.strip()) == 10 else None
    if day is None:
        raise ValueError(f"a date is written YYYY-MM-DD, got {text!r}")
    return datetime.combine(day, time(0), tzinfo=site.zone).astimezone(UTC)
