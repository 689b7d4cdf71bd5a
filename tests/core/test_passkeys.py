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
from entryway.core.sites import AndroidApp, Site


def test_the_relying_party_is_the_sites_host_without_its_port() -> None:
    site = Site("us", "United States", "http://us.localhost:8000")
    assert rp_id(site) == "us.localhost"
    assert rp_id(Site("uk", "UK", "https://shop.example.co.uk")) == "shop.example.co.uk"
    assert origins(site) == ["http://us.localhost:8000"]
    hashed = "android:apk-key-hash:" + "A" * 43
    app = AndroidApp("com.example.shop", (":".join(["00"] * 32), ":".join(["ff"] * 32)))
    with_apps = Site(
        "us", "United States", "http://us.localhost:8000",
        android_apps=(app,), app_origins=(hashed,),
    )  # fmt: skip
    assert origins(with_apps) == [
        "http://us.localhost:8000",
        "android:apk-key-hash:" + "A" * 43,  # 32 zero bytes, base64url without padding
        "android:apk-key-hash:" + "_" * 42 + "8",  # 32 bytes of 0xff
    ]
    assert app.fingerprints[1] == ":".join(["FF"] * 32)  # as keytool prints it


@pytest.mark.parametrize(
    "wrong",
    [
        {"apple_apps": ("com.example.shop",)},  # no team id
        {"app_origins": ("https://evil.example",)},
        {"app_origins": ("android:apk-key-hash:short",)},
    ],
    ids=["apple without team", "web origin", "short hash"],
)
def test_native_app_settings_are_checked(wrong: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Site("us", "United States", "http://us.localhost:8000", **wrong)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("package", "prints"),
    [("shop", (":".join(["00"] * 32),)), ("com.example.shop", ()), ("com.example.shop", ("00",))],
)
def test_an_android_app_needs_a_package_and_sha256_fingerprints(
    package: str, prints: tuple[str, ...]
) -> None:
    with pytest.raises(ValueError):
        AndroidApp(package, prints)


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
