"""The authorization request carried through our sign-in pages, sealed by a keyed MAC.

When the authorization endpoint sends a customer to sign in, the request goes along as
``return_to`` with ``ew_t=<unix time>.<mac>`` added: proof that this exact request was
checked by us at that time (its client and registered redirect URI among it). The sign-in
pages trust nothing else of it: they let their forms' redirects reach that redirect URI's
origin (CSP ``form-action``), and ``prompt=login`` or ``max_age`` are met by a sign-in after
that time, so coming back never loops and an old ticket cannot skip a fresh sign-in.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

from entryway.core.secrets import keyed_hash, same_secret
from entryway.flows.ports import Keys

PATH = "/oauth/authorize"
PARAM = "ew_t"
LIFETIME = timedelta(hours=1)


def _mac(keys: Keys, site: str, at: int, pairs: list[tuple[str, str]]) -> str:
    return keyed_hash(keys.hashing, "authorize-ticket", f"{site}\0{at}\0{urlencode(pairs)}")[:32]


def without_ticket(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, v) for k, v in pairs if k != PARAM]


def sealed(keys: Keys, site: str, pairs: list[tuple[str, str]], now: datetime) -> str:
    """The authorization URL (a local path) to come back to, with a ticket of ``now``."""
    kept = without_ticket(pairs)
    at = int(now.timestamp())
    return PATH + "?" + urlencode([*kept, (PARAM, f"{at}.{_mac(keys, site, at, kept)}")])


def issued_at(
    keys: Keys, site: str, pairs: list[tuple[str, str]], now: datetime
) -> datetime | None:
    """When our ticket among ``pairs`` was made, if it is ours, for this site and request,
    and under an hour old; else None."""
    value = next((v for k, v in pairs if k == PARAM), "")
    at_text, _, mac = value.partition(".")
    if not at_text.isdigit() or len(at_text) > 12 or not mac:
        return None
    at = int(at_text)
    if not same_secret(mac, _mac(keys, site, at, without_ticket(pairs))):
        return None
    made = datetime.fromtimestamp(at, UTC)
    if made > now + timedelta(seconds=5) or now - made > LIFETIME:
        return None
    return made


def from_return_to(
    keys: Keys, site: str, return_to: str, now: datetime
) -> tuple[list[tuple[str, str]], datetime] | None:
    """The sealed request inside a ``return_to``, and its time; None for anything else."""
    if not return_to.startswith(PATH + "?"):
        return None
    parts = urlsplit(return_to)
    if parts.path != PATH:
        return None
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    made = issued_at(keys, site, pairs, now)
    return (pairs, made) if made else None


def redirect_origin(keys: Keys, site: str, return_to: str, now: datetime) -> str | None:
    """The origin of the redirect URI of a sealed request (checked when it was sealed)."""
    found = from_return_to(keys, site, return_to, now)
    if found is None:
        return None
    uri = next((v for k, v in found[0] if k == "redirect_uri"), "")
    parts = urlsplit(uri)
    if not parts.scheme:
        return None
    if not parts.netloc:
        return parts.scheme + ":"  # a native app's private-use scheme, as a CSP scheme-source
    return f"{parts.scheme}://{parts.netloc}"
