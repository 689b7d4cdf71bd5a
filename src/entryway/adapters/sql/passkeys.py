"""Passkeys and their ceremonies' challenges: the customers' (``PasskeyRepo``) and the
staff's (``StaffPasskeyRepo``), in tables of their own (SECURITY.md 30). Every query is
scoped by site (SECURITY.md 40); none commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from entryway.adapters.sql import tables
from entryway.adapters.sql.rows import Repo, load, values_of
from entryway.errors import Conflict
from entryway.flows.passkeys.records import Ceremony, Challenge, Passkey


class PasskeyRepo(Repo):
    p = tables.passkeys
    c = tables.passkey_challenges

    async def add(self, passkey: Passkey) -> None:
        try:
            async with self.conn.begin_nested():
                await self.conn.execute(insert(self.p).values(**values_of(passkey)))
        except IntegrityError as exc:
            raise Conflict("that passkey is registered already") from exc

    async def get(self, site: str, credential_id: str) -> Passkey | None:
        query = select(self.p).where(self.p.c.site == site, self.p.c.credential_id == credential_id)
        row = (await self.conn.execute(query)).mappings().first()
        return load(Passkey, row) if row else None

    async def for_account(self, site: str, account_id: str) -> list[Passkey]:
        query = (
            select(self.p)
            .where(self.p.c.site == site, self.p.c.account_id == account_id)
            .order_by(self.p.c.created_at, self.p.c.credential_id)
        )
        return [load(Passkey, r) for r in (await self.conn.execute(query)).mappings().all()]

    async def rename(self, site: str, account_id: str, credential_id: str, name: str) -> bool:
        query = (
            update(self.p)
            .where(self.p.c.site == site, self.p.c.account_id == account_id)
            .where(self.p.c.credential_id == credential_id)
            .values(name=name)
        )
        return bool((await self.conn.execute(query)).rowcount == 1)

    async def remove(self, site: str, account_id: str, credential_id: str) -> bool:
        query = delete(self.p).where(
            self.p.c.site == site,
            self.p.c.account_id == account_id,
            self.p.c.credential_id == credential_id,
        )
        return bool((await self.conn.execute(query)).rowcount == 1)

    async def remove_all(self, site: str, account_id: str) -> int:
        query = delete(self.p).where(self.p.c.site == site, self.p.c.account_id == account_id)
        return int((await self.conn.execute(query)).rowcount)

    async def used(
        self, site: str, credential_id: str, seen_count: int, new_count: int, now: datetime
    ) -> bool:
        query = (
            update(self.p)
            .where(self.p.c.site == site, self.p.c.credential_id == credential_id)
            .where(self.p.c.sign_count == seen_count)
            .values(sign_count=new_count, last_used_at=now)
        )
        return bool((await self.conn.execute(query)).rowcount == 1)

    async def add_challenge(self, challenge: Challenge) -> None:
        await self.conn.execute(insert(self.c).values(**values_of(challenge)))

    async def take_challenge(
        self, site: str, id_hash: str, ceremony: Ceremony, now: datetime
    ) -> Challenge | None:
        spend = (
            update(self.c)
            .where(
                self.c.c.id_hash == id_hash,
                self.c.c.site == site,
                self.c.c.ceremony == ceremony.value,
            )
            .where(self.c.c.used_at.is_(None), self.c.c.expires_at > now)
            .values(used_at=now)
        )
        if (await self.conn.execute(spend)).rowcount != 1:
            return None
        row = (
            (await self.conn.execute(select(self.c).where(self.c.c.id_hash == id_hash)))
            .mappings()
            .first()
        )
        return load(Challenge, row, convert={"ceremony": Ceremony}) if row else None

    async def sweep_challenges(self, now: datetime) -> int:
        return int(
            (await self.conn.execute(delete(self.c).where(self.c.c.expires_at <= now))).rowcount
        )


class StaffPasskeyRepo(PasskeyRepo):
    p = tables.staff_passkeys
    c = tables.staff_passkey_challenges
