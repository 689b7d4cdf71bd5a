"""The records of passkeys and of the challenges their ceremonies sign."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


@dataclass(slots=True)
class Passkey:
    """One WebAuthn credential of one account on one site (its relying party)."""

    credential_id: str  # base64url, as the browser names it
    site: str
    account_id: str
    public_key: str  # base64url of the COSE key
    sign_count: int
    name: str
    created_at: datetime
    transports: list[str] = field(default_factory=list)
    aaguid: str = ""  # the authenticator model, when it says
    backed_up: bool = False  # a synced passkey (it lives in the customer's cloud keychain)
    last_used_at: datetime | None = None


class Ceremony(StrEnum):
    """What a challenge was issued for: it answers only that."""

    REGISTER = "register"
    SIGN_IN = "sign_in"
    SECOND_STEP = "second_step"


@dataclass(slots=True)
class Challenge:
    """A random challenge, single use, bound to its site, ceremony and browser (the keyed
    hash of the token the browser holds: a cookie, or the JSON API's flow id)."""

    id_hash: str
    site: str
    ceremony: Ceremony
    challenge: str  # base64url
    created_at: datetime
    expires_at: datetime
    account_id: str | None = None  # registration and second step: whose it is
    used_at: datetime | None = None
