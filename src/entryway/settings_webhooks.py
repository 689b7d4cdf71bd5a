"""The ``WEBHOOKS`` setting: the store's receivers of security events (core/webhooks.py)."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from entryway.core.webhooks import ALL, Subscription, event_names

SECRET_PREFIX = "whsec_"  # noqa: S105 (the Standard Webhooks form: whsec_ and base64)
SECRET_BYTES = (24, 64)  # the scheme's range for a secret's length
URL_LIMIT = 320  # the outbox's recipient column


class WebhookReceiver(BaseModel):
    """``{url, secret, events}``: every event named in ``events`` (default: all) is posted
    to ``url``, signed with ``secret``."""

    # A malformed receiver's error must not print its secret.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    url: str
    secret: str = Field(repr=False)
    events: list[str] = Field(default_factory=lambda: [ALL])


def webhook_problems(receivers: list[WebhookReceiver], demo: bool) -> list[str]:
    """Receivers that cannot work or are unsafe: checked in demo mode too, but for http://
    to a host other than localhost, which only a real deployment refuses."""
    found: list[str] = []
    known = set(event_names()) | {ALL}
    seen: set[str] = set()
    for n, receiver in enumerate(receivers):
        name = f"ENTRYWAY_WEBHOOKS[{n}]"
        parts = urlsplit(receiver.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            found.append(f"{name}: url must be an http(s) URL, got {receiver.url[:80]!r}")
        elif parts.scheme == "http" and not demo and not _local(parts.hostname):
            found.append(f"{name}: url must use https:// outside localhost")
        if len(receiver.url) > URL_LIMIT:
            found.append(f"{name}: url is longer than {URL_LIMIT} characters")
        if receiver.url in seen:
            found.append(f"{name}: url {receiver.url[:80]!r} is listed twice")
        seen.add(receiver.url)
        if not secret_ok(receiver.secret):
            found.append(
                f"{name}: secret must be {SECRET_PREFIX} followed by the base64 of "
                f"{SECRET_BYTES[0]} to {SECRET_BYTES[1]} random bytes "
                "(entryway webhooks secret makes one)"
            )
        unknown = sorted(set(receiver.events) - known)
        if unknown or not receiver.events:
            found.append(
                f"{name}: events must name some of {', '.join(sorted(known))}; "
                f"unknown: {', '.join(unknown) or '(none given)'}"
            )
    return found


def secret_ok(secret: str) -> bool:
    if not secret.startswith(SECRET_PREFIX):
        return False
    try:
        raw = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        return False
    return SECRET_BYTES[0] <= len(raw) <= SECRET_BYTES[1]


def subscriptions(receivers: list[WebhookReceiver]) -> tuple[Subscription, ...]:
    return tuple(Subscription(url=r.url, events=frozenset(r.events)) for r in receivers)


def _local(host: str) -> bool:
    return host in ("localhost", "127.0.0.1", "::1") or host.endswith(".localhost")
