"""Passkeys' rules, without storage or HTTP: which relying party and origins a site stands
for, how long a challenge lives, what a sign count may do, and when a passkey may go.

A passkey (a discoverable WebAuthn credential with user verification) is bound by the
browser to a relying-party id: each site's is its host name without the port, so a passkey
made on one regional site is never offered, nor accepted, on another."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from entryway.core.sites import Site

CHALLENGE_LIFETIME = timedelta(minutes=5)
NAME_MAX = 60  # what the customer may call a passkey ("Jane's iPhone")
STAFF = "_staff"  # where the console's passkeys are kept: no site code has an underscore
PER_ACCOUNT = 20  # passkeys an account (or a staff member) may have at once


@dataclass(frozen=True, slots=True)
class Party:
    """A WebAuthn relying party: where its passkeys are kept (``code``: a site's, or
    STAFF), its id (a host name), the name authenticators show, and the origins its
    ceremonies may run on."""

    code: str
    id: str
    name: str
    origins: tuple[str, ...]


def site_party(site: Site) -> Party:
    return Party(site.code, rp_id(site), site.brand, site.passkey_origins)


def console_party(origin: str) -> Party:
    """The staff console's: its own host, so no customer site's passkey is offered there."""
    parts = urlsplit(origin)
    assert parts.hostname, "the console origin always has a host (Settings checks it)"
    return Party(STAFF, parts.hostname, "Entryway console", (f"{parts.scheme}://{parts.netloc}",))


def rp_id(site: Site) -> str:
    """The site's relying-party id: its host name, without port or scheme."""
    host = urlsplit(site.base_url).hostname
    assert host, "a site's base_url always has a host (Site checks it)"
    return host


def origins(site: Site) -> list[str]:
    """The origins a ceremony for this site may come from: the site's own, and the store's
    native apps' (``android:apk-key-hash:…``) configured for it."""
    return list(site.passkey_origins)


class Count(StrEnum):
    """What a presented signature counter says about the credential."""

    FINE = "fine"  # it went up (or the passkey is synced and always says 0)
    CLONED = "cloned"  # it did not go up: a copy of the key is in use somewhere


def sign_count(stored: int, presented: int) -> Count:
    """WebAuthn Level 2 §6.1.1: a counter that does not increase means a cloned
    authenticator, except that synced passkeys report 0 every time (and are accepted
    while they keep reporting 0)."""
    if stored == 0 and presented == 0:
        return Count.FINE
    return Count.FINE if presented > stored else Count.CLONED


def clean_name(raw: str, fallback: str) -> str:
    """The passkey's name as shown: trimmed, single-spaced, at most NAME_MAX characters,
    without control characters; ``fallback`` (the device's name) when nothing is left."""
    kept = "".join(ch if ch.isprintable() else " " if ch.isspace() else "" for ch in raw)
    text = " ".join(kept.split())
    return (text or fallback)[:NAME_MAX]


@dataclass(frozen=True, slots=True)
class WaysIn:
    """What an account has left to sign in with and to recover by."""

    has_password: bool
    passkeys: int
    verified_contacts: int


def may_remove_passkey(ways: WaysIn) -> bool:
    """A customer cannot remove their last way in: an account without a password keeps at
    least one passkey, and a verified contact to recover by."""
    if ways.passkeys <= 0:
        return False
    if ways.has_password:
        return True
    return ways.passkeys > 1 and ways.verified_contacts > 0
