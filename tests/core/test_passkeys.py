"""Passkeys' pure rules: the relying party of a site, the sign counter, names, and the
last way in."""

from __future__ import annotations

import pytest

from entryway.core.passkeys import (
    NAME_MAX,
    Count,
    WaysIn,
    clean_name,
    may_remove_passkey,
    origins,
    rp_id,
    sign_count,
)
from entryway.core.sites import Site


def test_the_relying_party_is_the_sites_host_without_its_port() -> None:
    site = Site("us", "United States", "http://us.localhost:8000")
    assert rp_id(site) == "us.localhost"
    assert rp_id(Site("uk", "UK", "https://shop.example.co.uk")) == "shop.example.co.uk"
    assert origins(site) == ["http://us.localhost:8000"]
    assert origins(site, ("android:apk-key-hash:abc",)) == [
        "http://us.localhost:8000",
        "android:apk-key-hash:abc",
    ]


@pytest.mark.parametrize(
    ("stored", "presented", "expected"),
    [
        (0, 0, Count.FINE),  # a synced passkey: always 0
        (0, 1, Count.FINE),
        (5, 6, Count.FINE),
        (5, 5, Count.CLONED),  # did not go up
        (5, 4, Count.CLONED),  # went back
        (5, 0, Count.CLONED),  # counted before, says 0 now
    ],
)
def test_a_counter_that_does_not_go_up_is_a_clone(
    stored: int, presented: int, expected: Count
) -> None:
    assert sign_count(stored, presented) is expected


def test_names_are_trimmed_and_fall_back_to_the_device() -> None:
    assert clean_name("  Jane's   iPhone \n", "Safari on iPhone") == "Jane's iPhone"
    assert clean_name("\x00\x1b", "Chrome on Mac") == "Chrome on Mac"
    assert len(clean_name("x" * 500, "y")) == NAME_MAX


@pytest.mark.parametrize(
    ("ways", "allowed"),
    [
        (WaysIn(has_password=True, passkeys=1, verified_contacts=0), True),
        (WaysIn(has_password=False, passkeys=2, verified_contacts=1), True),
        (WaysIn(has_password=False, passkeys=1, verified_contacts=1), False),  # the last way in
        (
            WaysIn(has_password=False, passkeys=2, verified_contacts=0),
            False,
        ),  # nothing to recover by
        (WaysIn(has_password=True, passkeys=0, verified_contacts=1), False),  # nothing to remove
    ],
)
def test_the_last_way_in_stays(ways: WaysIn, allowed: bool) -> None:
    assert may_remove_passkey(ways) is allowed
