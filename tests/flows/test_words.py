"""Dates and sums for one reader (flows/words.py), through Babel in every language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from entryway.core.local_time import site_time
from entryway.flows.words import money, when
from entryway.settings import demo_sites

SITES = demo_sites(8000)
CANADA = SITES[2]
NBSP = "\u00a0"


@given(st.integers(min_value=0, max_value=10 * 366 * 24 * 60), st.sampled_from([" ", NBSP]))
def test_english_keeps_the_house_style(minutes: int, space: str) -> None:
    """Every English site writes a moment as it always has (core.local_time), now by Babel."""
    moment = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    for site in SITES:
        assert when(moment, site, site.locale, space=space) == site_time(moment, site, space=space)


def test_french_as_a_canadian_writes_it() -> None:
    winter = datetime(2026, 1, 18, 12, 5, tzinfo=UTC)
    assert when(winter, CANADA, "fr-CA") == "18 janv. 2026, 07 h 05 HNE"
    summer = datetime(2026, 7, 1, 17, 30, tzinfo=UTC)
    assert when(summer, CANADA, "fr-CA", space=NBSP) == NBSP.join(
        ["1", "juill.", "2026,", "13", "h", "30", "HAE"]
    ).replace(f",{NBSP}", ", ")
    assert when(winter, CANADA, "en-CA") == "18 Jan 2026, 7:05 AM EST"


def test_sums() -> None:
    assert money(Decimal("1234.5"), "CAD", "fr-CA") == "1\u00a0234,50\u00a0$"
    assert money(Decimal("1234.5"), "CAD", "en-CA") == "$1,234.50"
