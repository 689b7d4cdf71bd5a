"""What the passkey flows need from storage: ``uow.passkeys``. Every query is scoped by site
(a credential of one site is unknown to another, SECURITY.md 40)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from entryway.flows.passkeys.records import Ceremony, Challenge, Passkey


class Passkeys(Protocol):
    async def add(self, passkey: Passkey) -> None:
        """Insert; a credential id already registered on the site raises Conflict."""
        ...

    async def get(self, site: str, credential_id: str) -> Passkey | None: ...
    async def for_account(self, site: str, account_id: str) -> list[Passkey]:
        """The account's passkeys, oldest first."""
        ...

    async def rename(self, site: str, account_id: str, credential_id: str, name: str) -> bool: ...
    async def remove(self, site: str, account_id: str, credential_id: str) -> bool: ...
    async def remove_all(self, site: str, account_id: str) -> int: ...
    async def used(
        self, site: str, credential_id: str, seen_count: int, new_count: int, now: datetime
    ) -> bool:
        """Conditional write: the new sign count and last use, only while the stored count
        is still ``seen_count`` (two assertions racing with one counter: one wins)."""
        ...

    async def add_challenge(self, challenge: Challenge) -> None: ...
    async def take_challenge(
        self, site: str, id_hash: str, ceremony: Ceremony, now: datetime
    ) -> Challenge | None:
        """Conditional write: the live, unused challenge of that ceremony, marked used, for
        exactly one caller; None for anything else (used, expired, another site's)."""
        ...

    async def sweep_challenges(self, now: datetime) -> int:
        """Delete the challenges that expired (used or not); how many."""
        ...
