"""Public account ids: what we tell other systems an account is called."""

from __future__ import annotations

import hashlib
import hmac

from entryway.flows.ports import Keys


def public_subject(keys: Keys, site: str, account_id: str) -> str:
    """The account's stable public id on ``site`` (the order lookup's and OIDC's ``sub``).

    A keyed hash of (site, account id) rather than our row id: the row id is ours to change
    and would tell an outsider how we store things; the hash never changes for an account,
    cannot be guessed or reversed without the server key, and differs per site, so two sites
    cannot link one person's accounts by it. No column is needed: it is derived each time.
    """
    message = f"{site}\x00{account_id}".encode()
    return hmac.new(keys.subject, message, hashlib.sha256).hexdigest()[:32]
