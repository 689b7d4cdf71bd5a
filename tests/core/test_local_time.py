"""Times in messages: the site's own zone, its clock, the zone named."""

from __future__ import annotations

from datetime import UTC, datetime

from entryway.core.local_time import site_time
from entryway.core.sites import Site
from entryway.settings import demo_sites

US, UK, CA = demo_sites(8000)


def test_each_site_reads_its_own_zone_and_clock() -> None:
    winter = datetime(2026, 1, 18, 12, 0, tzinfo=UTC)
    summer = datetime(2026, 7, 18, 17, 5, tzinfo=UTC)
    assert site_time(winter, US) == "18 Jan 2026, 7:00 AM EST"
    assert site_time(summer, US) == "18 Jul 2026, 1:05 PM EDT"
    assert site_time(winter, UK) == "18 Jan 2026, 12:00 GMT"
    assert site_time(summer, UK) == "18 Jul 2026, 18:05 BST"
    assert site_time(datetime(2026, 1, 18, 4, 30, tzinfo=UTC), CA) == "17 Jan 2026, 11:30 PM EST"


def test_stored_naive_times_are_utc_and_odd_zones_say_their_offset() -> None:
    assert site_time(datetime(2026, 1, 18, 12, 0), US) == "18 Jan 2026, 7:00 AM EST"
    odd = Site(
        code="xx", name="X", base_url="http://x.example", locale="en-NP", timezone="Asia/Kathmandu"
    )
    assert site_time(datetime(2026, 1, 18, 12, 0, tzinfo=UTC), odd) == "18 Jan 2026, 17:45 UTC+0545"
